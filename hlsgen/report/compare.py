"""Compare accelerators built for several models (typically one network at several pruning levels).

Input: one row per model (a dict with the keys of compare.json's ``models`` entries plus
``layers``, the per-layer cycles from plan.json). Output: compare.json, compare.md, compare.png.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROW_KEYS = ("model", "macs", "macs_live", "params_live", "cycles", "fps", "speedup", "mac_reduction",
            "conversion", "resources")


def finish_rows(rows: list) -> list:
    """Add ``speedup`` (cycles of the first model / cycles of this one), ``pruning``, ``mac_reduction``
    (live MACs of the first model / this one's) and ``conversion`` (speedup / MAC reduction: the share
    of the MACs pruned away that the hardware turns into fewer cycles; 1.0 is ideal)."""
    base, base_macs = rows[0]["cycles"], rows[0]["macs_live"]
    for r in rows:
        r["speedup"] = round(base / r["cycles"], 4) if r["cycles"] else None
        r["pruning"] = round(1.0 - r["macs_live"] / r["macs"], 4) if r["macs"] else 0.0
        r["mac_reduction"] = round(base_macs / r["macs_live"], 4) if r["macs_live"] else None
        r["conversion"] = (round(r["speedup"] / r["mac_reduction"], 4)
                           if r["speedup"] and r["mac_reduction"] else None)
    return rows


def _times(v) -> str:
    return f"{v:.2f}x" if v is not None else "-"


def _conversion(v) -> str:
    return f"{v:.2f}" if v is not None else "-"


def to_json(rows: list, target: str, clock_mhz: float) -> dict:
    models = []
    for r in rows:
        entry = {k: r[k] for k in ROW_KEYS}
        entry["pruning"] = r["pruning"]
        for optional in ("accuracy", "cycles_rtl", "mismatches"):
            if optional in r:
                entry[optional] = r[optional]
        models.append(entry)
    return {"target": target, "clock_mhz": clock_mhz, "models": models}


def to_markdown(rows: list, target: str, clock_mhz: float) -> str:
    has_acc = any("accuracy" in r for r in rows)
    has_rtl = any("cycles_rtl" in r for r in rows)
    head = ["model", "MAC pruning", "MACs (dense)", "MACs (live)", "params (live)", "cycles"]
    if has_rtl:
        head.append("cycles (RTL)")
    head += ["fps", "speedup", "MAC reduction", "conversion", "DSP", "LUT", "BRAM36", "URAM"]
    if has_acc:
        head.append("accuracy")
    lines = [f"# Comparison on {target} at {clock_mhz:g} MHz", "",
             "conversion = speedup / MAC reduction, both against the first model: the share of the pruned "
             "MACs that became fewer cycles (1.00 is ideal). Every model is planned with as many compute units "
             "as the first one.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        res = r["resources"]
        cells = [r["model"], f"{100 * r['pruning']:.1f}%", f"{r['macs']:,}", f"{r['macs_live']:,}",
                 f"{r['params_live']:,}", f"{r['cycles']:,}"]
        if has_rtl:
            cells.append(f"{r['cycles_rtl']:,}" if "cycles_rtl" in r else "-")
        cells += [f"{r['fps']:,.1f}", _times(r["speedup"]), _times(r["mac_reduction"]),
                  _conversion(r["conversion"]), str(res.get("dsp", "-")),
                  str(res.get("lut", "-")), str(res.get("bram36", "-")), str(res.get("uram", "-"))]
        if has_acc:
            cells.append(f"{100 * r['accuracy']:.2f}%" if "accuracy" in r else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Per-layer cycles:", ""]
    names = _layer_names(rows)
    lines.append("| layer | " + " | ".join(r["model"] for r in rows) + " |")
    lines.append("|" + "---|" * (len(rows) + 1))
    for name in names:
        cells = [str(dict(r["layers"]).get(name, "-")) for r in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _layer_names(rows: list) -> list:
    names = []
    for r in rows:
        for name, _ in r["layers"]:
            if name not in names:
                names.append(name)
    return names


def plot(rows: list, path: Path, target: str) -> None:
    """Two panels: cycles and fps against pruning level; per-layer cycles of each model."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['model']}\n({100 * r['pruning']:.0f}% MACs pruned)" for r in rows]
    xs = range(len(rows))
    fig, (ax1, ax3) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1, 1.6]})
    bars = ax1.bar(xs, [r["cycles"] for r in rows], color="#4C72B0", label="cycles (model)")
    if any("cycles_rtl" in r for r in rows):
        ax1.plot([x for x, r in zip(xs, rows) if "cycles_rtl" in r],
                 [r["cycles_rtl"] for r in rows if "cycles_rtl" in r],
                 "kD", label="cycles (Verilator)")
    ax1.bar_label(bars, labels=[f"{r['cycles']:,}\n{_times(r['speedup'])} / {_times(r['mac_reduction'])} MACs\n"
                                f"conversion {_conversion(r['conversion'])}" for r in rows], fontsize=7)
    ax1.margins(y=0.25)
    ax1.set_xticks(list(xs), labels, fontsize=8)
    ax1.set_ylabel("cycles per inference")
    ax1.set_title(f"Cycles and fps by pruning level ({target})")
    ax2 = ax1.twinx()
    ax2.plot(list(xs), [r["fps"] for r in rows], "o-", color="#DD8452", label="fps")
    ax2.set_ylabel("frames per second", color="#DD8452")
    ax2.set_ylim(bottom=0)
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper center", fontsize=8)

    names = _layer_names(rows)
    width = 0.8 / len(rows)
    for i, r in enumerate(rows):
        d = dict(r["layers"])
        ax3.bar([j + i * width for j in range(len(names))], [d.get(n, 0) for n in names],
                width, label=r["model"])
    ax3.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=60,
                   ha="right", fontsize=7)
    ax3.set_ylabel("cycles")
    ax3.set_title("Cycles per layer")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(rows: list, folder: Path, target: str, clock_mhz: float) -> None:
    folder = Path(folder)
    (folder / "compare.json").write_text(json.dumps(to_json(rows, target, clock_mhz), indent=2) + "\n")
    (folder / "compare.md").write_text(to_markdown(rows, target, clock_mhz))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        sys.stderr.write("compare: no compare.png (matplotlib is not installed: pip install 'hlsgen[plots]')\n")
        return
    plot(rows, folder / "compare.png", target)
