"""hlsgen sweep MODELS... --targets T1,T2 --dsp-budgets B1,B2 [--arrays PPxPOxPI,...]
[--scheduler tcp://HOST:PORT | --workers N] -o DIR.

Plans every (model, target, budget, array) point as a task on Dask workers (hlsgen.cluster: the
user's scheduler, else a LocalCluster of --workers processes, one per CPU by default) and writes
DIR/sweep.json (rewritten after each finished point, so that a rerun skips what is done),
DIR/sweep.md and DIR/pareto.png (hlsgen.report.sweep). A point the planner refuses is recorded with
its reason; the others complete.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import cluster, sweep
from ..errors import UserError
from ..frontend import load
from ..report import sweep as report
from ..util import Progress, atomic_file, check_writable_folder, claim_folder, is_owned, record

FILES = ("sweep.json", "sweep.md", "pareto.png")


def output_points(out: Path) -> list:
    """The points of an earlier sweep in OUT (a folder hlsgen wrote, or new, or empty: UserError else)."""
    try:
        check_writable_folder(out)
    except UserError as e:
        raise UserError(f"-o {e}") from None
    if is_owned(out, out / "sweep.json") and (out / "sweep.json").is_file():
        return sweep.load_points(out / "sweep.json")
    return []


def write_file(out: Path, name: str, render) -> None:
    """OUT/NAME, written atomically by RENDER(path) and listed in OUT's manifest: every file of the
    sweep goes through here."""
    claim_folder(out)
    with atomic_file(out / name) as tmp:
        render(tmp)
    record(out, [out / name])


def write_points(out: Path, points: list) -> None:
    write_file(out, "sweep.json", lambda p: p.write_text(json.dumps({"points": points}, indent=1) + "\n"))


def main(args) -> int:
    models = []
    for m in args.models:
        if not Path(m).is_file():
            raise UserError(f"{m}: no such file")
        models.append(Path(m).resolve())
    todo = sweep.specs(models, sweep.targets(args.targets), sweep.budgets(args.dsp_budgets),
                       sweep.arrays(args.arrays))
    cluster.check_options(args.scheduler, args.workers)
    out = Path(args.output)
    old = output_points(out)
    finished = {sweep.key(p): p for p in old if sweep.done(p)}
    new = {sweep.key(s): finished.get(sweep.key(s)) for s in todo}
    pending = [s for s in todo if new[sweep.key(s)] is None]
    graphs = {str(m): load(m) for m in models if any(s["path"] == str(m) for s in pending)}
    if len(pending) < len(todo):
        sys.stderr.write(f"hlsgen sweep: {len(todo) - len(pending)} of {len(todo)} points already in "
                         f"{out / 'sweep.json'}\n")
    if pending:
        workers = args.workers
        if args.scheduler is None and workers is None:
            workers = min(cluster.default_workers(), len(pending))
        with cluster.open_pool(args.scheduler, workers, "sweep") as pool, \
                Progress(len(pending), "sweep") as bar:
            shared = {m: pool.share(g) for m, g in graphs.items()}
            calls = [(shared[s["path"]], s["target"], s["dsp_budget"], s["array_option"]) for s in pending]
            for i, result in pool.unordered(sweep.plan_point, calls):
                s = pending[i]
                new[sweep.key(s)] = sweep.finish(s, result)
                write_points(out, sweep.merged({k: v for k, v in new.items() if v is not None}, old))
                bar.update(1, f"{s['model']} {s['target']} {s['dsp_budget']}")
    points = sweep.merged(new, old)
    write_points(out, points)
    front = sweep.pareto(points)
    write_file(out, "sweep.md", lambda p: p.write_text(report.to_markdown(points, front)))
    write_file(out, "pareto.png", lambda p: report.plot(points, front, p))
    failed = [p for p in points if "error" in p]
    sys.stdout.write(f"{len(points)} points, {len(failed)} failed, {len(front)} on a Pareto front; "
                     f"wrote {', '.join(str(out / f) for f in FILES)}\n")
    return 0
