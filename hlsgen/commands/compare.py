"""hlsgen compare M1 M2 ... --target T [--dsp-budget N] [--simulate verilator] [--data DIR [--workers N]] -o DIR.

Builds an accelerator for every model (DIR/<model>/, as 'hlsgen build' does), and
writes DIR/compare.json, DIR/compare.md and DIR/compare.png: MACs, live
parameters, cycles, fps, speedup over the first model, resources (every model planned with as many
compute units as the first one gets, so cycles and fps compare on the same layout); the accuracy
of the quantized model (golden model) when --data holds labelled inputs
(x.npy, y.npy), computed on Dask workers with --workers N or --scheduler (hlsgen.cluster);
the cycles the Verilator simulation counts with --simulate.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .. import cluster
from ..errors import UserError
from ..report import compare as report
from ..emit import write_project
from ..plan.plan_types import PlanData
from ..util import Progress, output_dir


def load_data(folder) -> tuple:
    """(x float32, y int) from FOLDER/x.npy and FOLDER/y.npy."""
    folder = Path(folder)
    arrays = []
    for name in ("x.npy", "y.npy"):
        path = folder / name
        if not path.is_file():
            raise UserError(f"--data {folder}: no {name} (expected x.npy inputs and y.npy labels)")
        try:
            arrays.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError, EOFError):
            raise UserError(f"--data {path}: not a readable .npy array") from None
    x, y = arrays
    if len(x) != len(y) or y.ndim != 1 or not len(y):
        raise UserError(f"--data {folder}: x.npy has {len(x)} samples, y.npy shape {y.shape}")
    return x.astype(np.float32), y.astype(np.int64)


def model_row(model: str, graph, plan) -> dict:
    """The comparison row of one model from its plan (and its compaction report)."""
    from ..prune import compact
    _, pruning = compact(graph)
    d = plan.data
    return {"model": Path(model).stem, "path": str(model), "macs": d.macs, "macs_live": d.macs_live,
            "params_live": pruning["totals"]["params_live"], "cycles": d.total_cycles, "fps": d.fps,
            "resources": d.resources,
            "engine": f"PP={d.engine.pp} PO={d.engine.po} PI={d.engine.pi}",
            "layers": [(r["name"], r["cycles"]) for r in d.layers if r.get("cycles")]}


def correct(graph, x: np.ndarray, y: np.ndarray) -> int:
    """How many of the inputs X the quantized model (golden model) classifies as their labels Y."""
    from .. import golden
    logits = golden.run(graph, x)[0]
    return int((logits.reshape(len(x), -1).argmax(1) == y).sum())


def accuracy(graph, x: np.ndarray, y: np.ndarray) -> float:
    return correct(graph, x, y) / len(x)


def accuracies(pool, graphs: list, x: np.ndarray, y: np.ndarray) -> list:
    """accuracy() of each graph, the labelled set split over POOL's workers."""
    parts = cluster.spans(len(x), pool.n_workers)
    data = [(pool.share(x[a:b]), y[a:b]) for a, b in parts]
    shared = [pool.share(g) for g in graphs]
    counts = pool.ordered(correct, [(g, xs, ys) for g in shared for xs, ys in data])
    return [sum(counts[i * len(parts):(i + 1) * len(parts)]) / len(x) for i in range(len(graphs))]


def simulate_rtl(project: Path, x: np.ndarray, graph) -> dict:
    """Verilator run on X: simulated cycles of one inference and mismatches against the golden model."""
    import json

    from .. import golden
    from ..sim import verilator
    ys = verilator.simulate(project, x)
    ref = golden.run(graph, x)
    mismatches = int(sum(np.count_nonzero(a != b) for a, b in zip(ys, ref)))
    sim = json.loads((project / "sim" / "verilator.json").read_text())
    return {"cycles_rtl": int(sim["cycles_total"]), "mismatches": mismatches}


def compare(models, target, dsp_budget, out, data=None, simulate=None, pool=None) -> list:
    """POOL (hlsgen.cluster): where the accuracy over DATA is computed (default: this process)."""
    from ..frontend import load
    from ..plan import make_plan

    names = [Path(m).stem for m in models]
    if len(set(names)) != len(names):
        raise UserError("models: two models share a file name; give them distinct names")
    xy = load_data(data) if data else None
    rows, graphs, units = [], [], None
    with output_dir(out) as tmp, Progress(len(models), "compare") as bar:
        for model in models:
            graph = load(model)
            plan = make_plan(graph, target=target, dsp_budget=dsp_budget, compute_units=units)
            units = len(plan.data.compute_units)      # the first model's layout for every model
            project = tmp / Path(model).stem
            with output_dir(project) as sub:      # each project its own manifest (simulate adds to it)
                write_project(plan, sub)
            row = model_row(model, graph, plan)
            if simulate == "verilator":
                x = xy[0][:2] if xy is not None else _random_input(plan.data)
                row.update(simulate_rtl(project, x, graph))
            rows.append(row)
            graphs.append(graph)
            bar.update(1, Path(model).stem)
        if xy is not None:
            for row, acc in zip(rows, accuracies(pool or cluster.Pool(), graphs, *xy)):
                row["accuracy"] = acc
        report.finish_rows(rows)
        report.write(rows, tmp, plan.data.target, plan.data.clock_mhz)
    return rows


def _random_input(plan_data: PlanData) -> np.ndarray:
    shape = tuple(plan_data.inputs[0].shape)
    return np.random.default_rng(0).uniform(-1, 1, (1,) + shape).astype(np.float32)


def main(args) -> int:
    for m in args.models:
        if not Path(m).is_file():
            raise UserError(f"{m}: no such file")
    scheduler, workers = getattr(args, "scheduler", None), getattr(args, "workers", None)
    cluster.check_options(scheduler, workers)
    if not args.data:
        scheduler = workers = None           # the workers compute the accuracy over --data only
    with cluster.open_pool(scheduler, workers, "compare") as pool:
        rows = compare(args.models, args.target, args.dsp_budget, args.output, args.data, args.simulate, pool)
    out = Path(args.output)
    for r in rows:
        extra = f", accuracy {100 * r['accuracy']:.2f}%" if "accuracy" in r else ""
        rtl = f", RTL {r['cycles_rtl']:,} cycles" if "cycles_rtl" in r else ""
        sys.stdout.write(f"{r['model']}: {r['macs_live']:,}/{r['macs']:,} MACs live, {r['cycles']:,} cycles{rtl}, "
                         f"{r['fps']:,.0f} fps, {r['speedup']:.2f}x for {r['mac_reduction']:.2f}x fewer MACs "
                         f"(conversion {r['conversion']:.2f}){extra}\n")
    written = [out / f for f in ("compare.md", "compare.json", "compare.png") if (out / f).exists()]
    sys.stdout.write(f"wrote {', '.join(map(str, written))}\n")
    return 0
