"""Reading an ONNX file and checking what hlsgen needs of it, with one-line errors naming the file.

``read(path)`` parses and checks the file (every output produced by a node, onnx's checker);
``interface(model, label)`` checks the model's one input (float32 NCHW, static C, H, W);
``check_ops`` rejects operators hlsgen does not take, naming the node.
"""
from __future__ import annotations

from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from ..errors import UserError

ONNX_DOMAINS = ("", "ai.onnx", "com.microsoft")

QOPERATOR_OPS = frozenset({
    "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd",
    "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearConcat"})
# element-wise functions of one quantized tensor, taken as table layers (frontend.tables) where they
# form such a region; QLinearMul / Mul of two different maps is not one
TABLE_OPS = frozenset({"QLinearSigmoid", "QLinearLeakyRelu", "QLinearMul", "Sigmoid", "HardSigmoid", "HardSwish",
                       "Tanh", "LeakyRelu", "PRelu", "Mul", "Sub", "Div", "Neg", "Abs", "Exp", "Elu", "Softplus",
                       "Erf", "BatchNormalization"})
_QLINEAR_TABLE_OPS = frozenset(op for op in TABLE_OPS if op.startswith("QLinear"))
# float ops that DequantizeLinear/QuantizeLinear pairs around them turn into integer ops (QDQ)
QDQ_OPS = frozenset({"Conv", "Gemm", "MatMul", "Add", "AveragePool", "GlobalAveragePool", "Concat"})
# ops on quantized tensors either way, and graph plumbing onnxruntime folds away
PLAIN_OPS = frozenset({"MaxPool", "Flatten", "Reshape", "Relu", "Clip", "Identity", "Constant",
                       "Transpose", "Split", "Slice",    # channel shuffles and splits (frontend.channels)
                       "Shape", "Gather", "Unsqueeze", "Cast"})   # shape arithmetic of static shapes
QUANTIZED_MODEL_OPS = QOPERATOR_OPS | QDQ_OPS | PLAIN_OPS | TABLE_OPS
# what a float model may hold before it is quantized (onnxruntime folds BatchNormalization into Conv;
# the quantizer leaves element-wise functions between DequantizeLinear and QuantizeLinear: tables)
FLOAT_MODEL_OPS = QDQ_OPS | PLAIN_OPS | (TABLE_OPS - _QLINEAR_TABLE_OPS) | {"Dropout"}


def read(path) -> onnx.ModelProto:
    """Parse PATH as an ONNX model and run onnx's checker; UserError on anything else."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected an ONNX model file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    if not data:
        raise UserError(f"{path}: empty file, expected an ONNX model")
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        raise UserError(f"{path}: {_what_it_is(data)}, not an ONNX model") from None
    if not model.graph.node or not model.opset_import:
        raise UserError(f"{path}: {_what_it_is(data)}, not an ONNX model (no graph)")
    produced = {o for n in model.graph.node for o in n.output if o}
    for out in model.graph.output:
        if out.name not in produced:
            raise UserError(f"{path}: output {out.name!r} is produced by no node")
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as e:
        raise UserError(f"{path}: invalid ONNX model: {str(e).strip().splitlines()[0]}") from None
    return model


def _what_it_is(data: bytes) -> str:
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "unreadable or truncated protobuf"
    if all(c.isprintable() or c in "\r\n\t" for c in text):
        return "a text file"
    return "unreadable or truncated protobuf"


def interface(model: onnx.ModelProto, label) -> tuple:
    """Check the model's input; return (input name, (C, H, W), static batch or None)."""
    graph = model.graph
    consts = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise UserError(f"{label}: the model has {len(inputs)} inputs; hlsgen takes models with one input")
    x = inputs[0]
    ttype = x.type.tensor_type
    if ttype.elem_type != onnx.TensorProto.FLOAT:
        dtype = onnx.TensorProto.DataType.Name(ttype.elem_type).lower()
        raise UserError(f"{label}: input {x.name!r} is {dtype}; hlsgen needs a float32 NCHW input")
    dims = list(ttype.shape.dim)
    shown = ", ".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?") for d in dims)
    if len(dims) != 4:
        raise UserError(f"{label}: input {x.name!r} has shape ({shown}); hlsgen needs an NCHW input")
    if not all(d.HasField("dim_value") and d.dim_value > 0 for d in dims[1:]):
        raise UserError(f"{label}: input {x.name!r} has shape ({shown}) with dynamic channel or spatial "
                        "dimensions; hlsgen needs static C, H, W (the batch may be dynamic)")
    batch = int(dims[0].dim_value) if dims[0].HasField("dim_value") and dims[0].dim_value > 0 else None
    return x.name, tuple(int(d.dim_value) for d in dims[1:]), batch


def node_names(model: onnx.ModelProto) -> list:
    """The nodes' names, with ``op_N`` (N = node index) invented for unnamed ones, never a name in use."""
    taken = {n.name for n in model.graph.node}
    names = []
    for i, node in enumerate(model.graph.node):
        name, k = node.name or f"op_{i}", 2
        while not node.name and name in taken:
            name, k = f"op_{i}_{k}", k + 1
        taken.add(name)
        names.append(name)
    return names


# Operators refused on purpose, and why (what the user can do instead)
REFUSED = {
    "ReduceMean": "not supported: onnxruntime averages in float with Eigen, in an order that depends on the "
                  "data's alignment and the CPU's vector width, which no engine reproduces bit for bit; over H "
                  "and W use a global average pool (torch AdaptiveAvgPool2d(1): QLinearGlobalAveragePool)",
}


def check_ops(model: onnx.ModelProto, label, allowed: frozenset) -> None:
    """UserError naming the first node whose operator is not in ALLOWED."""
    for name, node in zip(node_names(model), model.graph.node):
        if node.op_type not in allowed or node.domain not in ONNX_DOMAINS:
            op = node.op_type if node.domain in ONNX_DOMAINS else f"{node.domain}:{node.op_type}"
            why = REFUSED.get(node.op_type, "operator not supported by hlsgen")
            raise UserError(f"{label}: node {name!r} ({op}): {why}")


def operators(model: onnx.ModelProto, tables: set | None = None) -> list:
    """Every operator MODEL uses, once: [{"op", "count", "runs"}], in order of first use. ``runs``:
    hlsgen takes it (the frontend's converters, or onnxruntime fuses it into one they take); a QDQ
    pattern that onnxruntime leaves in float is still refused at load, naming its node.  An op only a
    table layer takes (Sigmoid, BatchNormalization, QLinearMul, ...) runs when every node of it is in
    TABLES (names and output tensors of the nodes the table regions took, ``frontend.table_nodes``);
    None: the model loaded, so every node it has was taken."""
    allowed = FLOAT_MODEL_OPS if source_format(model) == "float" else QUANTIZED_MODEL_OPS
    out = {}
    for node in model.graph.node:
        op = node.op_type if node.domain in ONNX_DOMAINS else f"{node.domain}:{node.op_type}"
        runs = node.domain in ONNX_DOMAINS and node.op_type in allowed
        if runs and tables is not None and node.op_type in TABLE_OPS - QDQ_OPS - PLAIN_OPS:
            runs = node.name in tables or any(o in tables for o in node.output)
        entry = out.setdefault(op, {"op": op, "count": 0, "runs": True})
        entry["runs"] = entry["runs"] and runs
        entry["count"] += 1
    return list(out.values())


def source_format(model: onnx.ModelProto) -> str:
    """'qop' (QOperator nodes, or only ops on quantized tensors), 'qdq' (float ops between
    DequantizeLinear and QuantizeLinear) or 'float' (nothing quantized)."""
    ops = {n.op_type for n in model.graph.node}
    quantizers = ops & {"QuantizeLinear", "DequantizeLinear"}
    if ops & ((QOPERATOR_OPS | _QLINEAR_TABLE_OPS) - quantizers):
        return "qop"
    if quantizers:
        return "qdq" if ops & (QDQ_OPS | TABLE_OPS) else "qop"
    return "float"
