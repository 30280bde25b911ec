"""Execute an IR graph with the golden ops: the bit-exact reference of hlsgen."""
from __future__ import annotations

import numpy as np

from .. import ir
from . import ops
from .requant import conv_scale


def _bounds(layer: ir.Layer, q: ir.QParams):
    return max(layer.attrs.get("act_min", q.qmin), q.qmin), min(layer.attrs.get("act_max", q.qmax), q.qmax)


def _conv(graph, layer, x):
    qx = graph.tensor(layer.inputs[0]).q
    qy = graph.tensor(layer.outputs[0]).q
    p, a = layer.params, layer.attrs
    s = conv_scale(qx.scale, p["w_scale"], qy.scale)
    lo, hi = _bounds(layer, qy)
    if layer.op == "gemm":
        return ops.gemm(x.reshape(x.shape[0], -1), qx.zero_point, p["w"], p["w_zp"], p["b"], s,
                        qy.zero_point, lo, hi)
    return ops.conv(x, qx.zero_point, p["w"], p["w_zp"], p["b"], s, qy.zero_point, lo, hi,
                    stride=tuple(a.get("stride", (1, 1))), pads=tuple(a.get("pads", (0, 0, 0, 0))),
                    dilation=tuple(a.get("dilation", (1, 1))), groups=int(a.get("groups", 1)))


def _layer(graph: ir.Graph, layer: ir.Layer, args: list) -> np.ndarray:
    op, a = layer.op, layer.attrs
    qin = [graph.tensor(t).q for t in layer.inputs]
    qy = graph.tensor(layer.outputs[0]).q
    if op == "quantize":
        return ops.quantize(args[0], qy)
    if op == "dequantize":
        return ops.dequantize(args[0], qin[0])
    if op in ("conv", "gemm"):
        return _conv(graph, layer, args[0])
    if op == "add":
        lo, hi = _bounds(layer, qy)
        return ops.add(args[0], qin[0], args[1], qin[1], qy, lo, hi)
    if op == "mul":
        return ops.mul(args[0], qin[0], args[1], qin[1], qy)
    if op == "avgpool":
        return ops.avgpool(args[0], qin[0], qy, tuple(a["kernel"]), tuple(a["stride"]),
                           tuple(a["pads"]), bool(a.get("count_include_pad", 0)))
    if op == "gavgpool":
        return ops.gavgpool(args[0], qin[0], qy)
    if op == "maxpool":
        return ops.maxpool(args[0], tuple(a["kernel"]), tuple(a["stride"]), tuple(a["pads"]))
    if op == "concat":
        return ops.concat(args, qin, qy, int(a.get("axis", 0)))
    if op == "flatten":
        return ops.flatten(args[0])
    if op == "clip":
        return ops.clip(args[0], *_bounds(layer, qy))
    if op == "table":
        return ops.table(args[0], layer.params["table"])
    if op == "gather":
        return ops.gather(args[0], a["index"])
    raise ValueError(f"golden model: no implementation of IR op {op!r} (layer {layer.name!r})")


def run_tensors(graph: ir.Graph, x: np.ndarray) -> dict:
    """Every tensor of GRAPH for the float32 NCHW batch X: float tensors as float32,
    integer tensors in their dtype (int8 / uint8), all with the batch dimension."""
    x = np.asarray(x, dtype=np.float32)
    values = {graph.inputs[0]: x}
    for layer in graph.layers:
        out = _layer(graph, layer, [values[t] for t in layer.inputs])
        t = graph.tensor(layer.outputs[0])
        if t.q is not None:
            out = out.astype(t.q.np_dtype)
        values[layer.outputs[0]] = out.reshape((x.shape[0],) + tuple(t.shape))
    return values


def run(graph: ir.Graph, x: np.ndarray) -> list:
    """The graph's outputs for X, as onnxruntime returns them (float32 arrays)."""
    values = run_tensors(graph, x)
    return [values[name] for name in graph.outputs]
