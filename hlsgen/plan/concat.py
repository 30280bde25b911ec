"""Concat inputs the engine cannot write in place get a table layer in front (ENGINE.md section 1).

The engine runs a concat for free when every input is written by its producer straight into
its channel slice of the concat's map (plan.memory ``_plan_concats``).  That needs the input in the
concat's quantization, written by a conv, a pool or a table, and read by nothing else.  Any other
input -- a requantizing concat (fire modules, inception blocks), a tensor also read elsewhere (a
dense block's input), a graph input -- goes through a ``table`` layer that writes it into the slice:
``quantize(dequantize(x))`` into the concat's quantization, exactly as onnxruntime's QLinearConcat
(golden ``ops.concat``), or a copy when the quantization is the same.  An input that a table layer
writes for the concat alone needs no second pass: the requantization is composed into that table
(the same function of its input, so just as exact).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..golden import ops

WRITERS = ("conv", "gemm", "maxpool", "avgpool", "gavgpool", "table")


def byte_values(q: ir.QParams) -> np.ndarray:
    """The integer value of every byte 0..255 read in Q's dtype (the tables' index order)."""
    b = np.arange(256)
    return b.astype(np.uint8).view(np.int8).astype(np.int32) if q.dtype == "int8" else b.astype(np.int32)


def requant_table(qx: ir.QParams, qy: ir.QParams) -> np.ndarray:
    """(1, 256) table of QLinearConcat's requantization from QX to QY (identity when equal)."""
    v = byte_values(qx)
    if qx == qy:
        return v.reshape(1, 256)
    return ops.requantize_table(qx, qy)[v - qx.qmin].astype(np.int32).reshape(1, 256)


def needs_table(graph: ir.Graph, concat: ir.Layer, t: str, producer: dict, consumers: dict) -> bool:
    prod = producer.get(t)
    return (graph.tensor(t).q != graph.tensor(concat.outputs[0]).q or prod is None or prod.op not in WRITERS
            or len(consumers.get(t, [])) != 1 or t in graph.outputs or concat.inputs.count(t) > 1)


def with_concat_tables(graph: ir.Graph) -> ir.Graph:
    """GRAPH with a table layer in front of every concat input that cannot be written in place
    (the same graph object when there is none)."""
    producer = {t: layer for layer in graph.layers for t in layer.outputs}
    consumers: dict = {}
    for layer in graph.layers:
        for t in layer.inputs:
            consumers.setdefault(t, []).append(layer)
    todo = [(layer, i) for layer in graph.layers if layer.op == "concat"
            for i, t in enumerate(layer.inputs) if needs_table(graph, layer, t, producer, consumers)]
    if not todo:
        return graph
    g = graph.copy()
    names = {layer.name for layer in g.layers}
    for cat_ref, i in todo:
        cat = g.layer(cat_ref.name)
        t = cat.inputs[i]
        qy = g.tensor(cat.outputs[0]).q
        prod = producer.get(t)
        if (prod is not None and prod.op == "table" and len(consumers[t]) == 1 and t not in g.outputs
                and cat.inputs.count(t) == 1):
            layer = g.layer(prod.name)
            inner = np.asarray(layer.params["table"], np.int64) & 0xFF
            layer.params = dict(layer.params, table=requant_table(g.tensor(t).q, qy)[0][inner])
            g.tensors[t] = ir.Tensor(t, g.tensor(t).shape, qy)
            continue
        name = f"{cat.name}:requant{i}"
        while name in names or name in g.tensors:
            name += "_"
        names.add(name)
        g.tensors[name] = ir.Tensor(name, g.tensor(t).shape, qy)
        table = ir.Layer(name, "table", [t], [name], {"source": "QLinearConcat requantization"},
                         {"table": requant_table(g.tensor(t).q, qy)})
        g.layers.insert(g.layers.index(cat), table)
        cat.inputs[i] = name
    g.validate()
    return g
