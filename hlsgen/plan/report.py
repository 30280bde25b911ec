"""report.md: the plan as a human reads it (per-layer table, totals, resources)."""
from __future__ import annotations

from .plan_types import PlanData


def _shape(s) -> str:
    return "x".join(str(v) for v in s)


def _cell(text: str) -> str:
    """A layer name as a table cell (names come from the model: escape the cell separator)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def conv_macs(d: PlanData) -> int:
    """Dense MACs of the conv layers of plan data D."""
    return sum(r["macs"] for r in d.layers if r["op"] == "conv")


def efficiency(d: PlanData) -> float:
    """Dense conv MACs / (MACs per cycle x total cycles): how busy the MAC array is (benchmarks/bench_plan.py)."""
    return conv_macs(d) / (d.engine.macs_per_cycle * d.total_cycles) if d.total_cycles else 0.0


RESOURCES = ("dsp", "lut", "ff", "bram36", "uram")


def render(d: PlanData) -> str:
    e = d.engine
    lines = [
        f"# hlsgen plan: {d.target_name} ({d.target}, platform {d.platform})",
        "",
        f"Engine: {e.array}.",
        f"PP={e.pp}, PO={e.po}, PI={e.pi}: {e.macs_per_cycle} int8 MACs/cycle at {d.clock_mhz:g} MHz "
        f"(DSP budget {d.dsp_budget}). Input buffer {e.in_buf_bytes} bytes (one copy per pixel lane), "
        "weight double buffer "
        f"{e.w_buf_bytes} bytes. Ports (bytes/cycle): "
        + ", ".join(f"{k} {v['bytes_per_cycle']} ({v.get('bank') or ' + '.join(v['banks'])})"
                    for k, v in e.ports.items())
        + (f"; act_rd and act_wr {e.ports['act_rd']['shared_bytes_per_cycle']} when an invocation reads "
           "and writes the same activation bank." if len(e.ports["act_rd"]["banks"]) > 1 else "."),
        f"Weights: {e.weights}"
        + (f"; the preload takes {d.preload_cycles} cycles once per model (not per frame)." if d.preload
           else "."),
        f"Graph: {d.compaction}.",
        "",
        "| layer | op | in | out | channels live/total | MACs dense | MACs live | invocations | cycles | bound | utilization |",
        "|---|---|---|---|---|---:|---:|---:|---:|---|---:|",
    ]
    notes = []
    for r in d.layers:
        note = f"fused into {r['fused_into']}" if "fused_into" in r else r["bound"]
        if r.get("stem"):
            note += " (stem, host im2col)"
        if "fused_into" in r and r["op"] == "maxpool":
            note += " (epilogue max pool)"
        if r.get("note"):
            notes.append(f"{r['name']}: {r['note']}.")
        util = f"{r['utilization']:.2f}" if "utilization" in r else ""
        lines.append(f"| {_cell(r['name'])} | {r['op']} | {_shape(r['in_shape'])} | {_shape(r['out_shape'])} | "
                     f"{r['channels_live']}/{r['channels_total']} | {r['macs']} | {r['macs_live']} | "
                     f"{r['invocations']} | {r['cycles']} | {note} | {util} |")
    eff = d.macs / (e.macs_per_cycle * d.total_cycles) if d.total_cycles else 0.0
    res, avail, cus = d.resources, d.resources_available, d.compute_units
    lines += [""] + notes if notes else []
    lines += [
        "",
        f"Totals: {d.total_cycles} cycles per image: batch-1 latency {d.latency_ms:.4g} ms; throughput "
        f"{d.fps:.1f} fps with {len(cus)} compute unit(s) each running its own images ({d.fps_per_cu:.1f} "
        f"each) at {d.clock_mhz:g} MHz. MACs dense {d.macs}, live {d.macs_live}; "
        f"efficiency (dense MACs / (MACs per cycle x cycles)) {eff:.3f}.",
        f"Memory: activations {d.act_bytes} bytes ("
        + (f"on chip, in each unit's PLRAM of {e.act_mem_bytes} bytes" if e.act_mem_bytes else "off chip")
        + "; maps whose lives do not overlap share addresses), "
        f"weights.bin {d.weights_bytes} bytes (per compute unit), "
        f"{len(d.invocations)} invocations.",
        "",
        "Compute units (one engine each, inside one SLR; hw/connectivity.cfg places them):",
        "",
        "| unit | SLR | memory banks (activations + weights) | " + " | ".join(RESOURCES) + " |",
        "|---|---|---|" + "---:|" * len(RESOURCES),
    ]
    for i, cu in enumerate(cus):
        lines.append(f"| {i + 1} | {cu.slr} | {' '.join(cu.act_banks)} + {cu.wgt_bank} | "
                     + " | ".join(f"{res[k]} ({cu.use[k]:.0%})" for k in RESOURCES) + " |")
    lines += [
        "",
        "| resource | one engine | all units | available (user region) | share |",
        "|---|---:|---:|---:|---:|",
    ]
    for k in RESOURCES:
        lines.append(f"| {k} | {res[k]} | {res[k] * len(cus)} | {avail[k]} | {res[k] * len(cus) / avail[k]:.1%} |")
    if d.guidance is not None:
        lines += _guidance(d)
    return "\n".join(lines) + "\n"


def _guidance(d: PlanData) -> list:
    """Pruning guidance: per channel group (the convs writing one set of tied channels), its live
    channels against the lanes and the cycles saved at the next lower multiple (measured by re-planning)."""
    e = d.engine
    lines = ["", "## Pruning guidance", "",
             f"The engine rounds channels up to its lanes (PO={e.po} output channels per group, PI={e.pi} "
             "input channels per word). Per channel group: its live channels, the next lower multiple of the "
             "lanes, and the cycles this plan saves when the group is pruned down to it (the narrower model "
             f"planned on the same {e.pp}x{e.po}x{e.pi} array). Largest saving first; "
             "`hlsgen example --round-to N` prunes to multiples from the start.", "",
             "| layers (coupled) | channels live | lanes | prune | to | cycles | saved |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for s in d.guidance:
        more = f" (+{len(s['layers']) - 1})" if len(s["layers"]) > 1 else ""
        lines.append(f"| {_cell(s['layers'][0])}{more} | {s['channels']} | {s['lanes']} | {s['prune']} | {s['to']} | "
                     f"{s['cycles']} | {s['cycles_saved']} |")
    if not d.guidance:
        lines.append("| (no channel group can shrink to a lower multiple) | | | | | | |")
    return lines
