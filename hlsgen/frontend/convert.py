"""The fused ONNX graph (QOperator form) -> ir.Graph.

``to_ir`` walks the nodes in order and hands each to the converter registered for its op type
in ``ops.py`` (channel shuffles, Splits and Slices: ``channels.py``).  ``Builder`` holds what the
converters share: constants, the IR tensors built so far, and helpers that read quantization
parameters and raise one-line errors naming the node.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper

from .. import ir
from ..errors import UserError
from .model_file import REFUSED, node_names


class Builder:
    """State of one conversion; converters call its helpers and ``add``."""

    def __init__(self, model: onnx.ModelProto, label, original_ops: dict, input_name: str, batch,
                 original_outputs: dict | None = None):
        self.label = label
        self.input_name = input_name          # the float model input
        self.batch = batch                    # its static batch size, or None
        self.original_ops = original_ops      # node name -> op type in the file the user gave
        self.original_outputs = original_outputs or {}   # tensor -> op type of the node writing it there
        self.consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.tensors = {}                     # name -> ir.Tensor
        self.float_values = set()             # dequantized values that only float ops would read
        self.layers = []
        self.outputs = [o.name for o in model.graph.output]
        self.node = None                      # the node being converted
        self.name = ""                        # its unique name
        self.node_names = set()               # every node's name (a layer a node adds beside its own avoids them)

    # -- errors -------------------------------------------------------------
    @property
    def op_type(self) -> str:
        """The node's op type as the user's file has it (a fused QLinearConv was a Conv in a QDQ model)."""
        return self.original_op(self.node)

    def original_op(self, node) -> str:
        """NODE's op type in the user's file: by name, else by the tensor it writes (onnxruntime writes a
        function it inlines, HardSwish, with unnamed nodes)."""
        if node.name in self.original_ops:
            return self.original_ops[node.name]
        return self.original_outputs.get(node.output[0], node.op_type) if node.output else node.op_type

    def error(self, message: str) -> UserError:
        return UserError(f"{self.label}: node {self.name!r} ({self.op_type}): {message}")

    def float_error(self) -> UserError:
        return UserError(
            f"{self.label}: node {self.name!r} ({self.op_type}) computes in float: onnxruntime does not fuse it "
            "into an integer operator (hlsgen needs QOperator nodes, or DequantizeLinear/QuantizeLinear "
            "around it that onnxruntime fuses)")

    # -- inputs -------------------------------------------------------------
    def has_input(self, i: int) -> bool:
        return len(self.node.input) > i and self.node.input[i] != ""

    def const(self, i: int, what: str) -> np.ndarray:
        name = self.node.input[i] if self.has_input(i) else ""
        if name not in self.consts:
            raise self.error(f"{what} ({name or 'missing'}) must be a constant")
        return self.consts[name]

    def activation(self, i: int) -> ir.Tensor:
        """The integer IR tensor read as input I; float values mean onnxruntime runs this node in float."""
        name = self.node.input[i] if self.has_input(i) else ""
        if name in self.float_values or (name in self.tensors and self.tensors[name].q is None):
            raise self.float_error()
        if name not in self.tensors:
            raise self.error(f"input {name or i!r} must be a feature map computed by the model, not a constant")
        return self.tensors[name]

    def qparams(self, scale_i: int, zp_i: int, what: str) -> ir.QParams:
        """Per-tensor quantization from a scale and an (optional, default uint8 0) zero point input."""
        scale = np.asarray(self.const(scale_i, f"{what} scale"))
        if self.has_input(zp_i):
            zp = np.asarray(self.const(zp_i, f"{what} zero point"))
        else:
            zp = np.zeros((), np.uint8)
        if scale.size != 1 or zp.size != 1:
            raise self.error(f"{what} must be quantized per tensor (scalar scale and zero point)")
        if scale.dtype != np.float32 or zp.dtype.name not in ir.DTYPE_RANGE:
            raise self.error(f"{what} is quantized as {zp.dtype.name} with {scale.dtype.name} scale; "
                             "hlsgen takes int8 or uint8 with float32 scales")
        if not (np.isfinite(scale) and float(scale.ravel()[0]) > 0):
            raise self.error(f"{what} scale {float(scale.ravel()[0])} must be positive and finite")
        return ir.QParams(float(scale.ravel()[0]), int(zp.ravel()[0]), zp.dtype.name)

    def read_quantized(self, i: int, scale_i: int, zp_i: int, what: str = "input") -> ir.Tensor:
        """Activation input I, checking that the node reads it with the quantization it was written with."""
        t = self.activation(i)
        q = self.qparams(scale_i, zp_i, what)
        if q != t.q:
            raise self.error(f"reads {t.name!r} as scale {q.scale!r}, zero point {q.zero_point} ({q.dtype}) "
                             f"but it was written as scale {t.q.scale!r}, zero point {t.q.zero_point} "
                             f"({t.q.dtype}); hlsgen needs one quantization per tensor")
        return t

    def attrs(self) -> dict:
        out = {}
        for a in self.node.attribute:
            v = onnx.helper.get_attribute_value(a)
            out[a.name] = v.decode() if isinstance(v, bytes) else v
        return out

    # -- outputs ------------------------------------------------------------
    def add(self, op: str, inputs: list, shape: tuple, q: ir.QParams | None,
            attrs: dict | None = None, params: dict | None = None, *, output: str | None = None,
            name: str | None = None) -> None:
        """Append a layer named after the node (or NAME), writing the node's first output (or OUTPUT:
        a node with several outputs adds one layer per output)."""
        if any(shape_dim < 1 for shape_dim in shape):
            raise self.error(f"output shape {tuple(shape)} is empty")
        out = self.node.output[0] if output is None else output
        self.tensors[out] = ir.Tensor(out, tuple(int(d) for d in shape), q)
        self.layers.append(ir.Layer(name or self.name, op, [t.name for t in inputs], [out],
                                    attrs or {}, params or {}))


def _float_reader(model, names, k, elementwise) -> int | None:
    """The first node downstream of element-wise float node K (through element-wise float nodes) that
    reads a float value and is neither element-wise nor a QuantizeLinear: what keeps K in float."""
    nodes = list(model.graph.node)
    if nodes[k].op_type not in elementwise:
        return None
    values, seen = set(nodes[k].output), {k}
    for j in range(k + 1, len(nodes)):
        n = nodes[j]
        if j in seen or not values & set(n.input):
            continue
        if n.op_type in elementwise:
            values |= set(n.output)
        elif n.op_type != "QuantizeLinear":
            return j
    return None


def to_ir(model: onnx.ModelProto, label, *, input_name: str, input_shape: tuple, batch,
          source_format: str, name: str, original_ops: dict, original_outputs: dict | None = None) -> ir.Graph:
    """Convert the fused graph MODEL into the IR (raises UserError naming the node on anything unsupported).

    Element-wise regions (``tables.find``) become one ``table`` layer each, added where the node writing
    their result comes; their other nodes are skipped."""
    from . import channels, tables
    from .ops import CONVERTERS

    channels.hoist_dequantize(model)
    b = Builder(model, label, original_ops, input_name, batch, original_outputs)
    b.tensors[input_name] = ir.Tensor(input_name, tuple(input_shape), None)
    names = node_names(model)
    b.node_names = set(names)
    regions = {r.nodes[-1]: r for r in tables.find(model)}
    inside = {k for r in regions.values() for k in r.nodes}
    shuffles = channels.find_shuffles(model)
    inside |= {k for ks in shuffles.values() for k in ks[:-1]}
    for k, (node_name, node) in enumerate(zip(names, model.graph.node)):
        b.node, b.name = node, node_name   # (onnxruntime has turned Constant nodes into initializers)
        if k in regions:
            tables.convert(b, model, regions[k], names)
            continue
        if k in shuffles:
            channels.shuffle(b, model, shuffles[k], names)
            continue
        if k in inside:
            continue
        convert = CONVERTERS.get(node.op_type)
        if convert is None:
            if any(i in b.float_values or (i in b.tensors and b.tensors[i].q is None) for i in node.input):
                culprit = _float_reader(model, names, k, tables.FLOAT_OPS)
                if culprit is not None:
                    reads = [b.original_outputs[i] for i in model.graph.node[culprit].input if i in b.original_outputs]
                    fn = reads[0] if reads else b.op_type
                    b.node, b.name = model.graph.node[culprit], names[culprit]
                    raise b.error(f"computes in float on the output of a float {fn}: onnxruntime runs neither "
                                  "on integers; quantize the model in QDQ format (a QuantizeLinear after the "
                                  f"{fn})")
                raise b.float_error()
            raise b.error(REFUSED.get(node.op_type, "operator not supported by hlsgen"))
        convert(b)
    for out in b.outputs:
        t = b.tensors.get(out)
        if t is None:
            raise UserError(f"{label}: output {out!r} is not a feature map hlsgen can compute")
        if t.q is not None:
            raise UserError(f"{label}: output {out!r} is a quantized {t.q.dtype} tensor; hlsgen needs "
                            "models whose outputs are dequantized (DequantizeLinear) to float")
    tensors = {t.name: t for t in b.tensors.values()
               if any(t.name in layer.inputs or t.name in layer.outputs for layer in b.layers)}
    graph = ir.Graph(tensors=tensors, layers=b.layers, inputs=[input_name], outputs=list(b.outputs),
                     source_format=source_format, name=name, meta={"batch": batch})
    graph.validate()
    return graph
