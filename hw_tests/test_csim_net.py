"""Whole generated networks in C simulation: hlsgen build, then hlsgen simulate --engine csim,
compared element by element with onnxruntime; hostile names; byte-identical rebuilds;
the XRT host compiled against declarations of the XRT API."""
from __future__ import annotations

import filecmp
import json
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from hlsgen import cli
from hlsgen.emit.hls import TEMPLATES
from hlsgen.examples import testnets
from hlsgen.golden.reference import ort_run
from hlsgen.plan.engine import get_target
from hlsgen.sim import csim

pytestmark = pytest.mark.hw


def build(model, out, dsp_budget=64, array=None, epilogue_lanes=None) -> Path:
    pin = ["--array", array] if array else []
    pin += ["--epilogue-lanes", str(epilogue_lanes)] if epilogue_lanes else []
    assert cli.main(["build", str(model), "--dsp-budget", str(dsp_budget), *pin, "-o", str(out)]) == 0
    return Path(out)


def plan_of(out) -> dict:
    return json.loads((Path(out) / "plan.json").read_text())


def csim_vs_ort(model, out, tmp_path, n=2) -> int:
    """Mismatching output elements of `hlsgen simulate --engine csim` against onnxruntime."""
    x = testnets.random_input(model, n=n)
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["simulate", str(out), "--engine", "csim", "--input", str(tmp_path / "x.npy"),
                     "--output", str(tmp_path / "y.npy")]) == 0
    y, (want,) = np.load(tmp_path / "y.npy"), ort_run(model, x)
    assert y.dtype == want.dtype == np.float32 and y.shape == want.shape
    return int(np.count_nonzero(y != want))


def test_resnet_qdq_pruned_matches_onnxruntime(tmp_path):
    model = testnets.make("resnet", tmp_path / "resnet.onnx", fmt="qdq", prune=0.5)
    out = build(model, tmp_path / "out")
    # its max pool and adds: the kernel has the max pool lanes and the add unit (resources.units_used)
    assert "max_pool_rows(" in (out / "kernel" / "pool_unit.h").read_text()
    assert "add_fma(" in (out / "kernel" / "epilogue.h").read_text()
    assert csim_vs_ort(model, out, tmp_path, n=3) == 0
    # the host program's own golden check agrees
    exe = csim.build(out)
    np.save(tmp_path / "g.npy", ort_run(model, np.load(tmp_path / "x.npy"))[0])
    done = subprocess.run([str(exe), "--weights", str(out / "weights.bin"), "--input", str(tmp_path / "x.npy"),
                           "--output", str(tmp_path / "y2.npy"), "--golden", str(tmp_path / "g.npy")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "0 mismatching element(s)" in done.stdout, done.stdout + done.stderr
    wrong = np.load(tmp_path / "g.npy") + 1
    np.save(tmp_path / "g.npy", wrong)
    done = subprocess.run([str(exe), "--weights", str(out / "weights.bin"), "--input", str(tmp_path / "x.npy"),
                           "--output", str(tmp_path / "y2.npy"), "--golden", str(tmp_path / "g.npy")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and f"{wrong.size} mismatching" in done.stdout


def test_vgg_pruned_pixel_lanes_fused_pool_matches_onnxruntime(tmp_path):
    """PP = 4 pixel lanes (pinned: --array) on the pruned VGG net, whose 2x2/2 max pool runs in
    a conv's epilogue (pool_k = 2): the lanes, their partial last group and the pool's row buffer."""
    model = testnets.make("vgg", tmp_path / "vgg.onnx", prune=0.5)
    out = build(model, tmp_path / "out", dsp_budget=200, array="4x8x4")
    plan = plan_of(out)
    assert (plan["engine"]["pp"], plan["engine"]["po"], plan["engine"]["pi"]) == (4, 8, 4)
    assert any(i["kind"] == "conv" and i["pool_k"] == 2 for i in plan["invocations"])
    assert "const int PP = 4;" in (out / "kernel" / "engine.h").read_text()
    assert csim_vs_ort(model, out, tmp_path, n=4) == 0


# (kind, array, E, what the epilogue fuses): fewer epilogue lanes than outputs (ENGINE.md section 1, "Epilogue
# lanes"), NC = PP * PO / E passes per pixel group; about 10 s each, the NC = 4 and split-lane ones in the slow suite
EPILOGUE_LANES = [
    ("resnet", "2x8x8", 8, "add_en"),
    ("hswish", "2x8x8", 8, "tab_en"),
    pytest.param("vgg", "4x8x4", 8, "pool_k", marks=pytest.mark.slow),     # NC = 4
    pytest.param("vgg", "3x8x4", 12, "pool_k", marks=pytest.mark.slow),    # a pass ends inside pixel lane 1
]


@pytest.mark.parametrize("kind,array,lanes,fused", EPILOGUE_LANES)
def test_epilogue_lanes_match_onnxruntime(tmp_path, testnet, kind, array, lanes, fused):
    """E epilogue lanes serving a pixel group's PP x PO outputs in NC passes, with a fused add, table or
    max pool: bit-exact with onnxruntime."""
    model = testnet(kind)
    out = build(model, tmp_path / "out", dsp_budget=400, array=array, epilogue_lanes=lanes)
    plan = plan_of(out)
    pp, po = plan["engine"]["pp"], plan["engine"]["po"]
    assert plan["engine"]["epilogue_lanes"] == lanes < pp * po
    assert any(i["kind"] == "conv" and i[fused] for i in plan["invocations"])
    assert f"const int EPI_LANES = {lanes};" in (out / "kernel" / "engine.h").read_text()
    assert csim_vs_ort(model, out, tmp_path, n=2) == 0


# PP in {1, 2, 4} with a few PO x PI shapes; budget 400 admits them all
ARRAYS = ["1x16x8", "2x8x8", "4x8x4"]


@pytest.mark.slow
@pytest.mark.parametrize("array", ARRAYS)
@pytest.mark.parametrize("prune", [0.0, 0.5])
@pytest.mark.parametrize("kind", ["vgg", "resnet", "chain"])
def test_pixel_lanes_match_onnxruntime(tmp_path, kind, prune, array):
    model = testnets.make(kind, tmp_path / "m.onnx", prune=prune)
    out = build(model, tmp_path / "out", dsp_budget=400, array=array)
    assert plan_of(out)["engine"]["pp"] == int(array.split("x")[0])
    assert csim_vs_ort(model, out, tmp_path, n=3) == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["resnet", "vgg"])
@pytest.mark.parametrize("fmt", ["qop", "qdq"])
@pytest.mark.parametrize("prune", [0.0, 0.5])
@pytest.mark.parametrize("per_channel", [False, True], ids=["tensor", "channel"])
def test_networks_match_onnxruntime(tmp_path, capsys, kind, fmt, prune, per_channel):
    model = testnets.make(kind, tmp_path / "m.onnx", fmt=fmt, prune=prune, per_channel=per_channel)
    out = tmp_path / "out"
    if cli.main(["build", str(model), "--dsp-budget", "64", "-o", str(out)]) != 0:
        pytest.fail(capsys.readouterr().err)
    assert csim_vs_ort(model, out, tmp_path) == 0


@pytest.mark.slow
def test_plain_chain_matches_onnxruntime(tmp_path):
    model = testnets.make("chain", tmp_path / "m.onnx", fmt="qop", prune=0.25, zero_bias=False)
    assert csim_vs_ort(model, build(model, tmp_path / "out"), tmp_path) == 0


HOSTILE = ['"quoted" name', "close */ comment /* open", "new\nline\r\\", "int", "main", "x" * 300,
           "ünïcødé 名前", "??/trigraph", "a//b", "${shell} `cmd` $(x)", "#define", ""]


def hostile_names(src: Path, dst: Path) -> Path:
    """SRC with every node and value name replaced by a hostile one (still unique)."""
    m = onnx.load(str(src))
    g = m.graph
    names = {}

    def new(old):
        if old and old not in names:
            names[old] = f"{HOSTILE[len(names) % len(HOSTILE)]}#{len(names)}"
        return names.get(old, old)

    for vi in list(g.input) + list(g.output) + list(g.value_info):
        vi.name = new(vi.name)
    for init in g.initializer:
        init.name = new(init.name)
    for i, node in enumerate(g.node):
        node.input[:] = [new(t) for t in node.input]
        node.output[:] = [new(t) for t in node.output]
        node.name = HOSTILE[i % len(HOSTILE)] + ("*/" * (i % 2)) + f"{i}"
    onnx.save(m, str(dst))
    return dst


def test_hostile_names_build_compile_and_match(tmp_path):
    model = hostile_names(testnets.make("resnet", tmp_path / "r.onnx", fmt="qop", prune=0.5),
                          tmp_path / "hostile.onnx")
    out = build(model, tmp_path / "out")
    assert csim_vs_ort(model, out, tmp_path) == 0
    for f in (out / "host").glob("*"):
        text = f.read_text()
        assert text.isascii() and "*/ comment" not in text and "new\nline" not in text


def test_same_model_same_bytes(tmp_path):
    model = testnets.make("resnet", tmp_path / "r.onnx", fmt="qdq", prune=0.5)
    a, b = build(model, tmp_path / "a"), build(model, tmp_path / "b")
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert {"kernel/engine.cpp", "host/plan_tables.h", "hw/Makefile", "README.md"} <= {str(f) for f in files}
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors


def test_generated_code_compiles_strictly(tmp_path):
    """The XRT host against declarations of the XRT API, and the csim build of hw/Makefile,
    both with -Wall -Wextra -Werror; the chain net's kernel (convs only) has none of the optional units
    the plan does not count (resources.units_used): no max pool lanes, average pool path or add unit."""
    model = testnets.make("chain", tmp_path / "c.onnx", fmt="qop")
    out = build(model, tmp_path / "out")
    kernel = out / "kernel"
    for name, unit in (("pool_unit.h", "max_pool_rows("), ("pool_unit.h", "avg_tap("), ("engine.cpp", "add_layer("),
                       ("epilogue.h", "add_fma(")):
        assert unit not in (kernel / name).read_text(), unit
    decl = TEMPLATES / "host" / "xrt_decl"
    xrt = [out / "host" / f for f in ("host.cpp", "npy.cpp", "device_xrt.cpp")]
    cmd = [csim.CXX, "-std=c++17", "-fsyntax-only", *csim.WARNINGS, f"-I{decl}", f"-I{out / 'host'}", *map(str, xrt)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # the project's own Makefile builds and runs the csim host (same strict flags)
    make = ["make", "-s", "-C", str(out / "hw"), f"AP_INCLUDE={csim.ap_include()}"]
    done = subprocess.run(make + ["csim"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    x = testnets.random_input(model, n=2)
    np.save(tmp_path / "x.npy", x)
    done = subprocess.run(make + ["run_csim", f"INPUT={tmp_path / 'x.npy'}", f"OUTPUT={tmp_path / 'y.npy'}"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(np.load(tmp_path / "y.npy"), ort_run(model, x)[0])


def test_simulate_bad_input_exits_2(tmp_path, capsys):
    model = testnets.make("chain", tmp_path / "c.onnx", fmt="qop")
    out = build(model, tmp_path / "out")
    good = tmp_path / "x.npy"
    np.save(good, testnets.random_input(model, n=1))
    np.save(tmp_path / "wrong.npy", np.zeros((1, 2, 3, 4), np.float32))
    (tmp_path / "text.npy").write_text("not an array")
    (tmp_path / "empty").mkdir()
    cases = [
        (tmp_path / "nowhere", good, tmp_path / "y.npy"),
        (tmp_path / "empty", good, tmp_path / "y.npy"),
        (out, tmp_path / "wrong.npy", tmp_path / "y.npy"),
        (out, tmp_path / "text.npy", tmp_path / "y.npy"),
        (out, tmp_path / "missing.npy", tmp_path / "y.npy"),
        (out, good, tmp_path / "empty"),
    ]
    for project, x, y in cases:
        capsys.readouterr()
        assert cli.main(["simulate", str(project), "--engine", "csim", "--input", str(x), "--output", str(y)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name,prune,style", [("resnet20-cifar", 0.5, "group"), ("resnet20-cifar", 0.0, "group"),
                                             ("vgg16-cifar", 0.5, "group"), ("resnet18", 0.5, "group"),
                                             ("resnet20-cifar", 0.5, "group-removed"),
                                             ("resnet20-cifar", 0.5, "per-layer")])
def test_example_zoo_matches_onnxruntime(tmp_path, name, prune, style):
    """Example models at the target's default DSP budget (wide engines: PI = PO = 32 or 64); pruned by
    coupled groups (zeroed or removed by torch-pruning) or per layer."""
    model = tmp_path / "m.onnx"
    assert cli.main(["example", name, "--prune", str(prune), "--prune-style", style, "-o", str(model)]) == 0
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "-o", str(out)]) == 0
    assert csim_vs_ort(model, out, tmp_path, n=2) == 0


@pytest.mark.parametrize("target,platform,act,wgt,slr,activations", [
    ("alveo-u50", "xilinx_u50_", "HBM[0:1]", "HBM[2]", True, "auto"),   # two activation banks, weights in a third
    ("alveo-u250", "xilinx_u250_", "PLRAM[0]", "DDR[0]", True, "auto"),  # activations on chip, in SLR0's PLRAM
    ("alveo-u200", "xilinx_u200_", "DDR[0:1]", "DDR[2]", True, "off-chip"),
    ("zcu104", "xilinx_zcu104_", "HP0", "HP0", False, "auto"),
])
def test_vitis_files_follow_the_target(tmp_path, target, platform, act, wgt, slr, activations):
    model = testnets.make("chain", tmp_path / "c.onnx", fmt="qop")
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "--target", target, "--dsp-budget", "64", "--compute-units", "1",
                     "--activations", activations, "-o", str(out)]) == 0
    assert (out / "hw" / "plram.tcl").exists() == act.startswith("PLRAM")
    cfg = (out / "hw" / "connectivity.cfg").read_text()
    assert f"sp=hlsgen_engine_1.act_rd:{act}\n" in cfg and f"sp=hlsgen_engine_1.act_wr:{act}\n" in cfg
    assert f"sp=hlsgen_engine_1.wgt:{wgt}\n" in cfg and ("slr=hlsgen_engine_1:SLR0" in cfg) == slr
    assert f"PLATFORM ?= {platform}" in (out / "hw" / "Makefile").read_text()
    part = get_target(target)[1]["device"]["part"]
    assert f"set_part {part}\n" in (out / "hw" / "hls.tcl").read_text()


def test_batch_over_two_compute_units(tmp_path):
    """Two compute units on alveo-u200 (SLR0 and SLR2, each on banks of its own SLR first): the csim host
    spreads a batch of 5 over them (sample n on unit n % 2) and writes the outputs in order, equal to
    onnxruntime's; connectivity.cfg links two CUs, each placed in its SLR."""
    model = testnets.make("resnet", tmp_path / "r.onnx", fmt="qdq", prune=0.5)
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "--target", "alveo-u200", "--dsp-budget", "64", "--compute-units", "2",
                     "-o", str(out)]) == 0
    plan = plan_of(out)
    assert [cu["slr"] for cu in plan["compute_units"]] == ["SLR0", "SLR2"]
    cfg = (out / "hw" / "connectivity.cfg").read_text()
    assert "nk=hlsgen_engine:2:hlsgen_engine_1.hlsgen_engine_2\n" in cfg
    assert "slr=hlsgen_engine_1:SLR0\n" in cfg and "slr=hlsgen_engine_2:SLR2\n" in cfg
    assert csim_vs_ort(model, out, tmp_path, n=5) == 0
    exe = csim.build(out)
    done = subprocess.run([str(exe), "--weights", str(out / "weights.bin"), "--input", str(tmp_path / "x.npy"),
                           "--output", str(tmp_path / "y2.npy")], capture_output=True, text=True)
    assert done.returncode == 0 and "5 sample(s)" in done.stdout and "on 2 compute unit(s)" in done.stdout, done.stdout
    assert np.array_equal(np.load(tmp_path / "y2.npy"), np.load(tmp_path / "y.npy"))
