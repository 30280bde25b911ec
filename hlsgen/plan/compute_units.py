"""Compute units and SLRs (docs/ENGINE.md section 7): where identical engines go on a multi-die card,
which memory banks each binds, the DSP budget each gets, and what plan.json says about them."""
from __future__ import annotations

from .engine import ports
from .plan_types import ComputeUnitData

RESOURCE_KEYS = ("dsp", "lut", "ff", "bram36", "uram")
MAX_CU_BANKS = 3                # a compute unit uses at most three banks (two activation, one weight)


def cu_layouts(target: dict, dsp_budget: int) -> list:
    """Ways to place identical compute units (CUs) on TARGET, one per SLR, the largest SLRs first
    (ENGINE.md section 7): for n = 1 .. number of SLRs, the n CUs as dicts ``slr`` (its name),
    ``budget`` (its DSP budget: ``dsp_budget`` split over the n CUs in proportion to their SLRs' DSPs,
    at most its SLR's DSPs),
    ``user`` (the SLR's resources: the CU must fit inside them) and ``banks`` (memory bank indices:
    the CU's own SLR's banks first, then banks of SLRs without a CU, reached across the SLR
    boundary; at most MAX_CU_BANKS each, no bank shared) and ``plram`` (its SLR's PLRAM, PLRAM[i] in
    SLR i, when the target has PLRAM)."""
    slrs = target["slrs"]
    order = sorted(range(len(slrs)), key=lambda i: (-slrs[i]["dsp"], i))
    layouts = []
    for n in range(1, len(slrs) + 1):
        chosen = sorted(order[:n])
        banks = {i: list(slrs[i]["banks"][:MAX_CU_BANKS]) for i in chosen}
        used = {b for bs in banks.values() for b in bs}
        pool = sorted(b for i in range(len(slrs)) for b in slrs[i]["banks"] if b not in used)
        extra = dict.fromkeys(chosen, 0)        # how many pooled banks each CU gets: the fewest first
        for _ in pool:
            i = min(chosen, key=lambda j: (len(banks[j]) + extra[j], j))
            if len(banks[i]) + extra[i] >= MAX_CU_BANKS:
                break
            extra[i] += 1
        for i in chosen:                        # consecutive banks, so two activation banks form a range
            banks[i] += pool[:extra[i]]
            del pool[:extra[i]]
        if any(not banks[i] for i in chosen):
            continue
        dsps = sum(slrs[i]["dsp"] for i in chosen)
        layouts.append([{"slr": slrs[i]["name"], "budget": min(slrs[i]["dsp"], dsp_budget * slrs[i]["dsp"] // dsps),
                         "user": {k: slrs[i][k] for k in RESOURCE_KEYS}, "banks": banks[i],
                         "plram": i if target.get("plram") else None} for i in chosen])
    return layouts


def cu_target(target: dict, cus: list) -> dict:
    """TARGET as one of the identical CUS sees it: the resources every CU's SLR has (the least of
    each), the bank count the CU with the fewest banks has (the plan's cycle model is that CU's)."""
    t = dict(target)
    t["user"] = {k: min(cu["user"][k] for cu in cus) for k in RESOURCE_KEYS}
    least = min(cus, key=lambda cu: len(cu["banks"]))
    t["memory"] = dict(target["memory"], bank_ids=least["banks"], plram_id=least.get("plram"))
    return t


def compute_unit_data(tgt: dict, clock: float, cus: list, res: dict, total: int, on_chip: bool = False) -> dict:
    """plan.json's compute units (``compute_units``: ComputeUnitData, ``fps``, ``fps_per_cu``): each
    CU's SLR and the memory banks its ports bind (the plan's port layout on the CU's own banks), each
    SLR's use (the CU's resources against the SLR's), batch-1 latency and throughput (every CU running
    its own images); ON_CHIP: the activations are in each CU's PLRAM."""
    n_banks = len(cu_target(tgt, cus)["memory"]["bank_ids"])
    units = []
    for cu in cus:
        p = ports(dict(tgt, memory=dict(tgt["memory"], bank_ids=cu["banks"][:n_banks], plram_id=cu.get("plram"))),
                  clock, on_chip=on_chip)
        units.append(ComputeUnitData(
            slr=cu["slr"], act_banks=p["act_rd"]["banks"], act_sp=p["act_rd"]["sp"], wgt_bank=p["wgt"]["bank"],
            dsp_budget=cu["budget"],
            use={k: round(res[k] / cu["user"][k], 4) if cu["user"][k] else 0.0 for k in RESOURCE_KEYS}))
    return {"compute_units": units,
            "fps": round(len(cus) * clock * 1e6 / total, 3) if total else 0.0,
            "fps_per_cu": round(clock * 1e6 / total, 3) if total else 0.0}
