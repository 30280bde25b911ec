"""The RTL kernel (rtl/hlsgen_rtl.v): the twin of the engine behind the AXI4-Lite control block, the command
walker and three AXI4 masters (and the on-chip weight store when weights are resident), as Vitis links it
(hw/kernel.xml, hw/package_xo.tcl).

Verilator runs it on whole nets through `hlsgen simulate --engine rtl-kernel` (AXI4 memories in Verilog,
the host's register writes over AXI4-Lite): outputs equal onnxruntime's and the engine's cycles equal
the model's, as for the twin on its memory models. One run drives it with cocotbext-axi's AXI4-Lite
master and AXI4 RAMs instead (sim/hlsgen_kernel_axi_cocotb.py). The new units lint clean.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from hlsgen import package_data
from hlsgen.emit import rtl
from hlsgen.examples import testnets
from hlsgen.golden.reference import ort_run
from hlsgen.plan import tiled
from hlsgen.plan.invocation import CMD_BYTES, command_offset, weight_memory
from hlsgen.plan.plan_file import Plan
from hlsgen.sim import verilator

from test_rtl import _build, _check_network

pytestmark = pytest.mark.hw
STREAMED = ("--weights", "streamed")


@pytest.fixture(scope="module")
def resnet(tmp_path_factory):
    """The residual test net, half its filters pruned, two pixel lanes, weights streamed: fused adds
    (two-segment act_rd streams), a stem, 1x1 and 3x3 convs, pools, Gemm."""
    model, out = _build(tmp_path_factory.mktemp("rtl_kernel"), "resnet", 0.5, array="2x4x4", extra=STREAMED)
    return model, out


def test_rtl_kernel_equals_onnxruntime_cycle_for_cycle(resnet):
    _check_network(*resnet, engine="rtl-kernel")


def test_rtl_kernel_with_resident_weights(tmp_path):
    """Resident weights: the preload command fills the on-chip store (128-byte lines) from 64-byte beats of
    the weight memory; then every layer as the model says, outputs equal onnxruntime's."""
    model, out = _build(tmp_path, "chain", 0.5, budget=128, array="1x16x8")
    ports = Plan.load(out).data.engine.ports
    assert ports["wgt"]["bytes_per_cycle"] > ports["preload"]["bytes_per_cycle"]
    _check_network(model, out, n=1, engine="rtl-kernel")


def test_rtl_kernel_with_epilogue_passes(tmp_path):
    """The deployed RTL kernel with 4 epilogue lanes for 8 outputs (every pixel group in 2 passes, fused
    adds): outputs equal onnxruntime's, cycles the model's."""
    model, out = _build(tmp_path, "resnet", 0.5, array="1x8x4", extra=("--epilogue-lanes", "4"))
    assert Plan.load(out).data.engine.epilogue_lanes == 4
    _check_network(model, out, n=1, engine="rtl-kernel")


@pytest.mark.slow
@pytest.mark.parametrize("kind,array", [("vgg", "1x8x4"), ("resnet", "4x2x2"), ("mobile", None), ("se", None)])
def test_rtl_kernel_on_more_nets(tmp_path, kind, array):
    """One pixel lane and four, wider words than lanes, depthwise windows, tables, the vector unit."""
    model = testnets.make(kind, tmp_path / f"{kind}.onnx", fmt="qdq", prune=0.5)
    out = tmp_path / "out"
    from hlsgen.cli import main as cli
    assert cli(["build", str(model), "--dsp-budget", "96", "--compute-units", "1", "-o", str(out), *STREAMED]
               + (["--array", array] if array else [])) == 0
    _check_network(model, out, n=1, engine="rtl-kernel")


def _lint(files, top=None, wall=True):
    verilator.verilator_env()
    cmd = ["verilator", "--lint-only", *(["-Wall"] if wall else ["-Wno-fatal"]), *map(str, files)]
    if top:
        cmd += ["--top-module", top]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_kernel_units_lint_clean():
    """Every static unit alone (the kernel's: control block, walker, AXI4 masters, store; the engine's:
    sequencer, buffers, arrays, epilogue, writer and their leaf modules), at its default parameters:
    no warning under verilator --lint-only -Wall."""
    rtl_dir = package_data.templates() / "rtl"
    engine_units = [rtl_dir / u for u in rtl.ENGINE_UNITS]
    for unit in rtl.KERNEL_UNITS + rtl.ENGINE_UNITS:
        r = _lint([rtl_dir / unit] + [u for u in engine_units if u.name != unit], top=unit[:-2])
        assert r.returncode == 0 and "%Warning" not in r.stderr, (unit, r.stderr[-3000:])


# plans whose engines use every optional unit between them: (test net, its format, build options)
LINT_PLANS = [("chain", "qop", ()),                                   # resident weights, no option
              ("chain", "qop", STREAMED),                             # streamed weights
              ("resnet", "qop", ("--array", "4x2x2", *STREAMED)),     # fused and standalone adds, 4 pixel lanes
              ("vgg", "qop", ("--array", "1x8x4",)),                  # average pool, fused max pool, 1 pixel lane
              ("se", "qdq", ()),                                      # map x vector, fused tables, adds
              ("dense", "qdq", ()),                                   # table layers
              ("chain", "qop", ("--dsp-budget", "128", "--array", "1x16x8")),   # 128-byte weight lines
              ("resnet", "qop", ("--array", "1x8x4", "--epilogue-lanes", "4")),    # epilogue in 2 passes, adds
              ("se", "qdq", ("--array", "2x4x4", "--epilogue-lanes", "4"))]        # 2 passes, mul, tables


def test_generated_engines_lint_clean(tmp_path):
    """The generated engine with its units, for plans that use every optional unit between them (add,
    average pool, fused max pool, mul, table memory, fused table; streamed and resident weights; one,
    two and four pixel lanes): no warning under verilator --lint-only -Wall."""
    from hlsgen.cli import main as cli
    used = set()
    for n, (kind, fmt, extra) in enumerate(LINT_PLANS):
        model = testnets.make(kind, tmp_path / f"{kind}{n}.onnx", fmt=fmt, prune=0.5)
        out = tmp_path / f"out{n}"
        assert cli(["build", str(model), "--dsp-budget", "96", "--compute-units", "1", "-o", str(out), *extra]) == 0
        cfg = rtl.config(Plan.load(out).data)
        used |= {u for u in ("add", "avgpool", "mul", "table", "ctab", "pool") if cfg[u]}
        r = _lint(rtl.engine_sources(out), top="hlsgen_engine")
        assert r.returncode == 0 and "%Warning" not in r.stderr, (kind, extra, r.stderr[-3000:])
    assert used == {"add", "avgpool", "mul", "table", "ctab", "pool"}


def test_rtl_waivers_are_few_and_explained():
    """At most 10 lint waivers in the whole RTL, each with its reason on the waived line(s)."""
    rtl_dir = package_data.templates() / "rtl"
    waivers = []
    for f in sorted(rtl_dir.iterdir()):
        lines = f.read_text().splitlines()
        for i, line in enumerate(lines):
            if "lint_off" in line:
                waivers.append(f.name)
                assert "//" in lines[i + 1] or "//" in line, f"{f.name}:{i + 1}: a waiver without its reason"
    assert len(waivers) <= 10, waivers


def test_kernel_top_elaborates(resnet):
    """The generated top with every unit it instantiates: Verilator elaborates it without an error."""
    _, out = resnet
    r = _lint(rtl.kernel_sources(out), top=rtl.KERNEL, wall=False)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "%Error" not in r.stderr


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")
def test_rtl_kernel_over_cocotbext_axi(tmp_path):
    """The kernel as the top, its host and memories cocotbext-axi's (AxiLiteMaster, AxiRamRead and
    AxiRamWrite on one shared activation memory, AxiRamRead for weights.bin and the command list) in
    Icarus, on a small net whose weights are resident (store lines of 128 bytes, preload beats of 64): the
    preload's commands as one kernel run (the
    on-chip store filled through the wgt master), then the whole frame's as ONE run; bit-exact with
    onnxruntime, the engine's cycles equal to the model's; the walker's own cycles per command printed."""
    import cocotbext.axi  # noqa: F401 - the test extra brings it
    from cocotb_tools.runner import get_results, get_runner
    model, out = _build(tmp_path, "chain", 0.5, budget=128, array="1x16x8")
    plan = Plan.load(out)
    ports = plan.data.engine.ports     # store lines wider than the preload port's beats
    assert plan.data.preload and ports["wgt"]["bytes_per_cycle"] > ports["preload"]["bytes_per_cycle"]
    cfg = rtl.ensure(plan.data, out, kernel=True)
    x = testnets.random_input(model, n=1)
    mem = tiled.host_input(plan, x)
    act = np.zeros(cfg["act_size"], np.uint8)
    act[:mem.a.shape[1]] = mem.a[0]
    np.save(tmp_path / "act_in.npy", act)
    preload, frame = plan.data.preload, plan.data.invocations
    offset = command_offset(len(plan.weights))
    wgt = np.zeros(cfg["wgt_size"], np.uint8)
    image = np.frombuffer(weight_memory(plan.weights, preload + frame), np.uint8)
    wgt[:len(image)] = image
    np.save(tmp_path / "wgt.npy", wgt)
    job = tmp_path / "job.json"
    job.write_text(json.dumps({
        "act_in": str(tmp_path / "act_in.npy"), "wgt_in": str(tmp_path / "wgt.npy"),
        "act_out": str(tmp_path / "act_out.npy"), "results": str(tmp_path / "results.json"),
        "runs": [[offset, len(preload)], [offset + CMD_BYTES * len(preload), len(frame)]]}))
    runner = get_runner("icarus")
    runner.build(sources=[str(s) for s in rtl.kernel_sources(out)], hdl_toplevel=rtl.KERNEL,
                 build_dir=str(tmp_path / "build"), always=True, log_file=str(tmp_path / "build.log"))
    with verilator._sim_on_path():
        results = runner.test(hdl_toplevel=rtl.KERNEL, test_module="hlsgen_kernel_axi_cocotb",
                              test_dir=str(tmp_path), build_dir=str(tmp_path / "build"),
                              results_xml=str(tmp_path / "results.xml"), extra_env={"HLSGEN_SIM_JOB": str(job)},
                              log_file=str(tmp_path / "sim.log"))
    total, failed = get_results(results)
    assert total == 1 and failed == 0, (tmp_path / "sim.log").read_text()[-3000:]
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["cycles"] == [plan.data.preload_cycles, plan.data.total_cycles]
    walk = (res["run_cycles"][1] - res["cycles"][1]) / len(frame)
    print(f"\n{len(frame)} commands in one run: engine {res['cycles'][1]} cycles (model {plan.data.total_cycles}), "
          f"run {res['run_cycles'][1]}: {walk:.1f} cycles per command outside the engine")
    kcfg = rtl.kernel_config(plan.data)         # a command: its read (the wgt master's latency, 4 beats), its words
    assert kcfg["ddr_lat"] < walk < kcfg["ddr_lat"] + 4 + 2 * kcfg["reg_words"]
    mem.a = np.load(tmp_path / "act_out.npy")[None, :mem.a.shape[1]]
    y = tiled.host_output(plan, mem)[0]
    assert np.array_equal(y, ort_run(model, x)[0])
