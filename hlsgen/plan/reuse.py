"""Activation memory reuse (ENGINE.md section 3, "Lives"): tensors whose lives do not overlap share
addresses, so the activation memory holds what is live at once, not every tensor of the network.

The lowering allocates every buffer once, in order (``memory.ActivationMemory``); ``reuse`` then
reads the lives off the command list itself: a buffer is live from the first invocation whose address
fields point into it to the last one (the host's input steps make it live from before the run, its
output steps until after it), and places the buffers again, the largest first, each at the lowest
address clear of every buffer live at the same time. Addresses in the tensor maps and in the
invocations move with their buffer.
"""
from __future__ import annotations

import bisect

from .engine import align
from .steps import Schedule


def act_addresses(inv) -> list:
    """Names of the address fields of invocation INV that the engine reads or writes through act_rd /
    act_wr (an operand the invocation does not use keeps its field 0 and is not listed)."""
    kind = inv.kind
    if kind == "preload":
        return []
    if kind == "add":
        return ["a_addr", "b_addr", "out_addr"]
    names = ["in_addr", "out_addr"]
    if kind == "mul":
        names.append("b_addr")
    if kind == "conv" and inv["add_en"]:
        names.append("add_addr")
    return names


class _Buffers:
    """The lowering's buffers (name -> (address, bytes), disjoint) and which one holds an address."""

    def __init__(self, sizes: dict, tensors: dict):
        self.names = sorted(sizes, key=lambda n: tensors[n].addr)
        self.starts = [tensors[n].addr for n in self.names]
        self.ends = [s + sizes[n] for s, n in zip(self.starts, self.names)]

    def holding(self, addr: int) -> str:
        i = bisect.bisect_right(self.starts, addr) - 1
        assert i >= 0 and addr < self.ends[i], addr
        return self.names[i]


def lives(sched: Schedule, bufs: _Buffers) -> dict:
    """Buffer name -> (first, last) invocation index; -1: before the run (the host's inputs), N (the
    number of invocations): after it (the host's outputs). A buffer no one uses is absent."""
    live: dict = {}

    def use(addr, i):
        name = bufs.holding(addr)
        a, b = live.get(name, (i, i))
        live[name] = (min(a, i), max(b, i))
    for i, inv in enumerate(sched.invocations):
        for f in act_addresses(inv):
            use(inv[f], i)
    end = len(sched.invocations)
    for h in sched.host_steps:
        for key in {"quantize": ("tensor",), "im2col": ("src", "dst")}.get(h["kind"], ()):
            use(sched.tensors[h[key]].addr, -1)
        if h["kind"] == "dequantize":
            use(sched.tensors[h["tensor"]].addr, end)
    return live


def place(sizes: dict, live: dict) -> dict:
    """Name -> new address: the largest buffers first (then the earliest), each at the lowest aligned
    address clear of every placed buffer whose life overlaps its own."""
    placed = []                                   # (start, end, first, last)
    where = {}
    for name in sorted(live, key=lambda n: (-sizes[n], live[n][0], n)):
        first, last = live[name]
        busy = sorted((s, e) for s, e, a, b in placed if a <= last and first <= b)
        addr = 0
        for s, e in busy:
            if addr + sizes[name] <= s:
                break
            addr = max(addr, align(e))
        where[name] = addr
        placed.append((addr, addr + sizes[name], first, last))
    return where


def reuse(sched: Schedule, sizes: dict) -> Schedule:
    """SCHED with its buffers (SIZES: name -> bytes, as allocated) placed by their lives; its
    ``act_bytes`` the end of the highest one. Each tensor map gets ``live`` (its buffer's life)."""
    bufs = _Buffers(sizes, sched.tensors)
    live = lives(sched, bufs)
    where = place(sizes, live)

    def moved(addr):
        name = bufs.holding(addr)
        return where.get(name, 0) + addr - sched.tensors[name].addr

    for inv in sched.invocations:
        for f in act_addresses(inv):
            inv.fields[f] = moved(inv[f])
    new_addr = {n: moved(t.addr) for n, t in sched.tensors.items()}
    for n, t in sched.tensors.items():
        t.live = live.get(bufs.holding(t.addr))
        t.addr = new_addr[n]
    top = max((where[n] + sizes[n] for n in where), default=0)
    sched.act_bytes = align(top)
    return sched
