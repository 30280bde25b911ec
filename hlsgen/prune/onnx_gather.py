"""The ONNX export of gather layers that lose channels: the Split, Slice or channel shuffle they stand for.

A gather's output channel c goes exactly when its input channel index[c] goes (``analysis``), so

* a Split keeps its outputs, each with the channels left of its range: new split sizes (as the ``split``
  input, or attribute before opset 13; ``num_outputs`` and equal parts become explicit sizes);
* a Slice with step 1 gets the bounds of the channels left of its range;
* a channel shuffle of C channels in g groups (Reshape (N, g, C/g, H, W) -> Transpose -> Reshape) stays one
  when the same positions are left in every group: the Reshapes get C/g and C of the channels left.

Anything else (a Slice with another step, a shuffle pruned unevenly across its groups, sizes that are not
constants) is a one-line UserError naming the node.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from .. import ir
from ..errors import UserError
from .analysis import Analysis

OPS = ("Split", "Slice", "Transpose")
_THROUGH = ("QuantizeLinear", "DequantizeLinear")


def _node(m, layer: ir.Layer):
    """The Split / Slice / Transpose node LAYER stands for: by its name (a Split output's layer is named
    '<node>:<output>'), else behind the tensor it writes."""
    for name in (layer.name, layer.name.rsplit(":", 1)[0]):
        node = m.nodes.get(name)
        if node is not None and node.op_type in OPS:
            return node
    node = m.producer.get(layer.outputs[0])
    while node is not None and node.op_type in _THROUGH + ("Reshape",):
        if node.op_type == "Reshape":            # a shuffle's last Reshape: its Transpose is behind it
            node = m.producer.get(node.input[0])
            while node is not None and node.op_type in _THROUGH:
                node = m.producer.get(node.input[0])
            break
        node = m.producer.get(node.input[0])
    if node is None or node.op_type not in OPS:
        raise UserError(f"node {layer.name!r}: no Split, Slice or channel shuffle found for it in the ONNX model")
    return node


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)


def _attr(node, name):
    return next((a for a in node.attribute if a.name == name), None)


def _constant(m, node, idx: int, what: str):
    ref = m.source(node, idx)
    if ref is None:
        raise UserError(f"node {node.name!r}: the {what} is not a constant; cannot remove channels through it")
    return ref


def _split(m, node, keep: np.ndarray) -> None:
    c, n = len(keep), len(node.output)
    if len(node.input) > 1 and node.input[1]:
        ref = _constant(m, node, 1, "split")
        sizes = [int(s) for s in m.array(ref).ravel()]
    elif _attr(node, "split") is not None:
        ref, sizes = None, list(_attr(node, "split").ints)
    elif _attr(node, "num_outputs") is not None:
        part = -(-c // _attr(node, "num_outputs").i)
        ref, sizes = None, [part] * (n - 1) + [c - part * (n - 1)]
    else:
        ref, sizes = None, [c // n] * n
    ends = np.cumsum(sizes)
    new = [int(keep[e - s:e].sum()) for s, e in zip(sizes, ends)]
    if min(new) < 1:
        raise UserError(f"node {node.name!r}: pruning leaves output {new.index(0)} of the Split without a channel")
    if ref is not None:
        m.replace(ref, np.asarray(new, m.array(ref).dtype))
    elif _opset(m.model) < 13:
        del node.attribute[:]
        node.attribute.extend([helper.make_attribute("axis", 1), helper.make_attribute("split", new)])
    else:
        keep_attrs = [a for a in node.attribute if a.name != "num_outputs"]
        del node.attribute[:]
        node.attribute.extend(keep_attrs)
        while len(node.input) < 2:
            node.input.append("")
        m.replace((node, 1), np.asarray(new, np.int64))


def _slice(m, node, layer: ir.Layer, keep: np.ndarray) -> None:
    index = np.asarray(layer.attrs["index"], np.int64)
    steps = m.array(_constant(m, node, 4, "steps")).ravel() if len(node.input) > 4 and node.input[4] else [1]
    if int(steps[0]) != 1 or len(index) != index[-1] - index[0] + 1:
        raise UserError(f"node {node.name!r}: a Slice with step {int(steps[0])} cannot express the channels "
                        "pruning leaves; prune none of its channels")
    start = int(keep[:index[0]].sum())
    end = start + int(keep[index].sum())
    for i, v in ((1, start), (2, end)):
        ref = _constant(m, node, i, "starts" if i == 1 else "ends")
        old = m.array(ref)
        m.replace(ref, np.full(old.shape, v, old.dtype))


def _shuffle(m, node, keep: np.ndarray) -> None:
    """NODE: the Transpose of a shuffle; its Reshapes are behind it and in front of it."""
    first = m.producer.get(node.input[0])
    while first is not None and first.op_type in _THROUGH:
        first = m.producer.get(first.input[0])
    last = m.reader(node.output[0])
    while last is not None and last.op_type in _THROUGH:
        last = m.reader(last.output[0])
    if first is None or last is None or first.op_type != "Reshape" or last.op_type != "Reshape":
        raise UserError(f"node {node.name!r}: the Reshapes of this channel shuffle were not found in the ONNX model")
    split_ref, back_ref = _constant(m, first, 1, "shape"), _constant(m, last, 1, "shape")
    split, back = m.array(split_ref), m.array(back_ref)
    c = len(keep)
    g = int(split[1]) if int(split[1]) > 0 else c // int(split[2])
    rows = keep.reshape(g, c // g)
    if not (rows == rows[:1]).all():
        raise UserError(f"node {node.name!r}: pruning removes different channels from the {g} groups of this "
                        "channel shuffle, which its Reshape and Transpose cannot express; prune its groups alike")
    per = int(rows[0].sum())
    split, back = split.copy(), back.copy()
    if split[2] > 0:
        split[2] = per
    if back[1] > 0:
        back[1] = g * per
    m.replace(split_ref, split)
    m.replace(back_ref, back)


def resize(m, graph: ir.Graph, layer: ir.Layer, a: Analysis, done: set) -> None:
    """Edit the node behind gather LAYER for the channels analysis A removes (each node once)."""
    keep = a.keep[layer.inputs[0]]
    if keep.all():
        return
    node = _node(m, layer)
    if id(node) in done:
        return
    done.add(id(node))
    {"Split": lambda: _split(m, node, keep), "Slice": lambda: _slice(m, node, layer, keep),
     "Transpose": lambda: _shuffle(m, node, keep)}[node.op_type]()
