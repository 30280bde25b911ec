"""The wheel a user installs: built from the repository, installed into a fresh virtual environment
(the core and the 'sim' extra, nothing from this environment), then build, C simulation and Verilator
run from another folder with relative paths, bit-exact with the golden model.

Slow (a fresh environment is a few hundred MB of packages): .ci/run runs it on every change."""
from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "scikit-learn", "matplotlib", "pyverilog", "hls4ml", "cocotb", "verilator")

pytestmark = [pytest.mark.slow, pytest.mark.wheel]


def _run(cmd, cwd=None, timeout=900):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel, built from a copy of the tracked files (the checkout itself stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    files = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT).stdout.split("\0")
    src = tmp / "src"
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src])
    (whl,) = (tmp / "dist").glob("hlsgen-*.whl")
    return whl


def test_wheel_holds_the_templates_and_a_light_core(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = Parser().parsestr(z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
    assert {"hlsgen/templates/kernel/engine.h", "hlsgen/templates/rtl/engine.v.j2",
            "hlsgen/testbench/hlsgen_cocotb.py", "hlsgen/testbench/hlsgen_mem.v",
            "hlsgen/data/targets.json"} <= names
    core = [r.split(";")[0].strip() for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert core and not [r for r in core if any(r.lower().startswith(h) for h in HEAVY)], core


def test_wheel_in_a_fresh_environment(wheel, tmp_path):
    from hlsgen.examples.testnets import make, random_input
    from hlsgen.golden.reference import ort_run

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[sim]"])
    # the core alone does not bring torch
    assert subprocess.run([py, "-c", "import torch"], capture_output=True).returncode != 0

    work = tmp_path / "work"
    (work / "cwd").mkdir(parents=True)
    model = make("resnet", work / "m.onnx", prune=0.5)
    x = random_input(model, n=2)
    np.save(work / "x.npy", x)
    cwd = work / "cwd"
    hlsgen = [py, "-m", "hlsgen"]
    _run(hlsgen + ["build", "../m.onnx", "--dsp-budget", "32", "--compute-units", "1", "-o", "../proj"], cwd=cwd)
    _run(hlsgen + ["simulate", "../proj", "--engine", "csim", "--input", "../x.npy", "--output", "../y-csim.npy"], cwd=cwd)
    _run(hlsgen + ["simulate", "../proj", "--engine", "verilator", "--input", "../x.npy", "--output", "../y-rtl.npy"],
         cwd=cwd)
    want = ort_run(model, x)[0]
    for name in ("y-csim.npy", "y-rtl.npy"):
        got = np.load(work / name)
        assert got.shape == want.shape and int((got != want).sum()) == 0, name
    assert sorted(p.name for p in cwd.iterdir()) == []
    # the extra that is missing is named with its pip command
    p = subprocess.run([*hlsgen, "example", "lenet-digits", "-o", "e.onnx"], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 2 and "pip install 'hlsgen[examples]'" in p.stderr, p.stderr
