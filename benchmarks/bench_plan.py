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
* the memory system step by step, same run and cycle model: weights streamed from DDR (64
  bytes/cycle) and one shared activation bank (act_rd / act_wr 32 bytes/cycle each), as in
  round 1; weights as planned (resident when they fit) with one bank; two activation banks off chip
  where the CU has them (an invocation reads one and writes the other); and the activations on chip
  in each CU's PLRAM (64 bytes/cycle each way at once: the default plan), with the bytes they take.
* pruned residual nets: ResNet-50 at 50% pruned by coupled groups (torch-pruning), channels removed
  and zeroed in place: cycles, speedup / MAC reduction (conversion, goal >= 0.9), and where the
  cycles go per layer: the ideal (live MACs / MACs per cycle), channel-lane rounding (ceil(C/PI),
  ceil(C/PO), the stem's packed words), pixel-lane rounding (ceil(n/PP) pixel groups), the output bound
  (c_px = ceil(PP*PO/BO) or the epilogue's PP*PO/E passes above k*k*tap_cw), waits (input, residual,
  weight streams), the fixed cost per invocation, vector ops; and the bound this memory system sets: per layer max(ideal, memory
  traffic) with perfect overlap and no rounding, plus the vector ops.
* every Alveo card (cards()): compute units one per SLR, each inside its SLR, batch-1 latency and
  throughput for ResNet-50, ResNet-18 and VGG-16/CIFAR, throughput against the budget's ideal
  (goal >= 0.8 for ResNet-50), and the SLR resource that limits each engine.
* the efficient families (DSP efficiency = model MACs / (cycles x 2 int8 MACs x the plan's DSPs), the
  figure the depthwise/grouped goals use: MobileNetV2 >= 0.5, ResNeXt-50 >= 0.6, RegNetX-400MF >= 0.5),
  MobileNetV3-Small beside them, and MobileNetV2 pruned 50% by coupled groups, zeroed vs removed.

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
from hlsgen.plan import engine as eng_mod
from hlsgen.plan.compute_units import RESOURCE_KEYS
from hlsgen.plan.invocation import Invocation
from hlsgen.plan.plan_types import EngineData, PlanData
from hlsgen.plan.report import conv_macs

TARGET = "alveo-u200"
DPU_U200_RESNET50_FPS = 1054
NETS = [("resnet50", 0.0), ("resnet18", 0.0), ("vgg16-cifar", 0.0), ("vgg16-cifar", 0.5)]


def model(name: str, prune: float, style: str = "group") -> Path:
    cache = Path(os.environ.get("HLSGEN_BENCH_CACHE", Path(tempfile.gettempdir()) / "hlsgen-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}-p{prune:g}-{style}.onnx"
    if not path.exists():
        make_example(name, prune=prune, out=str(path), prune_style=style)
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


def one_bank_cycles(plan) -> int:
    """Total cycles of the plan's invocations with act_rd and act_wr sharing one bank."""
    eng = plan.data.engine.engine()
    return sum(cycles.invocation(eng, Invocation(inv.layer, inv.kind, dict(inv.fields, wr_bank=inv["rd_bank"])))
               ["cycles"] for inv in plan.data.invocations)


def shape(e: EngineData) -> str:
    """PPxPOxPI/E: the array and the epilogue's lanes."""
    return f"{e.pp}x{e.po}x{e.pi}/{e.epilogue_lanes}"


def single_pixel_lane(graph):
    """The plan the planner picks when the array has one pixel lane (PP = 1), as before pixel lanes."""
    real = eng_mod.candidates
    try:
        eng_mod.candidates = lambda budget, per, add=False: [s for s in real(budget, per, add) if s[0] == 1]
        return make_plan(graph, target=TARGET)
    finally:
        eng_mod.candidates = real


def main() -> int:
    rows, results, before, whatif = [], {}, {}, []
    for name, prune in NETS:
        path = model(name, prune)
        graph = load(path)
        t0 = time.perf_counter()
        plan = make_plan(graph, target=TARGET)
        seconds = time.perf_counter() - t0
        d = plan.data
        streamed = make_plan(graph, target=TARGET, weights="streamed", activations="off-chip")
        off = make_plan(graph, target=TARGET, activations="off-chip")
        before[name, prune] = (one_bank_cycles(streamed), one_bank_cycles(off), off.data.total_cycles)
        mpc = d.engine.macs_per_cycle
        dense = conv_macs(d)
        eff = dense / (mpc * d.total_cycles)
        h = hlsinf(graph, mpc)
        h_eff = dense / (h["multipliers"] * h["cycles"])
        results[name, prune] = d
        label = f"{name}" + (f" pruned {prune:g}" if prune else "")
        rows.append((label, d, eff, h, h_eff, seconds))
        whatif.append((label, d, dense))
    print(f"target {TARGET}, default DSP budget, batch 1")
    print(f"{'network':24s} {'PPxPOxPI/E':>12s} {'MAC/cyc':>7s} {'cycles':>10s} {'fps':>8s} {'eff':>6s} "
          f"{'HLSinf CPIxCPO':>14s} {'HLSinf cycles':>13s} {'HLSinf eff':>10s} {'speedup':>7s} {'plan s':>6s}")
    for label, d, eff, h, h_eff, seconds in rows:
        e = d.engine
        print(f"{label:24s} {shape(e):>12s} {e.macs_per_cycle:>7d} {d.total_cycles:>10d} "
              f"{d.fps:>8.1f} {eff:>6.3f} {h['cpi']:>6d}x{h['cpo']:<7d} {h['cycles']:>13d} {h_eff:>10.3f} "
              f"{h['cycles'] / d.total_cycles:>7.2f} {seconds:>6.2f}")
    print()
    for label, d, eff, *_ in rows:
        if "pruned" not in label:
            print(f"efficiency goal >= 0.80: {label}: {eff:.3f} ({'met' if eff >= 0.8 else 'MISSED by %.3f' % (0.8 - eff)})")
    dense, pruned = results["vgg16-cifar", 0.0], results["vgg16-cifar", 0.5]
    speedup = dense.total_cycles / pruned.total_cycles
    reduction = dense.macs_live / pruned.macs_live
    print(f"vgg16-cifar 50% filters zeroed: MAC reduction {reduction:.2f}x, cycle speedup {speedup:.2f}x, "
          f"ratio {speedup / reduction:.2f} (goal >= 0.90: {'met' if speedup >= 0.9 * reduction else 'MISSED'})")
    r50 = next(r for r in rows if r[0] == "resnet50")
    print(f"planning resnet50: {r50[5]:.2f} s (goal <= 5 s)")
    print(f"resnet50 projected fps at {r50[1].clock_mhz:g} MHz: {r50[1].fps:.1f} "
          f"(Vitis AI DPU on U200, two DPUCADF8H cores: {DPU_U200_RESNET50_FPS} fps)")
    bounds = {}
    for r in r50[1].layers:
        if r.get("cycles"):
            bounds[r["bound"]] = bounds.get(r["bound"], 0) + r["cycles"]
    print("resnet50 cycles by bound: " + ", ".join(f"{k} {v}" for k, v in sorted(bounds.items())))
    print()
    graph50 = load(model("resnet50", 0.0))
    print("resnet50 budget sweep (the planner picks the fastest shape; smaller arrays are less memory-bound):")
    for budget in (160, 576, 1152, 2304):
        d = make_plan(graph50, target=TARGET, dsp_budget=budget).data
        e = d.engine
        print(f"  budget {budget:5d}: {shape(e)} {e.macs_per_cycle:5d} MACs/cycle, {d.total_cycles} cycles, "
              f"{d.fps:.1f} fps, efficiency {conv_macs(d) / (e.macs_per_cycle * d.total_cycles):.3f}")
    print()
    print("memory system step by step (cycles; same run, same cycle model, each step with the engine the planner "
          "picks for it): weights streamed + one activation bank (round 1) / weights as planned + one bank / "
          "+ two banks off chip / activations on chip in each CU's PLRAM (the plan)")
    print(f"{'network':24s} {'streamed, 1 bank':>16s} {'1 bank':>10s} {'off chip':>10s} {'on chip':>10s} "
          f"{'speedup':>7s} {'act bytes':>9s} {'PLRAM':>8s} {'URAM':>9s} {'preload cycles':>14s}")
    steps = {}
    for label, d, dense in whatif:
        key = ("vgg16-cifar", 0.5) if "pruned" in label else (label, 0.0)
        b_one, r_one, off = before[key]
        steps[key] = (b_one, r_one, off, d.total_cycles)
        print(f"{label:24s} {b_one:>16d} {r_one:>10d} {off:>10d} {d.total_cycles:>10d} {off / d.total_cycles:>6.3f}x "
              f"{d.act_bytes:>9d} {d.engine.act_mem_bytes:>8d} "
              f"{d.resources['uram']:>4d}/{d.resources_available['uram']:<4d} {d.preload_cycles:>14d}")
    s0, s1 = steps["vgg16-cifar", 0.0], steps["vgg16-cifar", 0.5]
    print("vgg16-cifar 50% filters zeroed, cycle speedup per step: "
          + " / ".join(f"{a / b:.2f}x" for a, b in zip(s0, s1)) + f" for MAC reduction {reduction:.2f}x")
    print()
    print("pixel lanes: the same plans with one pixel lane (PP = 1, max pools still fused):")
    one = {}
    for key in (("vgg16-cifar", 0.0), ("vgg16-cifar", 0.5)):
        d1 = single_pixel_lane(load(model(*key))).data
        one[key] = d1.total_cycles
        print(f"  {key[0]} pruned {key[1]:g}: {shape(d1.engine)} {d1.total_cycles} cycles "
              f"(with pixel lanes: {shape(results[key].engine)} {results[key].total_cycles})")
    s1 = one["vgg16-cifar", 0.0] / one["vgg16-cifar", 0.5]
    print(f"  vgg16-cifar 50% filters zeroed with PP = 1: speedup {s1:.2f}x, ratio {s1 / reduction:.2f}")
    print()
    pruned_residual(results["resnet50", 0.0])
    print()
    families()
    print()
    cards()
    return 0


CARDS = ("alveo-u200", "alveo-u250", "alveo-u280", "alveo-u50", "alveo-u55c")
CARD_NETS = ("resnet50", "resnet18", "vgg16-cifar")


def cards() -> None:
    """Every Alveo target, default budget: compute units one per SLR, each inside its SLR; batch-1
    latency beside throughput; throughput against the budget's ideal (budget DSPs x 2 int8 MACs x
    clock / model MACs; goal >= 0.8 for ResNet-50); the SLR resource each CU uses most."""
    print("cards, default budget, batch 1 latency and throughput (every compute unit inside one SLR; "
          "ideal = budget DSPs x 2 x clock / MACs):")
    print(f"  {'target':11s} {'network':12s} {'CUs':>3s} {'SLRs':14s} {'PPxPOxPI/E':>12s} {'latency ms':>10s} "
          f"{'fps':>9s} {'ideal fps':>9s} {'ratio':>6s} {'1 CU fps':>9s}  most-used SLR resource per CU")
    for key in CARDS:
        for name in CARD_NETS:
            graph = load(model(name, 0.0))
            d = make_plan(graph, target=key).data
            one = make_plan(graph, target=key, compute_units=1).data
            cus = d.compute_units
            ideal = d.dsp_budget * 2 * d.clock_mhz * 1e6 / d.macs
            worst = max(RESOURCE_KEYS, key=lambda k: cus[0].use[k])
            print(f"  {key:11s} {name:12s} {len(cus):>3d} {','.join(c.slr for c in cus):14s} "
                  f"{shape(d.engine):>12s} {d.latency_ms:>10.3f} {d.fps:>9.1f} {ideal:>9.1f} "
                  f"{d.fps / ideal:>6.3f} {one.fps:>9.1f}  {worst} {cus[0].use[worst]:.0%} "
                  f"(dsp {cus[0].use['dsp']:.0%})")


FAMILY_GOALS = (("mobilenet-v2", 0.5), ("resnext50", 0.6), ("regnetx-400mf", 0.5), ("mobilenet-v3-small", None))


def dsp_efficiency(d: PlanData) -> float:
    return d.macs / (d.total_cycles * 2 * d.resources["dsp"])


def families() -> None:
    """Depthwise and grouped convs (each output group reads only its input window), tables, SE."""
    print("efficient families, alveo-u200, default budget, 224x224 (DSP efficiency = MACs / (cycles x 2 x DSPs); "
          "memory-system bound: the same with every conv at max(ideal, its memory traffic), layer by layer):")
    for name, goal in FAMILY_GOALS:
        d = make_plan(load(model(name, 0.0)), target=TARGET).data
        eff = dsp_efficiency(d)
        verdict = "" if goal is None else f"  goal >= {goal}: " + ("met" if eff >= goal else f"MISSED by {goal - eff:.3f}")
        bound = d.macs / (memory_bound(d) * 2 * d.resources["dsp"])
        print(f"  {name:20s} {shape(d.engine):>12s} {d.resources['dsp']:5d} DSPs {d.total_cycles:>9d} cycles "
              f"{d.fps:>8.1f} fps  DSP efficiency {eff:.3f} (memory-system bound {bound:.3f}){verdict}")
    plans = {style: make_plan(load(model("mobilenet-v2", 0.5, style)), target=TARGET).data
             for style in ("group", "group-removed")}
    z, r = plans["group"].total_cycles, plans["group-removed"].total_cycles
    print(f"  mobilenet-v2 pruned 50% by coupled groups: zeroed {z} cycles, removed {r} cycles "
          f"({100 * (z - r) / r:+.2f}%, goal within 2%)")


LOSSES = ("ideal", "lanes", "pixels", "write", "waits", "overhead", "vector")


def losses(plan_data) -> list:
    """Per layer with cycles: (name, op, cycles, {loss: cycles}) with the cycles split into LOSSES."""
    e = plan_data.engine
    eng = e.engine()
    fixed = e.timing["pipeline_latency"] + e.timing["invocation_overhead"]
    by_layer = {}
    for inv in plan_data.invocations:
        by_layer.setdefault(inv.layer, []).append(inv)
    out = []
    for r in plan_data.layers:
        if not r.get("cycles"):
            continue
        part = dict.fromkeys(LOSSES, 0.0)
        if r["op"] not in ("conv", "gemm"):
            part["vector"] = r["cycles"]
        else:
            part["ideal"] = r["macs_live"] / e.macs_per_cycle
            for inv in by_layer[r["name"]]:
                f = inv.fields
                pixels = (f["oy1"] - f["oy0"]) * f["out_w"] * max(f["pool_k"], 1)
                taps = f["groups"] * f["k"] * f["k"] * f["tap_cw"]
                exact = taps * pixels / e.pp
                rounded = taps * sum(cycles.pixel_groups(e.pp, f))
                c_px = max(f["k"] * f["k"] * f["tap_cw"], math.ceil(e.pp * e.po / eng.bpc("act_wr", f)),
                           eng.epi_passes)
                written = rounded * c_px / (f["k"] * f["k"] * f["tap_cw"])
                part["lanes"] += exact
                part["pixels"] += rounded - exact
                part["write"] += written - rounded
                part["overhead"] += fixed
                part["waits"] += cycles.invocation(eng, inv)["cycles"] - written - fixed
            part["lanes"] -= part["ideal"]
        out.append((r["name"], r["op"], r["cycles"], part))
    return out


def memory_bound(plan_data) -> float:
    """Cycles with every conv at max(ideal, its memory traffic) (perfect overlap, no rounding) plus the
    vector ops as planned: what this memory system allows whatever the array and schedule."""
    mpc = plan_data.engine.macs_per_cycle
    return sum(max(r["macs_live"] / mpc, r["memory_cycles"]) if r["op"] in ("conv", "gemm") else r["cycles"]
               for r in plan_data.layers if r.get("cycles"))


def pruned_residual(dense) -> None:
    """ResNet-50 at 50% by coupled groups: conversion, zeroed vs removed, where the cycles go."""
    print("resnet50 pruned 50% by coupled groups (torch-pruning DependencyGraph), alveo-u200, default budget:")
    plans = {}
    for style in ("group-removed", "group"):
        plans[style] = make_plan(load(model("resnet50", 0.5, style)), target=TARGET).data
    removed, zeroed = plans["group-removed"], plans["group"]
    for style, d in plans.items():
        speedup = dense.total_cycles / d.total_cycles
        reduction = dense.macs_live / d.macs_live
        print(f"  {style:14s} {shape(d.engine)}: MACs {dense.macs_live:,} -> {d.macs_live:,} "
              f"({reduction:.2f}x fewer), cycles {dense.total_cycles:,} -> {d.total_cycles:,} ({speedup:.2f}x), "
              f"conversion {speedup / reduction:.3f} (goal >= 0.90: {'met' if speedup >= 0.9 * reduction else 'MISSED'})")
    diff = zeroed.total_cycles / removed.total_cycles - 1
    print(f"  zeroed in place vs removed: {diff:+.2%} cycles (goal within 2%)")
    rows = losses(removed)
    print("  where the cycles go, per layer (channels removed):")
    print(f"  {'layer':42s} {'op':8s} {'cycles':>8s} " + " ".join(f"{k:>8s}" for k in LOSSES))
    total = dict.fromkeys(LOSSES, 0.0)
    for name, op, c, part in rows:
        for k in LOSSES:
            total[k] += part[k]
        print(f"  {name[-42:]:42s} {op:8s} {c:>8d} " + " ".join(f"{part[k]:>8.0f}" for k in LOSSES))
    print(f"  {'total':42s} {'':8s} {removed.total_cycles:>8d} " + " ".join(f"{total[k]:>8.0f}" for k in LOSSES))
    print("  dense, same split: " + ", ".join(f"{k} {v:.0f}" for k, v in
                                            ((k, sum(p[k] for *_, p in losses(dense))) for k in LOSSES)))
    bound_d, bound_p = memory_bound(dense), memory_bound(removed)
    best = (dense.total_cycles / bound_p) / (dense.macs_live / removed.macs_live)
    print(f"  memory-system bound (per conv max(ideal, traffic), perfect overlap, + vector ops): dense {bound_d:,.0f}, "
          f"pruned {bound_p:,.0f} cycles; conversion at that bound against today's dense plan: {best:.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
