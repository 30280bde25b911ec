"""What plan.json holds, typed: ``PlanData`` and its sections, written (``to_json``) and read
(``from_json``, which checks every key and type) by plan_file only.

A section of fixed shape is a dataclass; maps keyed by name stay dicts: resources (by
``compute_units.RESOURCE_KEYS``), the engine's ports, timing and units, a compute unit's use, the
host steps (their keys depend on their kind), the register map (checked whole against this hlsgen's),
the guidance suggestions and the per-layer report rows ``layers`` (many optional figures by op; read
by reports and benchmarks, not by emitters). Fields are in plan.json's key order; ``to_json`` of what
``from_json`` read gives the same plan.json.
"""
from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, fields

from ..errors import UserError
from .engine import Engine
from .invocation import Invocation, register_map_json

# plan.json's format: raised whenever a reader would misread an older file (a key's meaning, the layout of
# weights.bin or of the activation memory); Plan.load refuses any other.
PLAN_FORMAT = 4


def _damaged(path, what: str) -> UserError:
    return UserError(f"{path}: damaged ({what}); rebuild with 'hlsgen build'")


class Record:
    """A plan.json object: its dataclass fields, in order; a field at None is left out (one with a default
    may be missing when read)."""

    def to_json(self) -> dict:
        return {f.name: _encode(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_json(cls, d, path, where: str = ""):
        if not isinstance(d, dict):
            raise _damaged(path, f"{where.rstrip('.')!r} is {type(d).__name__}, not an object")
        hints = typing.get_type_hints(cls)
        names = [f.name for f in fields(cls)]
        unknown = [k for k in d if k not in names]
        if unknown:
            raise _damaged(path, f"unknown key {where + unknown[0]!r}")
        got = {}
        for f in fields(cls):
            if f.name in d:
                got[f.name] = _decode(hints[f.name], d[f.name], path, where + f.name)
            elif f.default is MISSING:            # only a field with a default may be left out
                raise _damaged(path, f"no {where + f.name!r}")
        return cls(**got)


def _encode(v):
    if isinstance(v, (Record, Invocation)):
        return v.to_json()
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    return v


def _optional(tp) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


_SCALARS = {int: "an integer", float: "a number", str: "a string", bool: "a boolean", dict: "an object",
            list: "a list"}


def _decode(tp, v, path, key: str):
    """V read as type TP (KEY: where in plan.json, for the message)."""
    if _optional(tp):
        if v is None:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_json(v, path, key + ".")
    if tp is Invocation:
        try:
            return Invocation.from_json(v)
        except (KeyError, TypeError, ValueError, AttributeError, UserError) as e:
            raise _damaged(path, f"invocation {key}: {type(e).__name__} {e}") from None
    kind = origin or tp
    ok = isinstance(v, kind) and not (isinstance(v, bool) and kind is not bool)
    if kind is float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if not ok:
        raise _damaged(path, f"{key!r} is {type(v).__name__}, not {_SCALARS.get(kind, kind.__name__)}")
    args = typing.get_args(tp)
    if origin is list and args:
        return [_decode(args[0], x, path, f"{key}[{i}]") for i, x in enumerate(v)]
    if origin is dict and args:
        return {k: _decode(args[1], x, path, f"{key}.{k}") for k, x in v.items()}
    return v


@dataclass
class EngineData(Record):
    """plan.json ``engine``: ``engine.Engine.to_json`` plus the units the model uses."""
    pi: int
    po: int
    macs_per_dsp: int
    ports: dict
    in_buf_bytes: int
    w_buf_bytes: int
    w_store_bytes: int
    timing: dict
    pp: int
    epilogue_tables: bool
    epilogue_lanes: int
    macs_per_cycle: int
    weights: str
    array: str
    units: dict
    act_mem_bytes: int
    activations: str

    def engine(self) -> Engine:
        """The engine.Engine this section describes (for the cycle model)."""
        return Engine(self.pi, self.po, self.macs_per_dsp, self.ports, self.in_buf_bytes, self.w_buf_bytes,
                      self.w_store_bytes, self.timing, self.pp, self.epilogue_tables,
                      self.epilogue_lanes, self.act_mem_bytes)


@dataclass
class TensorData(Record):
    """A ``tensors`` entry: ``memory.TensorMap.to_json``."""
    name: str
    shape: list[int]
    addr: int
    bank: int
    c: int
    h: int
    w: int
    map_cw: int
    c0w: int
    view_of: str | None
    scale: float
    zero_point: int
    dtype: str
    live: list[int] | None            # (first, last) invocation its buffer is live in; -1 before the run,
                                      # len(invocations) after it; null: never used

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}     # view_of null is written


@dataclass
class IoData(Record):
    """An ``inputs`` or ``outputs`` entry: the model's tensor and its shape."""
    name: str
    shape: list[int]


@dataclass
class ComputeUnitData(Record):
    """A ``compute_units`` entry (``compute_units.compute_unit_data``)."""
    slr: str
    act_banks: list[str]
    act_sp: str
    wgt_bank: str
    dsp_budget: int
    use: dict[str, float]


@dataclass
class PlanData(Record):
    """plan.json."""
    target: str
    format: int
    target_name: str
    platform: str
    clock_mhz: float
    dsp_budget: int
    compaction: str
    engine: EngineData
    resources: dict[str, int]
    resources_available: dict[str, int]
    total_cycles: int
    latency_ms: float
    fps: float
    macs: int
    macs_live: int
    act_bytes: int
    weights_bytes: int
    inputs: list[IoData]
    outputs: list[IoData]
    host: list[dict]
    layers: list[dict]
    tensors: dict[str, TensorData]
    invocations: list[Invocation]
    preload: list[Invocation]
    preload_cycles: int
    registers: list[dict]
    compute_units: list[ComputeUnitData]
    fps_per_cu: float
    guidance: list[dict] | None = None

    @classmethod
    def from_json(cls, d, path, where: str = "") -> "PlanData":
        """plan.json's data D read from PATH: another format, another register map, a missing or
        unknown key or a value of the wrong type is a one-line UserError naming PATH (and the key)."""
        if not isinstance(d, dict) or d.get("format") != PLAN_FORMAT:
            found = d.get("format", "none") if isinstance(d, dict) else "none"
            raise UserError(f"{path}: plan format {found}, this hlsgen reads format {PLAN_FORMAT} (written by "
                            "another hlsgen); rebuild with 'hlsgen build'")
        data = super().from_json(d, path)
        if data.registers != register_map_json():
            raise UserError(f"{path}: its engine register map is not this hlsgen's (written by another hlsgen); "
                            "rebuild with 'hlsgen build'")
        return data
