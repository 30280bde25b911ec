"""Buffer sizes: the engine's input buffer bounds and its weight block size, from the graph alone
(before an engine is chosen; plan.planner sizes every candidate engine from them)."""
from __future__ import annotations

import numpy as np

from .. import ir
from .concat import with_concat_tables
from .fusion import Fusion
from .gather import without_gathers
from .memory import hw
from .weight_pack import consts_offset

VECTOR_OPS = ("maxpool", "avgpool", "gavgpool")


def buffer_needs(graph: ir.Graph, pi: int, po: int) -> dict:
    """Smallest input buffer (bytes) that holds one output row's window of every layer, the
    largest that holds every layer's whole input, and the largest weight block."""
    words = lambda c: -(-c // pi)  # noqa: E731
    graph = with_concat_tables(without_gathers(graph))
    need_min = need_max = wblock = 0
    fx = Fusion(graph)
    for layer in graph.layers:
        if layer.op not in ("conv", "gemm", "table", "mul") + VECTOR_OPS:
            continue
        shape = graph.tensor(layer.inputs[0]).shape
        if layer.op == "gemm":
            c = int(np.prod(shape))
            src = fx.producer.get(layer.inputs[0])
            if src is not None and src.op == "flatten":
                s3 = graph.tensor(src.inputs[0]).shape
                c = (int(s3[1]) * int(s3[2]) if len(s3) == 3 else 1) * words(int(s3[0])) * pi
            row = words(c) * pi
            need_min, need_max = max(need_min, row), max(need_max, row)
            wblock = max(wblock, consts_offset(1, words(c), pi, po))
            continue
        c, h, w = int(shape[0]), *hw(shape)
        row = w * words(c) * pi
        if layer.op == "gavgpool":
            rows = h
        elif layer.op in ("table", "mul"):
            rows = 1
        else:
            k = layer.attrs["kernel"][0]
            rows = min(h, k)
            if layer.op == "conv":
                pk = fx.pool_window_bound(layer.outputs[0])
                rows = min(h, (pk - 1) * layer.attrs["stride"][0] + k)
                cin = layer.params["w"].shape[1] * layer.attrs.get("groups", 1)
                if fx.is_stem(layer, pi):       # a stem: 1x1 over the packed input (if not in a concat)
                    oshape = graph.tensor(layer.outputs[0]).shape
                    prow = int(oshape[2]) * words(k * k * cin) * pi
                    need_min = max(need_min, prow * min(pk, int(oshape[1])))
                    need_max = max(need_max, prow * int(oshape[1]))
                wblock = max(wblock, consts_offset(k, words(cin), pi, po))
        need_min = max(need_min, rows * row)
        need_max = max(need_max, h * row)
    return {"in_min": need_min, "in_max": need_max, "w_block": wblock}
