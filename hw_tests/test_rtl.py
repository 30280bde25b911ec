"""RTL twin: structure of the generated Verilog, and whole networks in Verilator vs onnxruntime.

The network tests go through the command line (`hlsgen build`, `hlsgen simulate
--engine verilator`), compare the outputs with onnxruntime (0 mismatches) and the
simulated cycles with the cycle model (equal per layer and in total; the table is
printed).
"""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from pyverilog.vparser import ast as vast
from pyverilog.vparser.parser import VerilogCodeParser

from hlsgen.cli import main as cli
from hlsgen.emit import rtl
from hlsgen.examples import testnets
from hlsgen.golden.reference import ort_run
from hlsgen.plan.invocation import REGISTERS, REGISTER_OFFSETS
from hlsgen.plan.plan_file import Plan
from hlsgen.sim import csim, verilator


def _build(tmp_path, kind, prune, budget=None, array=None, extra=(), **size):
    model = testnets.make(kind, tmp_path / f"{kind}.onnx", prune=prune, **size)
    # resnet: 96, set when an add lane took 10 DSPs (4 now); kept, so the engines stay those verified
    budget = budget or (96 if kind == "resnet" else 32)
    out = tmp_path / "out"
    assert cli(["build", str(model), "--dsp-budget", str(budget), "--compute-units", "1", "-o", str(out)]
               + (["--array", array] if array else []) + list(extra)) == 0
    if array:
        e = json.loads((out / "plan.json").read_text())["engine"]
        assert f"{e['pp']}x{e['po']}x{e['pi']}" == array
    return model, out


@pytest.fixture(scope="module")
def vgg(tmp_path_factory):
    """The VGG-style test net, half its filters pruned, built with a 32-DSP budget: the planner picks
    2 pixel lanes, and its 2x2 max pool runs fused in the conv epilogue."""
    model, out = _build(tmp_path_factory.mktemp("rtl_vgg"), "vgg", 0.5)
    plan = json.loads((out / "plan.json").read_text())
    assert plan["engine"]["pp"] >= 2
    assert any(i["kind"] == "conv" and i["pool_k"] for i in plan["invocations"])
    return model, out


def _width(node) -> int:
    return int(node.width.msb.value) - int(node.width.lsb.value) + 1 if node.width else 1


def parse(files, workdir):
    """pyverilog's parse, with its preprocessor output and parser tables in WORKDIR (not the shared cwd)."""
    parser = VerilogCodeParser(files, preprocess_output=str(workdir / "preprocess.output"),
                               outputdir=str(workdir), debug=False)
    return parser.parse(), parser.get_directives()


def test_generated_rtl_matches_the_plan(vgg, tmp_path):
    """pyverilog parses the engine and its units; its ports and register file are the plan's; iverilog and
    yosys read it."""
    _, out = vgg
    plan = Plan.load(out)
    cfg = rtl.config(plan.data)
    engine_v = out / "rtl" / rtl.ENGINE_FILE
    files = [str(f) for f in rtl.engine_sources(out)]
    ast, _ = parse(files + [str(verilator.SIM_DIR / s) for s in verilator.SIM_SOURCES], tmp_path)
    mods = {d.name: d for d in ast.description.definitions if isinstance(d, vast.ModuleDef)}
    assert {"hlsgen_engine", "hlsgen_requant", "hlsgen_mac_pair", "hlsgen_mem",
            "hlsgen_tb_top"} <= set(mods)
    ports = {p.first.name: (type(p.first).__name__, _width(p.first)) for p in mods["hlsgen_engine"].portlist.ports}
    e = plan.data.engine
    pp, pi, po = e.pp, e.pi, e.po
    assert ports["ar_data"] == ("Input", 8 * e.ports["act_rd"]["bytes_per_cycle"])
    assert ports["wr_data"] == ("Input", 8 * e.ports["wgt"]["bytes_per_cycle"])
    assert ports["aw_data"] == ("Output", 8 * pp * po)           # one write lane per pixel lane
    assert ports["aw_addr"] == ("Output", 32 * pp)
    assert ports["aw_wen"] == ("Output", pp * po // pi)
    assert ports["reg_addr"] == ("Input", cfg["reg_addr_bits"])
    assert (REGISTER_OFFSETS[REGISTERS[-1].name] // 4 + REGISTERS[-1].words - 1) < 2 ** cfg["reg_addr_bits"]
    regs = {}
    for item in mods["hlsgen_engine"].items:
        if isinstance(item, vast.Decl):
            for d in item.list:
                if isinstance(d, vast.Reg) and d.name.startswith("f_"):
                    regs[d.name[2:]] = (_width(d), bool(d.signed))
    assert regs == {f.name: (f.bits, f.signed) for f in REGISTERS}
    # every register word is decoded at its offset
    text = engine_v.read_text()
    for f in REGISTERS:
        for w in range(f.words):
            assert f"{REGISTER_OFFSETS[f.name] // 4 + w}: f_{f.name}" in text
    assert f"localparam PP = {pp}, PI = {pi}, PO = {po}" in text
    # the optional units are the plan's engine.units (the resource model counts the same)
    assert f"localparam ADD = {int(e.units['add'])}, AVGPOOL = {int(e.units['avgpool'])}," in text
    subprocess.run(["iverilog", "-g2001", "-o", str(out / "iverilog.vvp"), *files,
                    *[str(verilator.SIM_DIR / s) for s in verilator.SIM_SOURCES]], check=True)
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {' '.join(files)}; hierarchy -check -top hlsgen_engine"],
                   check=True)


def _check_csim(model, out, folder, n=2):
    """`hlsgen simulate --engine csim` on N random images of MODEL's built project OUT: bit-exact with
    onnxruntime."""
    x = testnets.random_input(model, n=n)
    np.save(folder / "x.npy", x)
    assert cli(["simulate", str(out), "--engine", "csim", "--input", str(folder / "x.npy"),
                "--output", str(folder / "y.npy")]) == 0
    assert np.array_equal(np.load(folder / "y.npy"), ort_run(model, x)[0])


def _check_network(model, out, n=2, engine="verilator"):
    """`hlsgen simulate --engine ENGINE` (verilator: the twin; rtl-kernel: the RTL kernel over AXI) on N
    random images: outputs equal onnxruntime's, cycles equal the model's per layer and in total."""
    x = testnets.random_input(model, n=n)
    xin, yout = out / "x.npy", out / "y.npy"
    np.save(xin, x)
    plan = json.loads((out / "plan.json").read_text())
    convs = [r["name"] for r in plan["layers"] if r.get("cycles")][:2]
    assert cli(["simulate", str(out), "--engine", engine, "--input", str(xin), "--output", str(yout)]) == 0
    y, ref = np.load(yout), ort_run(model, x)[0]
    assert y.shape == ref.shape
    assert int((y != ref).sum()) == 0, f"{engine} output differs from onnxruntime"
    report = verilator.report_file(out, engine == "rtl-kernel")
    rep = json.loads(report.read_text())
    assert {"cycles_total", "layers", "sim_seconds", "cycles_per_second"} <= set(rep)
    model_cycles = {r["name"]: r.get("cycles", 0) for r in plan["layers"]}
    assert [r["name"] for r in rep["layers"]] == [r["name"] for r in plan["layers"]]
    print(f"\n{'layer':48s} {'rtl':>9s} {'model':>9s} {'diff':>7s}")
    for r in rep["layers"] + [{"name": "total", "cycles": rep["cycles_total"]}]:
        m = plan["total_cycles"] if r["name"] == "total" else model_cycles[r["name"]]
        d = (r["cycles"] - m) / m if m else float(r["cycles"] != 0)
        print(f"{r['name'][-48:]:48s} {r['cycles']:9d} {m:9d} {100 * d:+6.2f}%")
        assert r["cycles"] == m, r["name"]                    # ENGINE.md section 5, cycle for cycle
    print(f"preload (once per model): rtl {rep['preload_cycles']}, model {rep['model_preload_cycles']}")
    assert rep["preload_cycles"] == rep["model_preload_cycles"]
    print(f"{rep['cycles_per_second']:.0f} simulated cycles/s")
    # --layers restricts the report (the simulator is not compiled again)
    assert cli(["simulate", str(out), "--engine", engine, "--input", str(xin), "--output", str(yout),
                "--layers", ",".join(convs)]) == 0
    rep = json.loads(report.read_text())
    assert [r["name"] for r in rep["layers"]] == convs


@pytest.mark.hw
def test_vgg_in_verilator_equals_onnxruntime(vgg):
    """Pixel lanes; 1x1, 3x3 and 5x5 kernels, average pooling, a max pool fused into its conv, Gemm."""
    _check_network(*vgg)


@pytest.mark.hw
def test_unknown_layer_name_is_a_user_error(vgg, capsys):
    model, out = vgg
    np.save(out / "x1.npy", testnets.random_input(model, n=1))
    assert cli(["simulate", str(out), "--engine", "verilator", "--input", str(out / "x1.npy"),
                "--output", str(out / "y1.npy"), "--layers", "no_such_layer"]) == 2
    assert "no_such_layer" in capsys.readouterr().err


@pytest.mark.hw
@pytest.mark.slow
@pytest.mark.parametrize("kind,array", [("resnet", None), ("resnet", "1x8x4"), ("resnet", "4x2x2"),
                                        ("resnet", "3x8x4"), ("vgg", "1x8x4"), ("vgg", "4x2x2")])
def test_network_in_verilator_equals_onnxruntime(tmp_path, kind, array):
    """ResNet: stem (im2col), 3x3 and 1x1 convs, stride 2, fused residual adds, a maxpool that does not
    fuse, global pool, Gemm; both nets with the planner's array and with 1, 3 and 4 pixel lanes (3: flat
    pixel groups that wrap into the next row, with and without a fused add)."""
    _check_network(*_build(tmp_path, kind, 0.5, array=array))


@pytest.mark.hw
@pytest.mark.slow
def test_wider_resnet_in_verilator_equals_onnxruntime(tmp_path):
    _check_network(*_build(tmp_path, "resnet", 0.25, width=24, hw=24))


@pytest.mark.hw
@pytest.mark.slow
def test_trace_writes_a_waveform(tmp_path):
    model, out = _build(tmp_path, "chain", 0.5)
    np.save(tmp_path / "x.npy", testnets.random_input(model, n=1))
    assert cli(["simulate", str(out), "--engine", "verilator", "--input", str(tmp_path / "x.npy"),
                "--output", str(tmp_path / "y.npy"), "--trace"]) == 0
    rep = json.loads((out / "sim" / "verilator.json").read_text())
    fst = out / "sim" / "run_trace" / "dump.fst"
    assert rep["trace"] == str(fst) and fst.stat().st_size > 1000


@pytest.mark.parametrize("kind,array,weights", [
    ("vgg", "3x24x8", "auto"),                      # CI: PP = 3, PO = 24, resident (store lines of 64 bytes)
    pytest.param("resnet", "1x48x16", "streamed", marks=pytest.mark.slow),    # PO = 48: 768-byte weight rows
    pytest.param("chain", "5x24x8", "auto", marks=pytest.mark.slow),
])
def test_shapes_beyond_powers_of_two(tmp_path, kind, array, weights):
    """Engine shapes that are not powers of two (PP any up to 8, PO any multiple of PI whose weight row is
    whole 64-byte beats): C simulation and the twin in Verilator equal onnxruntime, the twin's cycles equal
    the model's."""
    model, out = _build(tmp_path, kind, 0.5, budget=2000, array=array, extra=("--weights", weights))
    x = testnets.random_input(model, n=2)
    (y,), (want,) = csim.simulate(out, x), ort_run(model, x)
    assert int(np.count_nonzero(y != want)) == 0
    _check_network(model, out, n=2)


@pytest.mark.hw
@pytest.mark.parametrize("kind,array,lanes,activations", [
    ("resnet", "3x8x4", 12, "off-chip"),            # CI: fused residual adds, NC = 2 passes, flat pixel groups
                                                    # wrapping rows (16, 8, 4 columns on 3 lanes); two DDR banks
    pytest.param("vgg", "4x2x2", 2, "auto", marks=pytest.mark.slow),       # fused max pool, 4 passes
    pytest.param("hswish", "2x4x4", 4, "auto", marks=pytest.mark.slow),    # fused tables, 2 passes
])
def test_epilogue_lanes_in_verilator(tmp_path, kind, array, lanes, activations):
    """An epilogue of fewer lanes than outputs (ENGINE.md section 1, "Epilogue lanes"): a pixel group's
    outputs in PP*PO/E passes; the twin equals onnxruntime and counts the model's cycles. The CI case keeps
    the activations off chip, in two DDR banks (most invocations read one and write the other), the others
    on chip (one PLRAM read and written at once)."""
    model, out = _build(tmp_path, kind, 0.5, array=array,
                        extra=("--epilogue-lanes", str(lanes), "--activations", activations))
    plan = json.loads((out / "plan.json").read_text())
    e = plan["engine"]
    assert e["epilogue_lanes"] == lanes < e["pp"] * e["po"]
    split = sum(i["rd_bank"] != i["wr_bank"] for i in plan["invocations"])
    assert (split > len(plan["invocations"]) // 2) if activations == "off-chip" else (split == 0)
    _check_network(model, out)
