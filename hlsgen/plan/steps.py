"""What a schedule is (``Schedule``: its ``Step`` s, tensor maps and weights.bin), and the field encodings
every op's lowering shares."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .. import ir
from ..errors import UserError
from ..golden import ops
from .engine import Engine


@dataclass
class Step:
    """One IR layer (or a fused run of layers) and what runs for it."""
    name: str
    op: str
    layers: list                     # IR layer names it covers (first = name)
    invocations: list = field(default_factory=list)
    host: list = field(default_factory=list)
    blocks: list = field(default_factory=list)   # (offset, bytes) in weights.bin
    info: dict = field(default_factory=dict)


@dataclass
class Schedule:
    engine: Engine
    tensors: dict                    # name -> TensorMap (plan.memory)
    steps: list
    act_bytes: int
    weights: bytes | None
    weight_bytes: int

    @property
    def invocations(self) -> list:
        return [inv for s in self.steps for inv in s.invocations]

    @property
    def host_steps(self) -> list:
        return [h for s in self.steps for h in s.host]


def signed(q: ir.QParams) -> int:
    """An invocation's *_signed field: 1 for int8 data."""
    return int(q.dtype == "int8")


def f32_bits(v) -> int:
    """A float field: the bits of its float32."""
    return int(np.float32(v).view(np.uint32))


@functools.lru_cache(maxsize=None)
def add_fields(qa, qb, qy, node):
    """The add_* constants of QLinearAdd's exact integer form (hlsgen.golden.requant.add_consts)."""
    try:
        c = ops.add_layer_consts(qa, qb, qy)
    except ValueError as e:
        raise UserError(f"node {node}: {e}") from None
    return {"add_" + n: v for n, v in c.items()}
