"""The sweep's report: sweep.md (one row per point, failed points with their reason) and pareto.png
(fps against DSPs, one colour per model, one marker per target, each model's Pareto front drawn).

Input: the points of sweep.json (hlsgen.sweep) and the keys of the Pareto points (``sweep.pareto``).
"""
from __future__ import annotations

from ..sweep import key

MARKERS = "osD^v<>pP*hX"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(points: list, front: set) -> str:
    ok = [p for p in points if "error" not in p]
    failed = [p for p in points if "error" in p]
    head = ["model", "target", "DSP budget", "array", "cycles", "fps", "latency (ms)", "DSP", "LUT", "BRAM36",
            "URAM", "MACs (dense)", "MACs (live)", "efficiency", "Pareto"]
    lines = [f"# Design-space sweep: {len(points)} points, {len(failed)} failed", "",
             "efficiency = dense conv MACs / (MACs per cycle x cycles); Pareto: no other point of the model "
             "has more fps with as few DSPs (or as many fps with fewer).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in ok:
        cells = [_cell(p["model"]), p["target"], str(p["dsp_budget"]), p["array"], f"{p['cycles']:,}",
                 f"{p['fps']:,.1f}", f"{p['latency_ms']:.4f}", str(p["dsp"]), str(p["lut"]), str(p["bram36"]),
                 str(p["uram"]), f"{p['macs']:,}", f"{p['macs_live']:,}", f"{p['efficiency']:.3f}",
                 "*" if key(p) in front else ""]
        lines.append("| " + " | ".join(cells) + " |")
    if failed:
        lines += ["", "Failed points:", "", "| model | target | DSP budget | array | reason |", "|---|---|---|---|---|"]
        for p in failed:
            lines.append(f"| {_cell(p['model'])} | {p['target']} | {p['dsp_budget']} | {p['array_option']} | "
                         f"{_cell(p['error'])} |")
    return "\n".join(lines) + "\n"


def plot(points: list, front: set, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [p for p in points if "error" not in p]
    models = list(dict.fromkeys(p["model"] for p in ok))
    targets = list(dict.fromkeys(p["target"] for p in ok))
    fig, ax = plt.subplots(figsize=(9, 6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, model in enumerate(models):
        color = colors[i % len(colors)]
        mine = [p for p in ok if p["model"] == model]
        for p in mine:
            ax.scatter(p["dsp"], p["fps"], color=color, alpha=0.75,
                       marker=MARKERS[targets.index(p["target"]) % len(MARKERS)])
        best = sorted((p for p in mine if key(p) in front), key=lambda p: p["dsp"])
        ax.plot([p["dsp"] for p in best], [p["fps"] for p in best], "-", color=color, linewidth=1.5,
                label=f"{model}: Pareto front ({len(best)} points)")
        ax.scatter([p["dsp"] for p in best], [p["fps"] for p in best], s=140, facecolors="none",
                   edgecolors=color, linewidths=1.5)
    for j, target in enumerate(targets):
        ax.scatter([], [], color="gray", marker=MARKERS[j % len(MARKERS)], label=target)
    if ok:
        from matplotlib.ticker import FuncFormatter, LogLocator
        plain = FuncFormatter(lambda v, _: f"{v:,.0f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):       # labels at 1, 2 and 5 x 10^k: readable within one decade too
            axis.set_major_formatter(plain)
            axis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
            axis.set_minor_formatter(plain)
        ax.tick_params(which="minor", labelsize=7)
    ax.set_xlabel("DSPs (engine estimate)")
    ax.set_ylabel("frames per second (batch 1)")
    failed = len(points) - len(ok)
    ax.set_title(f"Sweep: fps against DSPs, {len(ok)} points" + (f" ({failed} failed, not shown)" if failed else ""))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
