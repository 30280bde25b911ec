"""Helpers shared by tests/ and hw_tests/ (importable as ``testkit``: pyproject's pytest ``pythonpath``).

Test code only: nothing in hlsgen imports it.  The session-cached test nets behind the ``testnet`` and
``example`` fixtures (conftest.py at the top of the repository) are ``NetCache``."""
from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hlsgen import ir
from hlsgen.errors import UserError
from hlsgen.examples import testnets, zoo
from hlsgen.frontend import load


class NetCache:
    """ONNX test nets written once per test session, keyed by their builder's arguments (defaults filled
    in, so make("chain") and make("chain", fmt="qop") are one file).  The cached file is shared: read it,
    never write it or next to it; ``out=PATH`` gives a copy at PATH for tests that do."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._paths: dict = {}

    def _get(self, builder, stem, arguments, out):
        key = (builder.__name__, repr(sorted(arguments.items())))
        if key not in self._paths:
            d = self.folder / f"{len(self._paths):03d}"
            d.mkdir()
            self._paths[key] = Path(builder(d / f"{stem}.onnx", **arguments))
        path = self._paths[key]
        if out is None:
            return path
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        return out

    def testnet(self, kind, out=None, **params) -> Path:
        """hlsgen.examples.testnets.make(kind, ..., **params), cached."""
        arguments = {**testnets.DEFAULT_SIZE, **_arguments(_make_testnet, kind, **params)}
        arguments["prune"] = float(arguments["prune"])
        return self._get(_make_testnet, kind, arguments, out)

    def example(self, name, *args, out=None, **params) -> Path:
        """hlsgen.examples.zoo.make_example(name, prune, fmt, prune_style, round_to), cached."""
        arguments = _arguments(_make_example, name, *args, **params)
        arguments["fmt"] = arguments["fmt"] or zoo.default_format(name)
        arguments["prune"] = float(arguments["prune"])
        return self._get(_make_example, name, arguments, out)


def _arguments(builder, *args, **kwargs) -> dict:
    """BUILDER's arguments but the path, defaults filled in: the cache key."""
    bound = inspect.signature(builder).bind(None, *args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments["path"]
    arguments.update(arguments.pop("size", {}))
    return arguments


# the builders with the output path first, so that NetCache keys on everything else
def _make_testnet(path, kind, fmt="qop", per_channel=False, prune=0.0, zero_bias=True, seed=0,
                  act_dtype="int8", **size):
    return testnets.make(kind, path, fmt=fmt, per_channel=per_channel, prune=prune, zero_bias=zero_bias,
                         seed=seed, act_dtype=act_dtype, **size)


def _make_example(path, name, prune=0.0, fmt=None, prune_style="group", round_to=None):
    return zoo.make_example(name, prune=prune, fmt=fmt, out=path, prune_style=prune_style, round_to=round_to)


def qparams(rng, dtype, lo_exp=-9.0, hi_exp=1.0):
    """Random quantization parameters of DTYPE: a scale 2**uniform(LO_EXP, HI_EXP), any zero point."""
    lo, hi = ir.DTYPE_RANGE[dtype]
    return ir.QParams(float(2.0 ** rng.uniform(lo_exp, hi_exp)), int(rng.integers(lo, hi + 1)), dtype)


def hlsgen(*args, cwd=None, timeout=600):
    """``python -m hlsgen ARGS`` in a subprocess: the CompletedProcess, output captured as text."""
    return subprocess.run([sys.executable, "-m", "hlsgen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def one_line_error(p, *needles):
    """P (a finished hlsgen command) failed as a user error: exit 2, one line on stderr holding every
    needle, no traceback."""
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for n in needles:
        assert str(n) in lines[0], lines[0]


def assert_refused(path, match):
    """The frontend refuses the model at PATH with a one-line UserError matching MATCH that names the file."""
    with pytest.raises(UserError, match=match) as e:
        load(path)
    assert "\n" not in str(e.value) and Path(path).name in str(e.value)
