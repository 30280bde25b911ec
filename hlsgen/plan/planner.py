"""make_plan: compact the graph, choose the engine and its compute units, schedule, estimate; the
result is a Plan (plan_file.py: plan.json, weights.bin, report.md)."""
from __future__ import annotations

import time

from .. import ir
from ..errors import UserError
from . import cycles, engine as eng, resources
from .compute_units import compute_unit_data, cu_layouts, cu_target
from .invocation import Invocation, register_map_json
from .plan_file import Plan
from .plan_types import PLAN_FORMAT, EngineData, IoData, PlanData, TensorData
from .report import render
from .concat import with_concat_tables
from .gather import without_gathers
from .schedule import Schedule, buffer_needs, lower


def _compact(graph: ir.Graph):
    try:
        from ..prune import compact
        g2, _ = compact(graph)
        return g2, "compacted (hlsgen.prune.compact)"
    except ImportError as e:
        return graph, f"not compacted: hlsgen.prune unavailable ({e})"


def _has_avgpool(graph) -> bool:
    """The model has an average pool: the engine then builds its float-path unit (resource model)."""
    return any(layer.op == "avgpool" for layer in graph.layers)


def _units(graph, invocations=None) -> dict:
    """The optional units the engine builds: ``resources.units_used`` of the INVOCATIONS; without a
    schedule from the graph (any add or clip; a table layer counts one table word)."""
    if invocations is None:
        return {"avgpool": _has_avgpool(graph), "maxpool": any(layer.op == "maxpool" for layer in graph.layers),
                "add": any(layer.op in ("add", "clip") for layer in graph.layers),
                "table": int(any(layer.op == "table" for layer in graph.layers)),
                "mul": any(layer.op == "mul" for layer in graph.layers), "ctab": False}
    return resources.units_used(invocations)


def _engine_for(target: dict, clock: float, budget: int, pp: int, pi: int, po: int, needs: dict,
                store_line: int = 0, on_chip: bool = False) -> eng.Engine:
    buf = eng.buffer_budget_bytes(target, budget)
    in_buf = max(needs["in_min"], min(needs["in_max"], buf // pp))     # one copy per pixel lane
    in_buf = eng.align(in_buf, pi)
    return eng.Engine(pi=pi, po=po, macs_per_dsp=eng.macs_per_dsp(target),
                      ports=eng.ports(target, clock, store_line, on_chip), in_buf_bytes=in_buf,
                      w_buf_bytes=2 * needs["w_block"], pp=pp)


def _lowered(graph, target, clock, budget, pp, pi, po, weights, lanes=None, activations="auto", memo=None):
    """(engine, schedule) of one shape: activations on chip (the CU's PLRAM) when the target has one
    that holds them and it fits beside the engine (``activations`` auto or on-chip), else off chip;
    weights resident on chip when the store fits beside the buffers (``weights`` auto or resident), else
    streamed; tables in the conv epilogues when their memories fit, else in the vector unit; the
    epilogue's lanes by ``_epilogue_lanes`` (LANES: those); None when the engine does not fit. MEMO: the
    schedules of GRAPH lowered so far (shared by the shapes and compute-unit layouts one plan compares)."""
    needs = buffer_needs(graph, pi, po)
    on_chip = {"auto": (True, False), "on-chip": (True,), "off-chip": (False,)}[activations]
    if not target.get("plram"):
        on_chip = (False,)
    # the schedule depends on the engine only through PI, PO, the input buffer, the conv tables, the bank
    # count and the block alignment (the ports: only through the last two)
    lowered = {} if memo is None else memo
    units = None
    store_may_fit = _store_may_fit(graph, target, pi, po)
    for epilogue_tables in (True, False):
        for act_on_chip in on_chip:
            for resident in ((True, False) if weights == "auto" else (weights == "resident",)):
                if resident and not store_may_fit:
                    continue           # the weights alone are more than the store's URAMs can hold
                e = _engine_for(target, clock, budget, pp, pi, po, needs, eng.store_line(pi, po) if resident else 0,
                                act_on_chip)
                e.epilogue_tables = epilogue_tables
                key = (pi, po, e.in_buf_bytes, epilogue_tables, e.act_banks, e.w_align)
                sched = lowered[key] = lowered.get(key) or lower(graph, e, pack=False)
                if act_on_chip:
                    e.act_mem_bytes = eng.plram_bytes(target, sched.act_bytes)
                    if not e.act_mem_bytes:
                        break              # the activations do not fit the PLRAM: off chip
                if resident:
                    e.w_store_bytes = sched.weight_bytes
                units = _units(graph, sched.invocations)
                if _epilogue_lanes(e, sched.invocations, units, target["user"], budget, lanes):
                    return e, sched
        if units is None or not units["ctab"]:
            break                      # no conv ran a table: the vector unit's tables changed nothing
    return None


def _store_may_fit(graph, target, pi, po) -> bool:
    """Whether the store's URAMs for GRAPH's weights' own bytes (it holds each at least once) fit TARGET."""
    raw = sum(layer.params["w"].size for layer in graph.layers if layer.op in ("conv", "gemm"))
    return resources.store_urams(eng.store_line(pi, po), raw) <= target["user"]["uram"]


EPILOGUE_SLACK = 0.001    # fewer epilogue lanes when they cost at most this share of the cycles: each lane
                          # is an exact requantizer and add unit, about 5,500 LUTs and 4 DSPs


def _epilogue_lanes(e: eng.Engine, invocations, units: dict, user: dict, budget: int, lanes=None) -> bool:
    """Give E its epilogue lanes (ENGINE.md section 1) and say whether it then fits USER and the DSP
    BUDGET: the fewest lanes whose total cycles are within EPILOGUE_SLACK of those of the most lanes that
    fit (fewer lanes never take fewer cycles, so a bisection finds them); LANES: only those."""
    def fits(c):
        e.set_epilogue_lanes(c)
        res = resources.estimate(e, **units)
        return res["dsp"] <= budget and not resources.misfit(res, user)

    def total(c):
        e.set_epilogue_lanes(c)
        return cycles.total_cycles(e, invocations)
    fitting = [c for c in eng.epilogue_choices(e.pp, e.pi, e.po) if (lanes is None or c == lanes) and fits(c)]
    if not fitting:
        return False
    bound = total(fitting[-1]) * (1 + EPILOGUE_SLACK)
    lo, hi = 0, len(fitting) - 1                      # fitting[hi] is within the bound
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if total(fitting[mid]) <= bound else (mid + 1, hi)
    e.set_epilogue_lanes(fitting[hi])
    return True


def _largest_fitting_budget(graph, target, clock) -> int:
    per = eng.macs_per_dsp(target)
    best = 0
    units = _units(graph)
    for pp, pi, po in eng.candidates(target["user"]["dsp"], per, units["add"]):
        e = _engine_for(target, clock, eng.mac_dsps(pi, po, per, pp, units["add"], pi), pp, pi, po,
                        buffer_needs(graph, pi, po))
        e.set_epilogue_lanes(pi)
        res = resources.estimate(e, **units)
        if not resources.misfit(res, target["user"]):
            best = max(best, res["dsp"])
    return best


def parse_array(text: str, budget: int, per: int, add: bool = False) -> tuple:
    """--array PPxPOxPI: one engine shape (``engine.shape_ok``: PI a power of two, PO a multiple of PI,
    PP <= PP_MAX) within the DSP budget (ADD: with the add units' DSPs), as (PP, PI, PO)."""
    try:
        pp, po, pi = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--array {text}: expected PPxPOxPI, e.g. 4x32x32") from None
    if not eng.shape_ok(pp, pi, po):
        raise UserError(f"--array {text}: {eng.SHAPE_RULE}")
    need = eng.mac_dsps(pi, po, per, pp, add, pi)
    if need > budget:
        raise UserError(f"--array {text}: needs {need} DSPs, over the budget of {budget} (--dsp-budget)")
    return pp, pi, po


def choose_engine(graph: ir.Graph, target: dict, clock: float, budget: int, progress=None, weights="auto",
                  array=None, label=None, lanes=None, activations="auto"):
    """The (PP, PI, PO) shape with the fewest total cycles over the whole network (only ARRAY, a
    "PPxPOxPI" string, when given): the engine. LABEL names the budget in errors (default --dsp-budget
    BUDGET)."""
    return _best_engine(graph, target, clock, budget, progress, weights, array, label, lanes, activations)[0]


def _best_engine(graph, target, clock, budget, progress, weights, array, label, lanes=None,
                 activations="auto", memo=None) -> tuple:
    """choose_engine's (engine, its total cycles); MEMO: as ``_lowered``'s."""
    label = label or f"--dsp-budget {budget}"
    per, add = eng.macs_per_dsp(target), _units(graph)["add"]
    shapes = [parse_array(array, budget, per, add)] if array else eng.candidates(budget, per, add)
    if not shapes:
        raise UserError(f"{label}: too small for the smallest engine "
                        f"({eng.mac_dsps(2, 2, per, 1, add)} DSPs)")
    if lanes is not None:
        ok = [s for s in shapes if eng.epilogue_ok(*s, lanes)]
        if not ok:
            pp, pi, po = shapes[0]
            raise UserError(f"--epilogue-lanes {lanes}: must be at least PI and divide PP x PO ("
                            + (f"PI {pi}, PP x PO {pp * po}" if array else "no engine within the budget has one")
                            + ")")
        shapes = ok
    if progress:
        progress.total = len(shapes)
    best, failure = None, None
    # the largest arrays first; a shape whose bound (every MAC of the model at one per multiplier per cycle)
    # is already above the best total cannot win and is not lowered
    macs = sum(ir.layer_macs(graph, layer) for layer in graph.layers)
    for pp, pi, po in sorted(shapes, key=lambda s: -s[0] * s[1] * s[2]):
        if progress:
            progress.update(1, f"PP={pp} PI={pi} PO={po}")
        if best is not None and macs / (pp * pi * po) > best[2]:
            continue
        try:
            got = _lowered(graph, target, clock, budget, pp, pi, po, weights, lanes, activations, memo)
        except UserError as err:      # e.g. a concat offset this PI cannot address
            failure = failure or err
            continue
        if got is None:
            continue
        e, sched = got
        total = cycles.total_cycles(e, sched.invocations)
        key = (total, eng.mac_dsps(pi, po, per, pp, add, e.epilogue_lanes), pp, -pi)
        if best is None or key < best[0]:
            best = (key, e, total)
    if best is None and failure is not None:
        raise failure
    if best is None and activations == "on-chip":
        raise UserError(f"--activations on-chip: the activations do not fit a PLRAM of at most "
                        f"{target['plram']['max_bytes']} bytes beside any engine of {label} (use --activations auto "
                        "or off-chip)")
    if best is None and weights == "resident":
        raise UserError(f"--weights resident: the weights do not fit on chip beside any engine of {label} "
                        "(use --weights auto or streamed)")
    if best is None:
        fit = _largest_fitting_budget(graph, target, clock)
        lean = min(shapes, key=lambda s: (s[0] * s[2], s[0]))     # fewest output lanes: the leanest logic
        e = _engine_for(target, clock, budget, *lean, buffer_needs(graph, *lean[1:]))
        e.set_epilogue_lanes(lean[1])                             # and the fewest epilogue lanes (PI)
        res = resources.estimate(e, **_units(graph))
        misfit = resources.misfit(res, target["user"])
        if res["dsp"] > budget:
            misfit.append(f"dsp {res['dsp']}/{budget}")
        raise UserError(f"{label}: no engine fits the target ({', '.join(misfit)}); "
                        f"largest DSP budget that fits: {fit or 'none'}")
    return best[1], best[2]


def choose_layout(graph: ir.Graph, target: dict, clock: float, budget: int, progress=None, weights="auto",
                  array=None, compute_units=None, lanes=None, activations="auto"):
    """(engine, CUs): identical compute units, one per SLR (``compute_units.cu_layouts``), each inside its
    SLR's resources and its share of the DSP budget, that give the highest throughput (CUs / cycles;
    on a tie the fewer CUs: the lower latency). COMPUTE_UNITS: only layouts of that many CUs."""
    layouts = cu_layouts(target, budget)
    if compute_units is not None:
        if not 1 <= compute_units <= len(layouts):
            raise UserError(f"--compute-units {compute_units}: {target['name']} takes 1 to {len(layouts)} "
                            "(one per SLR)")
        layouts = [cus for cus in layouts if len(cus) == compute_units]
    best, failure, memo = None, None, {}
    for cus in layouts:
        cu_budget = min(cu["budget"] for cu in cus)
        label = (f"--dsp-budget {budget}" if cu_budget == budget else
                 f"--dsp-budget {budget} ({cu_budget} per compute unit, {len(cus)} in {', '.join(c['slr'] for c in cus)})")
        try:
            e, total = _best_engine(graph, cu_target(target, cus), clock, cu_budget, progress, weights, array, label,
                                    lanes, activations, memo)
        except UserError as err:
            failure = failure or err
            continue
        key = (-len(cus) / max(total, 1), len(cus))
        if best is None or key < best[0]:
            best = (key, e, cus)
    if best is None:
        raise failure
    return best[1], best[2]


def shape_cycles(graph, target, clock, budget, pp, pi, po, weights, activations="auto") -> int | None:
    """Total cycles of compacted GRAPH on the engine shape (PP, PI, PO), as make_plan with that
    ``--array`` would plan it; None when it does not plan."""
    try:
        got = _lowered(graph, target, clock, budget, pp, pi, po, weights, activations=activations)
    except UserError:
        return None
    return None if got is None else cycles.total_cycles(got[0], got[1].invocations)


def make_plan(graph: ir.Graph, target="alveo", dsp_budget=None, clock_mhz=None, progress=None,
              weights="auto", array=None, guidance=False, compute_units=None, epilogue_lanes=None,
              activations="auto") -> Plan:
    """The plan of GRAPH on TARGET; GUIDANCE: also the pruning guidance (``guidance.suggestions``,
    plan ``guidance``: a few re-plans of the graph, about a second on ResNet-50); COMPUTE_UNITS: that
    many CUs (default: the count with the highest throughput); EPILOGUE_LANES: the epilogue's lanes E
    (ENGINE.md section 1; default: the planner's choice per shape); ACTIVATIONS: where the activations
    live (``engine.ACTIVATIONS_MODES``; ENGINE.md section 3, "Activations on chip")."""
    t0 = time.perf_counter()
    key, tgt = eng.get_target(target)
    clock = float(clock_mhz) if clock_mhz is not None else float(tgt["clock_mhz"])
    if not 1 <= clock <= 1000:
        raise UserError(f"--clock-mhz {clock_mhz}: must be between 1 and 1000")
    user_dsp = tgt["user"]["dsp"]
    budget = int(dsp_budget) if dsp_budget is not None else eng.default_dsp_budget(tgt)
    if budget > user_dsp:
        raise UserError(f"--dsp-budget {budget}: {key} has {user_dsp} DSPs in its user region")
    if budget < 1:
        raise UserError(f"--dsp-budget {budget}: must be positive")
    if weights not in eng.WEIGHTS_MODES:
        raise UserError(f"--weights {weights}: must be one of {', '.join(eng.WEIGHTS_MODES)}")
    if activations not in eng.ACTIVATIONS_MODES:
        raise UserError(f"--activations {activations}: must be one of {', '.join(eng.ACTIVATIONS_MODES)}")
    if activations == "on-chip" and not tgt.get("plram"):
        with_plram = sorted(k for k, t in eng.load_targets()["targets"].items() if t.get("plram"))
        raise UserError(f"--activations on-chip: {key} has no PLRAM to hold them (targets with one: "
                        f"{', '.join(with_plram)})")
    compacted, compaction = _compact(graph)
    g2 = with_concat_tables(without_gathers(compacted))
    if epilogue_lanes is not None and epilogue_lanes < 1:
        raise UserError(f"--epilogue-lanes {epilogue_lanes}: must be positive")
    e, cus = choose_layout(g2, tgt, clock, budget, progress, weights, array, compute_units, epilogue_lanes,
                           activations)
    sched = lower(g2, e, pack=True)
    assert sched.act_bytes <= (e.act_mem_bytes or sched.act_bytes), "the maps outgrew the PLRAM planned for them"
    data = _plan_data(graph, compacted, g2, key, tgt, clock, budget, e, sched, compaction, cus)
    if guidance:
        from .guidance import suggestions
        cu_tgt, cu_budget = cu_target(tgt, cus), min(cu["budget"] for cu in cus)
        data.guidance = suggestions(
            g2, lambda g: shape_cycles(g, cu_tgt, clock, cu_budget, e.pp, e.pi, e.po, weights,
                                       "on-chip" if e.act_mem_bytes else "off-chip"), e.pi, e.po)
    return Plan(data, sched.weights, render(data), seconds=time.perf_counter() - t0)


def _model_macs(graph, g2, layer) -> int:
    """MACs of LAYER of g2 as GRAPH has it (a conv a gather folded into reads more input channels on the
    engine; a selection conv is data movement: 0)."""
    found = _find(graph, layer.name)
    if found is not None:
        return ir.layer_macs(graph, found)
    return 0 if layer.attrs.get("selection") else ir.layer_macs(g2, layer)


def _plan_data(graph, compacted, g2, key, tgt, clock, budget, e: eng.Engine, sched: Schedule, compaction,
               cus) -> PlanData:
    res = resources.estimate(e, **_units(g2, sched.invocations))
    layers, total = [], 0
    step_of = {name: s for s in sched.steps for name in s.layers}
    for layer in g2.layers:
        s = step_of[layer.name]
        rec = {"name": layer.name, "op": layer.op,
               "macs": _model_macs(graph, g2, layer), "macs_live": _model_macs(compacted, g2, layer),
               "in_shape": list(g2.tensor(layer.inputs[0]).shape),
               "out_shape": list(g2.tensor(layer.outputs[0]).shape),
               "channels_live": g2.tensor(layer.outputs[0]).channels,
               "channels_total": graph.tensor(layer.outputs[0]).channels if layer.outputs[0] in graph.tensors
               else g2.tensor(layer.outputs[0]).channels}
        if s.name != layer.name:
            rec.update(fused_into=s.name, cycles=0, bound="fused", invocations=0)
        elif s.invocations:
            c = cycles.layer_cycles(e, s.invocations)
            total += c["cycles"]
            rec.update(cycles=c["cycles"], compute_cycles=c["compute_cycles"], memory_cycles=c["memory_cycles"],
                       bound=c["bound"], invocations=len(s.invocations), invocation_cycles=c["invocation_cycles"],
                       utilization=round(rec["macs_live"] / (e.macs_per_cycle * c["cycles"]), 4)
                       if c["cycles"] else 0.0,
                       fused=s.layers[1:], **{k: v for k, v in s.info.items() if k in ("stem", "groups", "k", "note")})
        else:
            rec.update(cycles=0, bound="host" if s.host else "free", invocations=0)
        layers.append(rec)
    cu = compute_unit_data(tgt, clock, cus, res, total, on_chip=bool(e.act_mem_bytes))
    preload = []
    if e.resident:
        preload = [Invocation("weights.bin", "preload", {"w_lines": -(-sched.weight_bytes // e.bpc("wgt"))})]
    return PlanData(
        target=key,
        format=PLAN_FORMAT,
        target_name=tgt["name"],
        platform=tgt["platform"],
        clock_mhz=clock,
        dsp_budget=budget,
        compaction=compaction,
        engine=EngineData(**e.to_json(), units=_units(g2, sched.invocations)),
        resources=res,
        resources_available={k: tgt["user"][k] for k in ("dsp", "lut", "ff", "bram36", "uram")},
        total_cycles=total,
        latency_ms=round(total / (clock * 1e3), 6),
        fps=cu["fps"],
        macs=sum(r["macs"] for r in layers),
        macs_live=sum(r["macs_live"] for r in layers),
        act_bytes=sched.act_bytes,
        weights_bytes=sched.weight_bytes,
        inputs=[IoData(n, list(graph.tensor(n).shape)) for n in g2.inputs],
        outputs=[IoData(n, list(g2.tensor(n).shape)) for n in g2.outputs],
        host=sched.host_steps,
        layers=layers,
        tensors={name: TensorData(**t.to_json()) for name, t in sched.tensors.items()},
        invocations=sched.invocations,
        preload=preload,
        preload_cycles=sum(cycles.invocation(e, inv)["cycles"] for inv in preload),
        registers=register_map_json(),
        compute_units=cu["compute_units"],
        fps_per_cu=cu["fps_per_cu"],
    )


def _find(graph, name):
    for layer in graph.layers:
        if layer.name == name:
            return layer
    return None
