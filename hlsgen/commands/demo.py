"""hlsgen demo [-o DIR]: the whole flow on lenet-digits at 0, 50 and 75% pruning.

1. makes the three models (trained on scikit-learn's digits, pruned by L1 rank,
   fine-tuned, quantized through onnxruntime);
2. builds an accelerator for each on alveo-u200 and compares them (accuracy of the
   quantized model on the held-out digits, measured with the golden model);
3. simulates the smallest accelerator in Verilator and the others in C
   simulation on held-out digits, and checks every output against the golden model;
4. prints the comparison and where the report and plot are.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

from ..plan.plan_file import Plan
from ..report import compare as report
from ..util import Progress, check_writable_folder, is_owned, output_dir, require

LEVELS = (0.0, 0.5, 0.75)
TARGET = "alveo-u200"
# LeNet on 8x8 digits is tiny (0.15 M MACs): an engine of 16 DSPs (32 MACs per cycle) is sized for it, so
# that pruned channels turn into fewer cycles instead of idle lanes of a much larger array.
DSP_BUDGET = 16
CSIM_SAMPLES = 64
RTL_SAMPLES = 4


def _models(folder: Path, previous: Path) -> list:
    """The three models in FOLDER: made anew, or copied from PREVIOUS (the demo folder of an earlier
    run) when hlsgen wrote them there."""
    from ..examples.zoo import make_example
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in LEVELS:
        name = f"lenet-digits-p{int(round(100 * p)):02d}.onnx"
        path, old = folder / name, previous / "models" / name
        if old.is_file() and is_owned(previous, old):
            shutil.copy2(old, path)
        else:
            make_example("lenet-digits", prune=p, fmt="qop", out=path, progress=True,
                         prune_style="per-layer")
        paths.append(path)
    return paths


def _data(folder: Path) -> Path:
    from ..examples.zoo import digits_split
    x, y = digits_split()
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    return folder


def _check(project: Path, engine: str, x: np.ndarray, model: Path) -> int:
    """Mismatching output elements of ENGINE on X against the golden model of MODEL."""
    from .. import golden
    from ..frontend import load
    if engine == "csim":
        from ..sim import csim
        ys = csim.simulate(project, x)
    else:
        from ..sim import verilator
        ys = verilator.simulate(project, x)
    ref = golden.run(load(model), x)
    return int(sum(np.count_nonzero(a != b) for a, b in zip(ys, ref)))


def main(args) -> int:
    out = Path(args.output)
    check_writable_folder(out)
    for module, extra in (("torch", "examples"), ("sklearn", "examples"), ("verilator", "sim"), ("hls4ml", "sim")):
        require(module, extra, "hlsgen demo")
    sys.stderr.write(f"demo: lenet-digits at {', '.join(f'{p:.0%}' for p in LEVELS)} pruning, {TARGET}, "
                     f"--dsp-budget {DSP_BUDGET} -> {out}/\n")
    with output_dir(out) as tmp:
        checks, rows, clock = _run(tmp.resolve(), out.resolve())
    print(report.to_markdown(rows, TARGET, clock).split("\nPer-layer")[0])
    for c in checks:
        extra = f", {c['cycles_rtl']:,} cycles counted" if "cycles_rtl" in c else ""
        verdict = "bit-exact" if c["mismatches"] == 0 else f"{c['mismatches']} MISMATCHES"
        print(f"{c['model']}: {c['engine']} on {c['samples']} held-out digits vs golden model: {verdict}{extra}")
    print(f"\nreport: {out / 'compare' / 'compare.md'}\nplot:   {out / 'compare' / 'compare.png'}")
    return 0 if all(c["mismatches"] == 0 for c in checks) else 1


def _run(work: Path, previous: Path) -> tuple:
    """The demo's steps in the folder WORK; returns (checks, comparison rows, clock)."""
    from .compare import compare
    models = _models(work / "models", previous)
    data = _data(work / "data")
    rows = compare([str(m) for m in models], TARGET, DSP_BUDGET, work / "compare", data=str(data))
    x = np.load(data / "x.npy")
    smallest = min(range(len(rows)), key=lambda i: rows[i]["macs_live"])
    checks = []
    with Progress(len(rows), "simulate") as bar:
        for i, (row, model) in enumerate(zip(rows, models)):
            project = work / "compare" / row["model"]
            engine = "verilator" if i == smallest else "csim"
            n = RTL_SAMPLES if engine == "verilator" else CSIM_SAMPLES
            bad = _check(project, engine, x[:n], model)
            entry = {"model": row["model"], "engine": engine, "samples": n, "mismatches": bad}
            if engine == "verilator":
                sim = json.loads((project / "sim" / "verilator.json").read_text())
                entry["cycles_rtl"] = sim["cycles_total"]  # one inference (sample 0)
                row["cycles_rtl"] = entry["cycles_rtl"]
            checks.append(entry)
            bar.update(1, f"{row['model']} ({engine})")
    clock = Plan.load(work / "compare" / rows[0]["model"]).data.clock_mhz
    report.write(rows, work / "compare", TARGET, clock)
    (work / "compare" / "checks.json").write_text(json.dumps(checks, indent=1) + "\n")
    return checks, rows, clock
