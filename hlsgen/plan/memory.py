"""The activation memory: where every integer tensor lives, in which bank (ENGINE.md section 1).

Tensors are allocated in order, each at an ``align``-ed address unique over both banks; a concat's
inputs are channel slices of the concat's map; a flatten output is a view of its source.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..errors import UserError
from .concat import needs_table
from .engine import Engine, align
from .fusion import Fusion, other_input


@dataclass
class TensorMap:
    """Where an integer tensor lives: a feature map of ``map_cw`` words per pixel at ``addr``.

    The tensor's own channels are words ``c0w .. c0w + ceil(C/PI) - 1`` of each pixel
    (``c0w`` > 0 inside a concat). ``view_of``: a flatten output, laid out as its source.
    ``bank``: the activation bank (0 or 1) holding it; addresses are unique over both banks.
    """
    name: str
    shape: tuple
    q: ir.QParams
    addr: int
    h: int
    w: int
    c: int
    map_cw: int
    c0w: int = 0
    view_of: str | None = None
    bank: int = 0
    live: tuple | None = None      # (first, last) invocation its buffer is live in (plan.reuse)

    def to_json(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "addr": self.addr, "bank": self.bank, "c": self.c,
                "h": self.h, "w": self.w, "map_cw": self.map_cw, "c0w": self.c0w,
                "view_of": self.view_of, "scale": self.q.scale, "zero_point": self.q.zero_point,
                "dtype": self.q.dtype, "live": list(self.live) if self.live is not None else None}


def hw(shape) -> tuple:
    """(H, W) of a (C, H, W) shape; (1, 1) of a vector."""
    return (int(shape[1]), int(shape[2])) if len(shape) == 3 else (1, 1)


class BankConflict(Exception):
    """Two tensors one invocation reads through act_rd ended up in different banks."""


class ActivationMemory:
    """The tensor maps of one lowering, allocated as the lowering first writes (or reads) each tensor."""

    def __init__(self, graph: ir.Graph, engine: Engine, banks: int, fusion: Fusion):
        self.g, self.e, self.banks, self.fx = graph, engine, banks, fusion
        self.tensors: dict = {}
        self.top = 0
        self.sizes: dict = {}          # buffer (tensor name) -> bytes
        self.concat_slot = self._plan_concats()

    def alloc(self, name: str, nbytes: int) -> int:
        """A new buffer of NBYTES for tensor NAME, above every other (``reuse`` places them by their lives)."""
        addr = self.top
        self.top = align(addr + nbytes)
        self.sizes[name] = self.top - addr
        return addr

    def new_map(self, name: str, read: int | None = None) -> TensorMap:
        t = self.g.tensor(name)
        shape, q = tuple(t.shape), t.q
        c = int(shape[0])
        h, w = hw(shape)
        if name in self.concat_slot:
            cat, c0w = self.concat_slot[name]
            base = self.map(cat)
            m = TensorMap(name, shape, q, base.addr, h, w, c, base.map_cw, c0w, bank=base.bank)
        else:
            cw = self.e.words(c)
            m = TensorMap(name, shape, q, self.alloc(name, h * w * cw * self.e.pi), h, w, c, cw,
                          bank=self._bank(name, read))
        self.tensors[name] = m
        return m

    def map(self, name: str, read: int | None = None) -> TensorMap:
        """The map of tensor NAME, allocated now if it has none yet (READ: the bank its writer reads)."""
        if name not in self.tensors:
            if self.g.tensor(name).q is None:
                raise UserError(f"tensor {name}: float tensor inside the integer graph")
            self.new_map(name, read=read)
        return self.tensors[name]

    def packed(self, name: str, x: TensorMap, c: int, h: int, w: int) -> TensorMap:
        """A new (C, H, W) map in X's bank and quantization (a stem's host-packed input)."""
        cw = self.e.words(c)
        m = TensorMap(name, (c, h, w), x.q, self.alloc(name, h * w * cw * self.e.pi), h, w, c, cw, bank=x.bank)
        self.tensors[name] = m
        return m

    def view(self, name: str, src: TensorMap) -> TensorMap:
        """Tensor NAME laid out as SRC (a flatten output)."""
        t = self.g.tensor(name)
        m = TensorMap(t.name, tuple(t.shape), src.q, src.addr, src.h, src.w, src.c, src.map_cw, src.c0w,
                      view_of=src.name, bank=src.bank)
        self.tensors[name] = m
        return m

    def _bank(self, name: str, read: int | None) -> int:
        """Bank of a new tensor: the bank of a partner it will be read with through act_rd (the
        residual of the conv it feeds, the other operand of its add), else the bank other than
        READ (what its producer reads), so that act_rd and act_wr each get a whole bank."""
        if self.banks == 1:
            return 0
        for cons in self.fx.consumers.get(name, []):
            partner = None
            if cons.op in ("add", "mul"):
                partner = other_input(cons, name)
            elif cons.op == "conv" and cons.inputs[0] == name:
                residual = self.fx.residual_of(self.fx.through_clip(cons.outputs[0]))
                if residual is not None:
                    partner = residual[1]
            if partner is not None and partner in self.tensors:
                return self.tensors[partner].bank
        return 0 if read is None else 1 - read

    def same_bank(self, layer, *maps):
        if len({m.bank for m in maps}) > 1:
            raise BankConflict(layer.name)

    def _plan_concats(self) -> dict:
        """Concat inputs become channel slices of the concat's map (word-aligned, same quantization)."""
        slot = {}
        for layer in self.g.layers:
            if layer.op != "concat":
                continue
            if layer.attrs.get("axis", 0) != 0:
                raise UserError(f"node {layer.name}: concat on an axis other than channels is not supported")
            c0 = 0
            for t in layer.inputs:
                if needs_table(self.g, layer, t, self.fx.producer, self.fx.consumers):
                    raise AssertionError(f"concat input {t} needs a table (plan.concat.with_concat_tables)")
                if c0 % self.e.pi:
                    raise UserError(f"node {layer.name}: concat input {t} starts at channel {c0}, not a multiple "
                                    f"of the engine's PI={self.e.pi}; not supported")
                slot[t] = (layer.outputs[0], c0 // self.e.pi)
                c0 += self.g.tensor(t).channels
        return slot
