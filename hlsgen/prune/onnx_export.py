"""Write the compacted model back as ONNX, in the format it came in.

The original model is edited, not re-emitted: for every conv/gemm that loses
channels, its weight initializer is sliced (output rows, input columns), its
per-channel scales and zero points are sliced, and its int32 bias is sliced and
corrected for folded constant inputs.  A Reshape with an explicit size gets the
new size.  Everything else (names, scales, activations, other nodes) stays as it
was, so onnxruntime runs the same kernels on fewer channels.

Both formats are handled per node:

    QOperator  QLinearConv (w, w_scale, w_zp, B), com.microsoft QGemm (B, b_scale, b_zp, C, transB),
               QLinearMatMul (b is (I, O); no bias, so nothing can be folded into it)
    QDQ        Conv / Gemm / MatMul whose weight (and bias) inputs are DequantizeLinear of initializers
    table      the per-channel constants of the element-wise nodes the table stands for (BatchNorm ...)
    gather     the Split sizes, Slice bounds or channel shuffle Reshapes (``onnx_gather``)
"""
from __future__ import annotations

import itertools

import numpy as np
import onnx
from onnx import numpy_helper

from .. import ir
from ..errors import UserError
from ..frontend import tables
from ..frontend.model_file import node_names
from . import onnx_gather
from .analysis import Analysis
from .compact import bias_correction

WEIGHT_INPUT = {"QLinearConv": 3, "QGemm": 3, "QLinearMatMul": 3, "Conv": 1, "Gemm": 1, "MatMul": 1}


class _Model:
    """Lookups and initializer edits on an ONNX model."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        g = model.graph
        self.nodes = dict(zip(node_names(model), g.node))   # the frontend's names for them
        self.producer = {o: n for n in g.node for o in n.output}
        self.inits = {t.name: t for t in g.initializer}
        self.constants = {n.output[0]: _constant_value(n) for n in g.node if n.op_type == "Constant"}
        self.constants = {k: v for k, v in self.constants.items() if v is not None}
        self._fresh = itertools.count()

    def node(self, layer: ir.Layer, ops=tuple(WEIGHT_INPUT)) -> onnx.NodeProto:
        """The node (op in OPS) of LAYER: by name, else behind the tensor it writes (through Q/DQ, Relu)."""
        node = self.nodes.get(layer.name)
        if node is not None and node.op_type in ops:
            return node
        node = self.producer.get(layer.outputs[0])
        while node is not None and node.op_type in ("QuantizeLinear", "DequantizeLinear", "Relu", "Clip"):
            node = self.producer.get(node.input[0])
        if node is None or node.op_type not in ops:
            raise UserError(f"node {layer.name!r}: no {' or '.join(ops)} node found for it in the ONNX model")
        return node

    def source(self, node, idx):
        """(node, input index) holding the initializer (or Constant node) behind NODE's input IDX (through a
        DequantizeLinear)."""
        if idx >= len(node.input) or not node.input[idx]:
            return None
        name = node.input[idx]
        if name in self.inits or name in self.constants:
            return node, idx
        dq = self.producer.get(name)
        if dq is not None and dq.op_type == "DequantizeLinear" and dq.input[0] in self.inits:
            return dq, 0
        return None

    def array(self, ref):
        node, idx = ref
        name = node.input[idx]
        return numpy_helper.to_array(self.inits[name]) if name in self.inits else self.constants[name]

    def reader(self, tensor: str):
        """The first node reading TENSOR (None: none)."""
        return next((n for n in self.model.graph.node if tensor in n.input), None)

    def replace(self, ref, value: np.ndarray):
        """Point input REF at a new initializer holding VALUE (the old one may be shared; an empty input
        gets one)."""
        node, idx = ref
        old = node.input[idx] or f"{node.name}_input{idx}"
        name = f"{old}_pruned{next(self._fresh)}"
        t = numpy_helper.from_array(np.ascontiguousarray(value), name)
        self.model.graph.initializer.append(t)
        self.inits[name] = t
        node.input[idx] = name

    def drop_unused_initializers(self):
        used = {i for n in self.model.graph.node for i in n.input}
        keep = [t for t in self.model.graph.initializer if t.name in used or
                t.name in {i.name for i in self.model.graph.input}]
        del self.model.graph.initializer[:]
        self.model.graph.initializer.extend(keep)


def _constant_value(node):
    """The value of a Constant node as an array (None for forms other than a tensor or integers)."""
    a = node.attribute[0] if len(node.attribute) == 1 else None
    if a is None:
        return None
    if a.name == "value":
        return numpy_helper.to_array(a.t)
    if a.name in ("value_ints", "value_int"):
        return np.asarray(onnx.helper.get_attribute_value(a), np.int64)
    return None


def _weight_layout(m: _Model, node):
    """(weight ref, output axis of the weight, int32 bias ref or None, weight scale / zero point refs)."""
    op = node.op_type
    if op not in WEIGHT_INPUT:
        raise UserError(f"node {node.name!r}: cannot slice weights of op {op}")
    w = m.source(node, WEIGHT_INPUT[op])
    if w is None:
        raise UserError(f"node {node.name!r}: weights are not a constant initializer")
    trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
    out_axis = {"QLinearMatMul": 1, "MatMul": 1, "QGemm": 0 if trans_b else 1,
                "Gemm": 0 if trans_b else 1}.get(op, 0)
    if op.startswith("Q"):
        quant = [m.source(node, 4), m.source(node, 5)]
    elif w[0] is not node:                 # DequantizeLinear(w, scale, zero point)
        quant = [m.source(w[0], 1), m.source(w[0], 2)]
    else:
        quant = []
    bias_idx = {"QLinearConv": 8, "QGemm": 6, "Conv": 2, "Gemm": 2}.get(op)
    bias = m.source(node, bias_idx) if bias_idx is not None else None
    return w, out_axis, bias, [q for q in quant if q is not None]


def bias_foldable(model: onnx.ModelProto):
    """The ``foldable`` predicate of ``analyze`` for this model: the node has an int32 bias initializer."""
    m = _Model(model)

    def foldable(layer):
        _, _, bias, _ = _weight_layout(m, m.node(layer))
        return bias is not None and m.array(bias).dtype == np.int32
    return foldable


def _slice_layer(m: _Model, graph: ir.Graph, layer: ir.Layer, a: Analysis) -> None:
    src, out = layer.inputs[0], layer.outputs[0]
    keep_in, keep_out = a.keep[src], a.keep[out]
    zx = graph.tensor(src).q.zero_point
    fold = a.folded(src, zx)
    if keep_in.all() and keep_out.all():
        return
    node = m.node(layer)
    w_ref, out_axis, bias_ref, quant_refs = _weight_layout(m, node)
    w = m.array(w_ref)
    in_axis = 1 - out_axis if w.ndim == 2 else 1
    groups = next((a for a in node.attribute if a.name == "group"), None)
    if groups is not None and groups.i == w.shape[out_axis] > 1:   # depthwise: in c tied to out c
        m.replace(w_ref, np.compress(keep_out, w, axis=out_axis))
        groups.i = int(keep_out.sum())
    else:
        m.replace(w_ref, np.compress(keep_in, np.compress(keep_out, w, axis=out_axis), axis=in_axis))
    for ref in quant_refs:
        v = m.array(ref)
        if v.size > 1:
            m.replace(ref, v[keep_out])
    if bias_ref is not None:
        b = m.array(bias_ref).astype(np.int64)
        if fold.any():
            b = b + bias_correction(layer, a.const[src], fold, zx)
        m.replace(bias_ref, b[keep_out].astype(np.int32))
        if bias_ref[0] is not node:  # QDQ: the bias scale is per channel too
            dq = bias_ref[0]
            for idx in (1, 2):
                ref = m.source(dq, idx)
                if ref is not None and m.array(ref).size > 1:
                    m.replace(ref, m.array(ref)[keep_out])
    elif fold.any():
        raise ValueError(f"{layer.name}: folded channels but no bias to fold into")


def _resize_reshapes(m: _Model, graph: ir.Graph, layer: ir.Layer, a: Analysis) -> None:
    """A Reshape with an explicit flattened size gets the live size."""
    old = graph.tensor(layer.outputs[0]).channels
    new = int(a.keep[layer.outputs[0]].sum())
    node = m.node(layer, ("Flatten", "Reshape"))
    if old == new or node.op_type == "Flatten":
        return
    ref = m.source(node, 1)
    if ref is None:
        raise UserError(f"node {layer.name!r}: the Reshape's shape is not an initializer; cannot resize it")
    shape = m.array(ref)
    m.replace(ref, np.where(shape == old, new, shape).astype(shape.dtype))


_ELEMENTWISE = tables.FLOAT_OPS | tables.QLINEAR_OPS | {"DequantizeLinear", "QuantizeLinear"}


def _slice_table_region(m: _Model, graph: ir.Graph, layer: ir.Layer, a: Analysis) -> None:
    """A table layer losing channels: the per-channel constants (a BatchNorm's statistics, a per-channel
    Mul, a per-axis scale) of the model's nodes from its input to its output lose them too."""
    keep = a.keep[layer.outputs[0]]
    if keep.all():
        return
    x, c = layer.inputs[0], len(keep)
    todo, seen, nodes = [layer.outputs[0]], set(), []
    while todo:
        t = todo.pop()
        if t == x or t in m.inits:
            continue
        node = m.producer.get(t)
        if node is not None and node.op_type in ("Slice", "Split"):   # the gather in front of a requantization
            continue                                                   # (frontend.channels.hoist_dequantize)
        if node is None or node.op_type not in _ELEMENTWISE:
            raise UserError(f"node {layer.name!r}: the element-wise nodes from {x!r} to {layer.outputs[0]!r} "
                            "were not found in the ONNX model; cannot remove channels through this table")
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            todo.extend(i for i in node.input if i)
    for node in nodes:              # constants behind a DequantizeLinear are that node's own inputs
        for idx, name in enumerate(node.input):
            v = m.array((node, idx)) if name in m.inits else None
            if v is not None and v.size > 1 and c in v.shape:
                m.replace((node, idx), np.compress(keep, v, axis=v.shape.index(c)))


def export(model: onnx.ModelProto, graph: ir.Graph, a: Analysis) -> onnx.ModelProto:
    """A copy of MODEL with the channels that analysis A removes sliced out."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    m = _Model(out)
    done: set = set()
    for layer in graph.layers:
        if layer.op in ("conv", "gemm"):
            _slice_layer(m, graph, layer, a)
        elif layer.op == "flatten":
            _resize_reshapes(m, graph, layer, a)
        elif layer.op == "table":
            _slice_table_region(m, graph, layer, a)
        elif layer.op == "gather":
            onnx_gather.resize(m, graph, layer, a, done)
    m.drop_unused_initializers()
    del out.graph.value_info[:]          # intermediate shapes changed; onnxruntime infers them
    return out
