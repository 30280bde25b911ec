"""Planner benchmark: engine efficiency against HLSinf's schedule with the same multipliers.

For int8 ResNet-50, ResNet-18 (3x224x224) and VGG-16/CIFAR (hlsgen.examples.zoo), batch 1,
alveo-u200, default DSP budget, prints side by side, measured in this run:

* efficiency = dense conv MACs / (macs_per_cycle x total_cycles)   (goal >= 0.80)
* HLSinf's schedule: sum over conv layers of ceil(O/CPO)*ceil(I/CPI)*(H+2)*(W+2), 1x1 padded
  to 3x3, with CPI*CPO*9 multipliers (the largest powers of two within the engine's multipliers);
  its efficiency = dense conv MACs / (CPI*CPO*9 x its cycles)
* VGG-16/CIFAR with 50% of the filters zeroed: cycle speedup over unpruned vs MAC reduction
  (goal: speedup >= 0.9 x reduction)
* planning time of ResNet-50 (goal <= 5 s), projected fps beside the Vitis AI DPU on U200
  (ResNet-50, 1054 fps with two DPUCADF8H cores).

Models are cached in $HLSGEN_BENCH_CACHE (default: a folder under the system temp dir).
Run: python benchmarks/bench_plan.py
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

from hlsgen.examples.zoo import make_example
from hlsgen.frontend import load
from hlsgen.plan import cycles, make_plan
from hlsgen.plan.engine import Engine, get_target

TARGET = "alveo-u200"
DPU_U200_RESNET50_FPS = 1054
NETS = [("resnet50", 0.0), ("resnet18", 0.0), ("vgg16-cifar", 0.0), ("vgg16-cifar", 0.5)]


def model(name: str, prune: float) -> Path:
    cache = Path(os.environ.get("HLSGEN_BENCH_CACHE", Path(tempfile.gettempdir()) / "hlsgen-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}-p{prune:g}.onnx"
    if not path.exists():
        make_example(name, prune=prune, out=str(path))
    return path


def hlsinf(graph, multipliers: int) -> dict:
    """HLSinf's cycle estimate with CPI*CPO*9 <= multipliers (powers of two, CPI <= CPO)."""
    best = max(((cpi, cpo) for cpi in (2 ** i for i in range(1, 9)) for cpo in (2 ** i for i in range(1, 10))
                if cpi <= cpo and cpi * cpo * 9 <= multipliers), key=lambda s: (s[0] * s[1], s[0]))
    cpi, cpo = best
    cycles = 0
    for layer in graph.layers:
        if layer.op != "conv":
            continue
        o = layer.params["w"].shape[0]
        i, h, w = graph.tensor(layer.inputs[0]).shape
        cycles += math.ceil(o / cpo) * math.ceil(i / cpi) * (h + 2) * (w + 2)
    return {"cpi": cpi, "cpo": cpo, "multipliers": cpi * cpo * 9, "cycles": cycles}


# The proposed engine change (not in ENGINE.md yet): weights resident in an on-chip URAM store
# read 512 bytes/cycle (loaded once per model, not per frame), and the activation memory interleaved
# over two DDR banks so act_rd and act_wr each get a whole bank (64 bytes/cycle at 300 MHz).
PROPOSED_WGT = {"bytes_per_cycle": 512, "latency": 4}
PROPOSED_ACT = 64


def proposed_cycles(plan, resident=True, two_banks=True) -> int:
    """Total cycles of the same invocations under the proposed ports (same cycle model)."""
    e = plan.data["engine"]
    ports = {k: dict(v) for k, v in e["ports"].items()}
    if resident:
        ports["wgt"].update(PROPOSED_WGT)
    if two_banks:
        ports["act_rd"]["bytes_per_cycle"] = ports["act_wr"]["bytes_per_cycle"] = PROPOSED_ACT
    eng = Engine(e["pi"], e["po"], e["macs_per_dsp"], ports, e["in_buf_bytes"], e["w_buf_bytes"], e["timing"])
    return cycles.total_cycles(eng, plan.invocations)


def onchip_room(plan) -> int:
    """Bytes of user-region BRAM + URAM left after the engine's buffers."""
    user = get_target(plan.data["target"])[1]["user"]
    e = plan.data["engine"]
    return user["bram36"] * 4608 + user["uram"] * 36864 - e["in_buf_bytes"] - e["w_buf_bytes"]


def conv_macs(plan_data) -> int:
    return sum(r["macs"] for r in plan_data["layers"] if r["op"] == "conv")


def main() -> int:
    rows, results, whatif = [], {}, []
    for name, prune in NETS:
        path = model(name, prune)
        graph = load(path)
        t0 = time.perf_counter()
        plan = make_plan(graph, target=TARGET)
        seconds = time.perf_counter() - t0
        d = plan.data
        mpc = d["engine"]["macs_per_cycle"]
        dense = conv_macs(d)
        eff = dense / (mpc * d["total_cycles"])
        h = hlsinf(graph, mpc)
        h_eff = dense / (h["multipliers"] * h["cycles"])
        results[name, prune] = d
        label = f"{name}" + (f" pruned {prune:g}" if prune else "")
        rows.append((label, d, eff, h, h_eff, seconds))
        whatif.append((label, d, dense, [proposed_cycles(plan, True, False), proposed_cycles(plan, False, True),
                                         proposed_cycles(plan)], onchip_room(plan)))
    print(f"target {TARGET}, default DSP budget, batch 1")
    print(f"{'network':24s} {'PIxPO':>8s} {'MAC/cyc':>7s} {'cycles':>10s} {'fps':>8s} {'eff':>6s} "
          f"{'HLSinf CPIxCPO':>14s} {'HLSinf cycles':>13s} {'HLSinf eff':>10s} {'speedup':>7s} {'plan s':>6s}")
    for label, d, eff, h, h_eff, seconds in rows:
        e = d["engine"]
        print(f"{label:24s} {e['pi']:>3d}x{e['po']:<4d} {e['macs_per_cycle']:>7d} {d['total_cycles']:>10d} "
              f"{d['fps']:>8.1f} {eff:>6.3f} {h['cpi']:>6d}x{h['cpo']:<7d} {h['cycles']:>13d} {h_eff:>10.3f} "
              f"{h['cycles'] / d['total_cycles']:>7.2f} {seconds:>6.2f}")
    print()
    for label, d, eff, *_ in rows:
        if "pruned" not in label:
            print(f"efficiency goal >= 0.80: {label}: {eff:.3f} ({'met' if eff >= 0.8 else 'MISSED by %.3f' % (0.8 - eff)})")
    dense, pruned = results["vgg16-cifar", 0.0], results["vgg16-cifar", 0.5]
    speedup = dense["total_cycles"] / pruned["total_cycles"]
    reduction = dense["macs_live"] / pruned["macs_live"]
    print(f"vgg16-cifar 50% filters zeroed: MAC reduction {reduction:.2f}x, cycle speedup {speedup:.2f}x, "
          f"ratio {speedup / reduction:.2f} (goal >= 0.90: {'met' if speedup >= 0.9 * reduction else 'MISSED'})")
    r50 = next(r for r in rows if r[0] == "resnet50")
    print(f"planning resnet50: {r50[5]:.2f} s (goal <= 5 s)")
    print(f"resnet50 projected fps at {r50[1]['clock_mhz']:g} MHz: {r50[1]['fps']:.1f} "
          f"(Vitis AI DPU on U200, two DPUCADF8H cores: {DPU_U200_RESNET50_FPS} fps)")
    bounds = {}
    for r in r50[1]["layers"]:
        if r.get("cycles"):
            bounds[r["bound"]] = bounds.get(r["bound"], 0) + r["cycles"]
    print("resnet50 cycles by bound: " + ", ".join(f"{k} {v}" for k, v in sorted(bounds.items())))
    print()
    graph50 = load(model("resnet50", 0.0))
    print("resnet50 budget sweep (the planner picks the fastest shape; smaller arrays are less memory-bound):")
    for budget in (160, 576, 1152, 2304):
        d = make_plan(graph50, target=TARGET, dsp_budget=budget).data
        e = d["engine"]
        print(f"  budget {budget:5d}: {e['pi']}x{e['po']} {e['macs_per_cycle']:5d} MACs/cycle, {d['total_cycles']} cycles, "
              f"{d['fps']:.1f} fps, efficiency {conv_macs(d) / (e['macs_per_cycle'] * d['total_cycles']):.3f}")
    print()
    print("proposed engine change, same invocations and cycle model: efficiency with (a) weights resident "
          "on chip (512 B/cycle), (b) activations over two banks (64 B/cycle each), (a)+(b)")
    for label, d, dense, (a, b, ab), room in whatif:
        mpc = d["engine"]["macs_per_cycle"]
        effs = " ".join(f"{dense / (mpc * c):.3f}" for c in (a, b, ab))
        print(f"{label:24s} {effs}   weights {d['weights_bytes']} bytes, on-chip room {room} bytes "
              f"({'fits' if d['weights_bytes'] <= room else 'does not fit'})")
    d0, d1 = whatif[2], whatif[3]
    print(f"vgg16-cifar pruned, (a)+(b): speedup {d0[3][2] / d1[3][2]:.2f}x for MAC reduction "
          f"{d0[1]['macs_live'] / d1[1]['macs_live']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
