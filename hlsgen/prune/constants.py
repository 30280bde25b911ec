"""The integer constant each channel holds, when it holds one everywhere.

``constants(graph)`` maps every integer tensor to an int64 array (C,) with the
channel's value, or ``NO_CONST`` where the channel varies.  Dead conv/gemm
channels (weights all equal to their zero point) output their requantized
bias; clip clamps; a table looks the value up; max pool keeps the value, a gather moves it; average pools and adds are
evaluated with the golden model's own ops on constant maps, and a channel stays
constant only if the result is the same at every position (an average pool
that counts padding is not, at the borders).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..golden import ops, requant

NO_CONST = np.iinfo(np.int64).min


def dead_channels(layer: ir.Layer) -> np.ndarray:
    """Output channels of a conv/gemm whose every weight equals the zero point."""
    w = layer.params["w"].astype(np.int32)
    zp = np.asarray(layer.params["w_zp"], dtype=np.int32).reshape((-1,) + (1,) * (w.ndim - 1))
    return np.all((w - zp).reshape(w.shape[0], -1) == 0, axis=1)


def _matmul_const(graph, layer):
    """Dead output channels of a conv/gemm output requant(bias): acc is the bias everywhere."""
    out = np.full(layer.params["w"].shape[0], NO_CONST, dtype=np.int64)
    dead = dead_channels(layer)
    if dead.any():
        xq = graph.tensor(layer.inputs[0]).q
        yq = graph.tensor(layer.outputs[0]).q
        ws = np.asarray(layer.params["w_scale"], dtype=np.float32)
        ws = np.broadcast_to(ws, dead.shape)[dead]
        s = requant.conv_scale(xq.scale, ws, yq.scale)
        b = np.asarray(layer.params["b"], dtype=np.int64)[dead]
        lo = max(layer.attrs.get("act_min", yq.qmin), yq.qmin)
        hi = min(layer.attrs.get("act_max", yq.qmax), yq.qmax)
        out[dead] = requant.requant_float(b, s, yq.zero_point, lo, hi)
    return out


def _map_of(graph, tensor, c, pointwise):
    """A (1, C, H, W) integer map holding constant channels; varying ones hold the zero point.

    POINTWISE ops (add, concat) see every position alike: one pixel stands for the map.
    """
    t = graph.tensor(tensor)
    vals = np.where(c == NO_CONST, t.q.zero_point, c)
    spatial = (1,) * (len(t.shape) - 1) if pointwise else tuple(t.shape[1:])
    return np.broadcast_to(vals.reshape((1, -1) + (1,) * (len(t.shape) - 1)),
                           (1, len(vals)) + spatial).astype(t.q.np_dtype)


def _golden_op(graph, layer, xs):
    """LAYER's golden op (add, mul, avgpool, gavgpool, concat) on integer maps XS."""
    q = [graph.tensor(t).q for t in layer.inputs]
    qy = graph.tensor(layer.outputs[0]).q
    at = layer.attrs
    if layer.op == "add":
        return ops.add(xs[0], q[0], xs[1], q[1], qy, at["act_min"], at["act_max"])
    if layer.op == "mul":
        return ops.mul(xs[0], q[0], xs[1], q[1], qy)
    if layer.op == "avgpool":
        return ops.avgpool(xs[0], q[0], qy, at["kernel"], at["stride"], at["pads"],
                           at["count_include_pad"])
    if layer.op == "gavgpool":
        return ops.gavgpool(xs[0], q[0], qy)
    return ops.concat(xs, q, qy, at.get("axis", 0))


def _evaluated(graph, layer, cs):
    """Run LAYER's golden op on constant maps; constant where every input is and the result is uniform."""
    pointwise = layer.op in ("add", "concat", "mul")
    y = np.asarray(_golden_op(graph, layer, [_map_of(graph, t, c, pointwise)
                                             for t, c in zip(layer.inputs, cs)]))
    y = y.reshape(y.shape[1], -1).astype(np.int64)
    uniform = np.all(y == y[:, :1], axis=1)
    if layer.op == "concat":
        known = np.concatenate(cs) != NO_CONST
    else:
        known = np.all([c != NO_CONST for c in cs], axis=0)
    return np.where(known & uniform, y[:, 0], NO_CONST)


def constants(graph: ir.Graph) -> dict:
    """Per integer tensor, each channel's constant value (NO_CONST where it varies)."""
    const = {}
    for layer in graph.layers:
        op = layer.op
        cs = [const.get(t) for t in layer.inputs]
        if op == "quantize":
            y = np.full(graph.tensor(layer.outputs[0]).channels, NO_CONST, dtype=np.int64)
        elif op == "dequantize":
            continue
        elif op in ("conv", "gemm"):
            y = _matmul_const(graph, layer)
        elif op == "clip":
            c = cs[0]
            y = np.where(c == NO_CONST, c, np.clip(c, layer.attrs["act_min"], layer.attrs["act_max"]))
        elif op == "table":   # row c (or the one row) at the constant's byte
            t = np.asarray(layer.params["table"], np.int64)
            rows = np.arange(len(cs[0])) if len(t) > 1 else np.zeros(len(cs[0]), int)
            y = np.where(cs[0] == NO_CONST, NO_CONST, t[rows, cs[0].astype(np.int64) & 0xFF])
        elif op == "gather":
            y = cs[0][np.asarray(layer.attrs["index"], np.int64)]
        elif op == "maxpool":
            y = cs[0].copy()  # every window holds at least one real element; padding never wins
        elif op == "flatten":
            _, h, w = graph.tensor(layer.inputs[0]).shape
            y = np.repeat(cs[0], h * w)
        elif op == "mul":       # constant where both are, or zy where either is its zero point
            qa, qb = (graph.tensor(t).q for t in layer.inputs)
            qy = graph.tensor(layer.outputs[0]).q
            y = _evaluated(graph, layer, cs) if not all((c == NO_CONST).all() for c in cs) else cs[0].copy()
            y = np.where((cs[0] == qa.zero_point) | (cs[1] == qb.zero_point),
                         np.clip(qy.zero_point, qy.qmin, qy.qmax), y)
        elif all((c == NO_CONST).all() for c in cs):
            y = np.full(graph.tensor(layer.outputs[0]).channels, NO_CONST, dtype=np.int64)
        else:  # add, avgpool, gavgpool, concat (requantizes its inputs)
            y = _evaluated(graph, layer, cs)
        const[layer.outputs[0]] = y
    return const
