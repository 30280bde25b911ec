"""Design-space sweep: one plan per (model, target, DSP budget, array) point, each a task on the workers.

A point is what ``hlsgen build`` would plan for the same model, target, budget and array
(``make_plan``), reduced to its figures (``FIELDS``). A point the planner refuses (a budget too
small for any engine, an array over the budget, a budget over the card's DSPs) carries ``error``,
the planner's one-line reason, and the sweep goes on. Points are keyed by ``key(point)``; a
sweep.json from an earlier run gives the points already done (those that failed on an internal
error are tried again).
"""
from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

from .errors import UserError
from .plan import make_plan
from .plan.engine import get_target
from .plan.planner import parse_array
from .plan.plan_types import PlanData
from .plan.report import efficiency

FIELDS = ("model", "target", "dsp_budget", "array", "cycles", "fps", "latency_ms", "dsp", "lut", "bram36", "uram",
          "macs", "macs_live", "efficiency")
AUTO = "auto"                  # array_option of a point whose array the planner chose
INTERNAL = "internal error"    # prefix of the error of a point that is tried again on a rerun


def split(text: str, option: str) -> list:
    items = [t.strip() for t in str(text).split(",")]
    if not all(items):
        raise UserError(f"{option} {text}: expected a comma-separated list")
    return list(dict.fromkeys(items))


def targets(text: str) -> list:
    """--targets T1,T2: the canonical target names (aliases resolved, each once)."""
    names = []
    for t in split(text, "--targets"):
        try:
            names.append(get_target(t)[0])
        except UserError as e:
            raise UserError(str(e).replace("--target ", "--targets ", 1)) from None
    return list(dict.fromkeys(names))


def budgets(text: str) -> list:
    """--dsp-budgets B1,B2: positive integers."""
    out = []
    for b in split(text, "--dsp-budgets"):
        if not b.isdigit() or int(b) < 1:
            raise UserError(f"--dsp-budgets {text}: {b!r} is not a positive number of DSPs")
        out.append(int(b))
    return list(dict.fromkeys(out))


def arrays(text) -> list:
    """--arrays PPxPOxPI,...: well-formed engine shapes (whether one fits a budget is the point's matter);
    without the option, one array: the planner's choice."""
    if text is None:
        return [AUTO]
    shapes = split(text, "--arrays")
    for a in shapes:
        try:
            parse_array(a, budget=1 << 30, per=1)
        except UserError as e:
            raise UserError(str(e).replace("--array ", "--arrays ", 1)) from None
    return [a.lower() for a in shapes]


def digest(path) -> str:
    """First 16 hex digits of the file's SHA-256: a point is redone when its model file changed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def specs(models: list, target_names: list, budget_list: list, array_list: list) -> list:
    """Every point to compute, in report order, without its figures. MODELS: absolute paths."""
    stems = [Path(m).stem for m in models]
    if len(set(stems)) != len(stems):
        raise UserError("models: two models share a file name; give them distinct names")
    digests = [digest(m) for m in models]
    return [{"model": Path(m).stem, "path": str(m), "model_digest": d, "target": t, "dsp_budget": b,
             "array_option": a}
            for (m, d), t, b, a in itertools.product(zip(models, digests), target_names, budget_list, array_list)]


def key(point: dict) -> tuple:
    return point["model"], point["model_digest"], point["target"], point["dsp_budget"], point["array_option"]


def done(point: dict) -> bool:
    """A point a rerun skips: planned, or refused by the planner (not failed on an internal error)."""
    return not str(point.get("error", "")).startswith(INTERNAL)


def figures(d: PlanData) -> dict:
    """The point's figures from plan data D (plan.json)."""
    e, r = d.engine, d.resources
    return {"array": f"{e.pp}x{e.po}x{e.pi}", "cycles": d.total_cycles, "fps": d.fps,
            "latency_ms": d.latency_ms, "dsp": r["dsp"], "lut": r["lut"], "bram36": r["bram36"],
            "uram": r["uram"], "macs": d.macs, "macs_live": d.macs_live,
            "efficiency": round(efficiency(d), 4)}


def plan_point(graph, target: str, dsp_budget: int, array_option: str) -> dict:
    """The task: plan GRAPH and return the point's figures, or {"error": reason}."""
    try:
        plan = make_plan(graph, target=target, dsp_budget=dsp_budget,
                         array=None if array_option == AUTO else array_option)
    except UserError as e:
        return {"error": str(e)}
    except Exception as e:  # noqa: BLE001 - recorded with the point; the sweep goes on
        return {"error": " ".join(f"{INTERNAL}: {type(e).__name__}: {e}".split())}
    return figures(plan.data)


def finish(spec: dict, result: dict) -> dict:
    """The recorded point: the spec, then the figures (or the error)."""
    point = dict(spec)
    if "error" in result:
        point["array"] = None if spec["array_option"] == AUTO else spec["array_option"]
    point.update(result)
    return point


def load_points(path: Path) -> list:
    """The points of an earlier sweep.json."""
    try:
        doc = json.loads(path.read_text())
        points = doc["points"]
        for p in points:
            key(p)
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{path}: not a sweep file of hlsgen (remove it or choose another -o folder)") from None
    return points


def merged(new: dict, old: list) -> list:
    """NEW points (by key, in sweep order) followed by OLD points this sweep did not ask for."""
    return list(new.values()) + [p for p in old if key(p) not in new]


def pareto(points: list) -> set:
    """Keys of the points on each model's Pareto front: no other point of the model has at least its
    fps with at most its DSPs and is better in one of the two."""
    front = set()
    ok = [p for p in points if "error" not in p]
    for p in ok:
        if not any(q["model"] == p["model"] and q["fps"] >= p["fps"] and q["dsp"] <= p["dsp"]
                   and (q["fps"] > p["fps"] or q["dsp"] < p["dsp"]) for q in ok):
            front.add(key(p))
    return front
