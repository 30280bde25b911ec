"""Element-wise function regions of the fused graph -> ``table`` layers, computed by onnxruntime itself.

A *table region* is a connected set of nodes (DequantizeLinear, QuantizeLinear, com.microsoft
QLinearSigmoid / QLinearLeakyRelu / QLinearMul / QLinearAdd, float element-wise ops) whose only
non-constant source is one integer tensor x and whose only value read outside it is one integer
tensor y: y is then a function of x alone, element by element and at most per channel.
``find`` finds the regions before the node loop; ``convert`` replaces each by one ``table`` layer
whose rows are what onnxruntime outputs for all 256 values of x on every channel -- the same CPU
kernels on the same bytes, so the table is exact by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .. import ir

MS = "com.microsoft"
FLOAT_OPS = frozenset({"Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu", "Relu", "Clip", "Mul",
                       "Add", "Sub", "Div", "Neg", "Abs", "Exp", "Elu", "Softplus", "Erf",
                       "BatchNormalization", "Identity", "PRelu"})
QLINEAR_OPS = frozenset({"QLinearSigmoid", "QLinearLeakyRelu", "QLinearMul", "QLinearAdd"})
BINARY = {"Mul": (0, 1), "Add": (0, 1), "Sub": (0, 1), "Div": (0, 1), "PRelu": (0, 1),
          "QLinearMul": (0, 3), "QLinearAdd": (0, 3)}
# ops on integer tensors that keep the type (the rest of what hlsgen converts outputs integers too)
_PASS = frozenset({"MaxPool", "Flatten", "Reshape", "Relu", "Clip", "Identity", "Transpose", "Split", "Slice"})
_CONVERTED = frozenset({"Relu", "Clip", "QLinearAdd"})   # integer ops the converters take themselves
_ONNX_TYPE = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}


@dataclass
class Region:
    nodes: list        # indices into model.graph.node, in model order
    x: str             # the integer source tensor
    y: str             # the integer result, written by nodes[-1]


def _is_candidate(node, graph_outputs) -> bool:
    if node.domain in ("", "ai.onnx"):
        if node.op_type == "DequantizeLinear":
            return node.output[0] not in graph_outputs   # the model output's DQ is the converters'
        return node.op_type == "QuantizeLinear" or node.op_type in FLOAT_OPS
    return node.domain == MS and node.op_type in QLINEAR_OPS


def _integer_outputs(model) -> set:
    """Tensors of integer type, by what each op writes (enough to tell x and y apart from float)."""
    ints = {t.name for t in model.graph.initializer if t.data_type in _ONNX_TYPE.values()}
    for n in model.graph.node:
        if (n.op_type == "QuantizeLinear" or n.op_type.startswith("QLinear")
                or (n.op_type == "QGemm" and len(n.input) > 7)
                or (n.op_type in _PASS and n.input and n.input[0] in ints)):
            ints.update(o for o in n.output if o)
    return ints


def _constants(model) -> set:
    """Initializers, and outputs of nodes that read only constants (a DequantizeLinear of a weight)."""
    consts = {t.name for t in model.graph.initializer}
    for n in model.graph.node:
        if n.input and all(i in consts or not i for i in n.input):
            consts.update(n.output)
    return consts


def find(model: onnx.ModelProto) -> list:
    """The table regions of MODEL (the fused graph), each a Region."""
    nodes = model.graph.node
    outputs = {o.name for o in model.graph.output}
    consts, ints = _constants(model), _integer_outputs(model)
    consumers = {}
    for k, n in enumerate(nodes):
        for i in n.input:
            consumers.setdefault(i, []).append(k)
    members = {k for k, n in enumerate(nodes) if _is_candidate(n, outputs) and not set(n.output) <= consts}
    while True:   # drop nodes that read more than one source (or a float one) until none does
        src, owner = {}, {}
        for k, n in enumerate(nodes):
            ins = {src.get(i, i if i in ints else None) for i in n.input if i and i not in consts}
            if k in members and len(ins) == 1 and None not in ins:
                s = ins.pop()
                owner[k] = s
                for o in n.output:   # an integer value also read outside starts regions of its own
                    cut = o in ints and (o in outputs or any(c not in members for c in consumers.get(o, [])))
                    src[o] = o if cut else s
        dropped = members - set(owner)
        if not dropped:
            break
        members -= dropped
    return list(_components(model, members, owner, consumers, outputs, consts, ints))


def _components(model, members, owner, consumers, outputs, consts, ints):
    nodes = model.graph.node
    parent = {k: k for k in members}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    producer = {o: k for k in members for o in nodes[k].output}
    for k in members:
        for i in nodes[k].input:
            p = producer.get(i)
            if p is not None and owner[p] == owner[k]:
                parent[root(p)] = root(k)
    groups = {}
    for k in sorted(members):
        groups.setdefault(root(k), []).append(k)
    for ks in groups.values():
        inside = set(ks)
        read_outside = {o for k in ks for o in nodes[k].output
                        if o in outputs or any(c not in inside for c in consumers.get(o, []))}
        if len(read_outside) != 1:
            continue
        y = read_outside.pop()
        x = owner[ks[0]]
        if y not in ints or y in outputs or x == y:
            continue
        last = producer[y]
        ks = [k for k in ks if k <= last]
        if all(nodes[k].op_type in _CONVERTED and not consts & set(nodes[k].input[:4:3]) for k in ks) \
                or _plain_requantization(model, ks):
            continue   # what the converters take as it is (integer Relu / Clip, QLinearAdd of maps)
        yield Region(ks, x, y)


def _plain_requantization(model, ks) -> bool:
    """DequantizeLinear -> QuantizeLinear with the same scale and zero point (a no-op)."""
    n = [model.graph.node[k] for k in ks]
    if [m.op_type for m in n] != ["DequantizeLinear", "QuantizeLinear"]:
        return False
    inits = {t.name: t for t in model.graph.initializer}

    def value(name):
        t = inits.get(name)
        return None if t is None else (t.data_type, numpy_helper.to_array(t).tolist())
    return all(value(a) is not None and value(a) == value(b)
               for a, b in zip(n[0].input[1:], n[1].input[1:])) and len(n[0].input) == len(n[1].input)


# -- one region -> one table layer ------------------------------------------------

def convert(b, model: onnx.ModelProto, region: Region, names: list) -> None:
    """Append REGION's table layer; B's node is the one writing y (the layer is named after it)."""
    nodes = [model.graph.node[k] for k in region.nodes]
    x = b.tensors.get(region.x)
    if x is None or x.q is None:
        raise b.error(f"reads {region.x!r}, which is not an integer feature map hlsgen computes")
    here = b.node, b.name
    try:
        for k, n in zip(region.nodes, nodes):
            b.node, b.name = n, names[k]
            _check_constants(b, len(x.shape) + 1, x.channels)
        yq = _output_q(b, model, region, names)
    finally:
        b.node, b.name = here
    rows = _evaluate(b, model, nodes, region, x, yq)
    table = rows[:1].copy() if (rows == rows[:1]).all() else rows
    # the user's op types; nodes of a function onnxruntime inlined (HardSwish) are in no file
    ops = [b.original_op(n) for n in nodes if n.name in b.original_ops or n.output[0] in b.original_outputs]
    ops = ops or [n.op_type for n in nodes]
    shown = [op for op in ops if op not in ("DequantizeLinear", "QuantizeLinear")] or ops
    b.add("table", [x], x.shape, yq, {"source": "+".join(dict.fromkeys(shown))}, {"table": table})


def _check_constants(b, rank: int, channels: int) -> None:
    """The node's constant operands broadcast per channel at most (axis 1 of the (N, C, ...) tensor)."""
    for i in BINARY.get(b.node.op_type, ()):
        name = b.node.input[i] if b.has_input(i) else ""
        if name not in b.consts:
            continue
        shape = np.shape(b.consts[name])
        dims = (1,) * (rank - len(shape)) + tuple(shape)
        if len(shape) > rank or any(d != 1 for a, d in enumerate(dims) if a != 1) or dims[1] not in (1, channels):
            raise b.error(f"operand {name!r} of shape {tuple(shape)} varies along more than the channel axis; "
                          "hlsgen takes element-wise functions with per-channel constants at most")


def _output_q(b, model, region: Region, names: list) -> ir.QParams:
    """The quantization of y: the QuantizeLinear's or QLinear op's output scale and zero point."""
    at = {o: k for k in region.nodes for o in model.graph.node[k].output}
    k = at[region.y]
    while True:
        b.node, b.name = model.graph.node[k], names[k]
        op = b.node.op_type
        if op == "QuantizeLinear":
            return b.qparams(1, 2, "output")
        if op in ("QLinearSigmoid", "QLinearLeakyRelu"):
            return b.qparams(3, 4, "output")
        if op in ("QLinearMul", "QLinearAdd"):
            return b.qparams(6, 7, "output")
        if b.node.input[0] == region.x:      # an integer Relu / Clip / Identity keeps its input's
            return b.tensors[region.x].q
        k = at[b.node.input[0]]


def _subgraph(model, nodes: list, x: str, y: str, x_type: int, y_type: int) -> onnx.ModelProto:
    """NODES (with the constant-only nodes and initializers they read) as a model from X to Y."""
    inits = {t.name: t for t in model.graph.initializer}
    makers = {o: n for n in model.graph.node for o in n.output}
    todo = [i for n in nodes for i in n.input if i and i != x]
    used, extra, seen = [], [], {id(n) for n in nodes}
    while todo:
        name = todo.pop()
        if name in inits:
            used.append(inits.pop(name))
        elif name in makers and id(makers[name]) not in seen:
            seen.add(id(makers[name]))
            extra.append(makers[name])
            todo.extend(i for i in makers[name].input if i)
    order = {id(n): k for k, n in enumerate(model.graph.node)}
    graph = helper.make_graph(sorted(extra + list(nodes), key=lambda n: order[id(n)]), "table",
                              [helper.make_tensor_value_info(x, x_type, None)],
                              [helper.make_tensor_value_info(y, y_type, None)], used)
    return helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version)


def _evaluate(b, model, nodes, region: Region, x: ir.Tensor, yq: ir.QParams) -> np.ndarray:
    """Every value of x on every channel through onnxruntime: the (C, 256) int32 table."""
    import onnxruntime as ort

    from ..golden.reference import session_options
    from .fuse import _first_line

    c = x.channels
    values = np.arange(x.q.qmin, x.q.qmax + 1).astype(x.q.np_dtype)
    if len(x.shape) == 1:             # a vector (N, C): one sample per value
        probe = np.repeat(values[:, None], c, axis=1)
    else:                             # (1, C, 1, ..., 256)
        probe = np.broadcast_to(values, (1, c) + (1,) * (len(x.shape) - 2) + (256,)).copy()
    sub = _subgraph(model, nodes, region.x, region.y, _ONNX_TYPE[x.q.dtype], _ONNX_TYPE[yq.dtype])
    try:
        sess = ort.InferenceSession(sub.SerializeToString(), sess_options=session_options(),
                                    providers=["CPUExecutionProvider"])
        out = sess.run(None, {region.x: probe})[0]
    except Exception as e:  # onnxruntime's own exception types
        raise b.error(f"onnxruntime cannot evaluate the element-wise region ending here: {_first_line(e)}") from None
    if out.shape != probe.shape or out.dtype != yq.np_dtype:
        raise b.error(f"the element-wise region ending here turns {probe.shape} {x.q.dtype} into "
                      f"{out.shape} {out.dtype}; hlsgen takes element-wise functions of one tensor")
    rows = out.T if len(x.shape) == 1 else out.reshape(c, 256)
    table = np.zeros((c, 256), np.int32)
    table[:, values.astype(np.int32) & 0xFF] = rows.astype(np.int32)
    return table
