"""Benchmark: simulated cycles per second of the cocotb-driven RTL twin vs a bare Verilator harness.

Both runs play the same plan (a pruned ResNet-style test net, --dsp-budget 32,
a batch of inputs) on the same design (the engine between its memory models and
the simulation host, hlsgen_tb_top) in the same session: the cocotb bench through
cocotb's runner (hlsgen.sim.verilator), and a C++ main (`verilator --exe`) that
hands over the same register images, waits for the same done pulses and does the
same memory loads/dumps. The figure is
engine cycles (the cycle counter) per wall-clock second of each simulator
process; goal: cocotb / bare >= 0.5.

    python benchmarks/bench_verilator.py [--hw 32] [--batch 4]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from hlsgen.cli import main as cli
from hlsgen.emit import rtl
from hlsgen.examples import testnets
from hlsgen.plan.plan_file import Plan
from hlsgen.sim import verilator

MAIN_CPP = r"""
// Bare harness: plays job.txt (samples, then per invocation its register words) on hlsgen_tb_top.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include "Vhlsgen_tb_top.h"
#include "verilated.h"

static VerilatedContext* ctx;
static Vhlsgen_tb_top* top;
// the top generates its clock (period 10): one cycle = two time slots of Verilator's scheduler
static void step() { ctx->time(top->nextTimeSlot()); top->eval(); }
static void tick() { step(); step(); }
static void pulse(unsigned char& sig) { sig = 1; top->eval(); sig = 0; top->eval(); }

int main(int argc, char** argv) {
    ctx = new VerilatedContext;
    ctx->commandArgs(argc, argv);
    top = new Vhlsgen_tb_top{ctx};
    top->eval();
    std::ifstream job("job.txt");
    int samples;
    std::string wgt;
    job >> samples >> wgt;
    std::vector<std::string> in(samples), out(samples);
    for (int s = 0; s < samples; s++) job >> in[s] >> out[s];
    auto read_list = [&]() {
        int count; job >> count;
        std::vector<std::vector<unsigned>> list(count);
        for (auto& r : list) { int n; job >> n; r.resize(n); for (auto& v : r) job >> v; }
        return list;
    };
    auto regs = read_list(), preload = read_list();
    unsigned long long total = 0;
    auto play = [&](const std::vector<unsigned>& r) {
        for (unsigned a = 0; a < r.size(); a++) top->host_regs[a] = r[a];
        top->host_go = 1; tick(); top->host_go = 0;
        while (!top->done) step();
        total += top->cycles;
    };
    top->rst = 1; tick(); tick(); top->rst = 0;
    for (int s = 0; s < samples; s++) {
        std::filesystem::copy_file(in[s], "act_in.hex", std::filesystem::copy_options::overwrite_existing);
        std::filesystem::copy_file(wgt, "wgt_in.hex", std::filesystem::copy_options::overwrite_existing);
        pulse(top->load);
        if (s == 0) for (auto& r : preload) play(r);   // resident weights: once per model
        for (auto& r : regs) play(r);
        pulse(top->dump);
        std::filesystem::copy_file("act_out.hex", out[s], std::filesystem::copy_options::overwrite_existing);
    }
    std::printf("%llu\n", total);
    delete top;
    delete ctx;
    return 0;
}
"""


def build_bare(project: Path, cfg: dict) -> Path:
    """The same design compiled with a C++ main instead of cocotb's VPI harness."""
    verilator.verilator_env()
    bdir = project / "sim" / "bare"
    bdir.mkdir(parents=True, exist_ok=True)
    (bdir / "main.cpp").write_text(MAIN_CPP)
    params = [f"-G{k}={v}" for k, v in verilator.parameters(cfg).items()]
    subprocess.run(["verilator", "--cc", "--exe", "--build", "-j", "2", *verilator.BUILD_ARGS,
                    "--top-module", verilator.TOP, "-Mdir", str(bdir), "-o", "bare", *params, str(bdir / "main.cpp"),
                    *[str(s) for s in verilator.sources(project)]],
                   check=True, stdout=subprocess.DEVNULL)
    return bdir / "bare"


def run_bare(exe: Path, project: Path) -> tuple:
    """Run the bare harness on the job the cocotb run wrote; returns (engine cycles, seconds)."""
    run = project / "sim" / "run"
    job = json.loads((run / "job.json").read_text())
    bare_dir = project / "sim" / "bare_run"
    bare_dir.mkdir(exist_ok=True)
    lines = [f"{len(job['samples'])} {job['wgt_in']}"]
    lines += [f"{s['act_in']} {bare_dir / Path(s['act_out']).name}" for s in job["samples"]]
    for key in ("registers", "preload"):
        lines.append(str(len(job[key])))
        lines += [" ".join(map(str, [len(r)] + r)) for r in job[key]]
    (bare_dir / "job.txt").write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    res = subprocess.run([str(exe)], cwd=bare_dir, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    for s in job["samples"]:       # same design, same inputs: the same final memories
        assert (bare_dir / Path(s["act_out"]).name).read_text() == Path(s["act_out"]).read_text()
    return int(res.stdout.split()[-1]), seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hw", type=int, default=32, help="input height/width of the test net")
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = testnets.make("resnet", tmp / "resnet.onnx", prune=0.5, hw=args.hw)
        out = tmp / "out"
        assert cli(["build", str(model), "--dsp-budget", "32", "-o", str(out)]) == 0
        x = testnets.random_input(model, n=args.batch)
        np.save(tmp / "x.npy", x)
        t0 = time.perf_counter()
        assert cli(["simulate", str(out), "--engine", "verilator", "--input", str(tmp / "x.npy"),
                    "--output", str(tmp / "y.npy")]) == 0
        print(f"cocotb run incl. compile: {time.perf_counter() - t0:.1f} s")
        assert cli(["simulate", str(out), "--engine", "verilator", "--input", str(tmp / "x.npy"),
                    "--output", str(tmp / "y.npy")]) == 0          # compiled: time the run alone
        rep = json.loads((out / "sim" / "verilator.json").read_text())
        cyc = rep["cycles_total"] * args.batch + rep["preload_cycles"]
        cocotb_cps = cyc / rep["sim_seconds"]
        xml = ET.parse(out / "sim" / "run" / "results.xml").find(".//testcase")
        test_s = float(xml.get("time"))
        data = Plan.load(out).data
        exe = build_bare(out, rtl.config(data))
        bare_cycles, bare_s = run_bare(exe, out)
        assert bare_cycles == cyc, (bare_cycles, cyc)
        bare_cps = bare_cycles / bare_s
        print(f"design: PP={data.engine.pp} PI={data.engine.pi} PO={data.engine.po}, {len(data.invocations)} "
              f"invocations x {args.batch} samples, {cyc} engine cycles")
        print(f"cocotb run (simulator process, runner + bench): {rep['sim_seconds']:8.3f} s "
              f"{cocotb_cps:12.0f} cycles/s")
        print(f"  of which the cocotb test itself:               {test_s:8.3f} s {cyc / test_s:12.0f} cycles/s")
        print(f"bare Verilator C++ main (whole process):         {bare_s:8.3f} s {bare_cps:12.0f} cycles/s")
        print(f"ratio cocotb / bare, whole processes: {cocotb_cps / bare_cps:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
