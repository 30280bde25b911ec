"""Channel shuffles, Splits and Slices along the channels -> ``gather`` layers.

onnxruntime runs these on the int8 / uint8 tensors themselves (they keep the quantization), so each
is a static selection of input channels, y[c] = x[index[c]]:

* a channel shuffle (ShuffleNet) is the exact pattern Reshape (N, C, H, W) -> (N, g, C/g, H, W),
  Transpose perm (0, 2, 1, 3, 4), Reshape back to (N, C, H, W), each intermediate read by the next node
  alone: one gather with the permutation ``index[c] = (c % g) * (C/g) + c // g``, named after the
  Transpose (``find_shuffles`` finds the patterns before the node loop, ``shuffle`` converts one);
* each output of a Split along axis 1 (sizes from the ``split`` input, the ``split`` attribute, opset 18's
  ``num_outputs``, or equal parts) is a gather of a contiguous range, named ``<node>:<output number>``;
* a Slice with constant starts / ends along axis 1 alone is a gather of ``range(start, end, step)``;
  where onnxruntime runs it in float between a DequantizeLinear and a QuantizeLinear (a quantizer's
  requantizing Slice), ``hoist_dequantize`` first moves it onto the integer tensor.

Anything else along other axes is refused with one line naming the node.
"""
from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

SHUFFLE_PERM = (0, 2, 1, 3, 4)


def _consumers(model) -> dict:
    out: dict = {}
    for k, n in enumerate(model.graph.node):
        for i in n.input:
            if i:
                out.setdefault(i, []).append(k)
    return out


def find_shuffles(model) -> dict:
    """{index of the last Reshape: (first Reshape, Transpose, last Reshape) node indices} of every
    Reshape -> Transpose (0, 2, 1, 3, 4) -> Reshape chain whose intermediates feed the next node alone
    (shapes are checked when the chain is converted)."""
    nodes = model.graph.node
    consumers = _consumers(model)
    outputs = {o.name for o in model.graph.output}

    def only_reader(k, op):
        out = nodes[k].output[0]
        ks = consumers.get(out, [])
        if out in outputs or len(ks) != 1 or nodes[ks[0]].op_type != op or nodes[ks[0]].input[0] != out:
            return None
        return ks[0]

    found = {}
    for k1, n in enumerate(nodes):
        if n.op_type != "Reshape":
            continue
        k2 = only_reader(k1, "Transpose")
        if k2 is None:
            continue
        perm = next((list(a.ints) for a in nodes[k2].attribute if a.name == "perm"), None)
        k3 = only_reader(k2, "Reshape")
        if k3 is not None and perm is not None and tuple(perm) == SHUFFLE_PERM:
            found[k3] = (k1, k2, k3)
    return found


def shuffle_index(c: int, g: int) -> tuple:
    """The channel shuffle of C channels in G groups: output c reads input (c % g) * (C/g) + c // g."""
    return tuple(int(i) for i in np.arange(c).reshape(g, c // g).T.ravel())


def reshape_target(b, size: int):
    """The per-sample shape the node's Reshape makes of a tensor of SIZE elements per sample: its
    target with the batch first (0, -1 or the static batch) and at most one -1 after it; None otherwise."""
    target = [int(d) for d in np.asarray(b.const(1, "shape")).ravel()]
    if not target or int(b.attrs().get("allowzero", 0)) and 0 in target:
        return None
    head, rest = target[0], target[1:]
    if any(d == 0 or d < -1 for d in rest) or rest.count(-1) > 1:
        return None
    known = int(np.prod([d for d in rest if d != -1], dtype=np.int64))
    if head == -1:
        return tuple(rest) if -1 not in rest and known == size else None
    if head != 0 and head != b.batch:
        return None
    if -1 in rest:
        if known == 0 or size % known:
            return None
        rest[rest.index(-1)] = size // known
    return tuple(rest) if int(np.prod(rest, dtype=np.int64)) == size else None


def shuffle(b, model, ks: tuple, names: list) -> None:
    """Append the gather of the channel shuffle KS = (first Reshape, Transpose, last Reshape); B's node is
    the last Reshape. Errors name the node whose shape does not fit."""
    nodes = model.graph.node
    here = b.node, b.name
    try:
        b.node, b.name = nodes[ks[0]], names[ks[0]]
        x = b.activation(0)
        if len(x.shape) != 3:
            raise b.error(f"reshapes per-sample {x.shape}; a channel shuffle takes an (N, C, H, W) feature map")
        c, h, w = x.shape
        size = c * h * w
        split = reshape_target(b, size)
        if split is None or len(split) != 4 or split[2:] != (h, w) or split[0] * split[1] != c:
            raise b.error(f"reshapes per-sample {x.shape} to {split or 'another shape'}; hlsgen takes Reshape as "
                          "a flatten to (N, C*H*W) or, before a Transpose, as a channel shuffle's (N, g, C/g, H, W)")
        b.node, b.name = nodes[ks[2]], names[ks[2]]
        back = reshape_target(b, size)
        if back != (c, h, w):
            raise b.error(f"reshapes the shuffled channels to {back or 'another shape'}; a channel shuffle "
                          f"reshapes back to (N, {c}, {h}, {w})")
        b.node, b.name = nodes[ks[1]], names[ks[1]]
        b.add("gather", [x], x.shape, x.q, {"index": shuffle_index(c, split[0])},
              output=nodes[ks[2]].output[0])
    finally:
        b.node, b.name = here


def _channel_axis(b, x, axis: int, what: str) -> None:
    rank = len(x.shape) + 1
    if not -rank <= axis < rank or axis % rank != 1:
        raise b.error(f"{what} along axis {axis} of a rank-{rank} tensor; hlsgen takes it along the "
                      "channels (axis 1) only")


def split(b) -> None:
    """Split along the channels: one gather per output (a contiguous range of channels)."""
    x = b.activation(0)
    a = b.attrs()
    _channel_axis(b, x, int(a.get("axis", 0)), "splits")
    c, n = x.channels, len(b.node.output)
    if b.has_input(1):
        sizes = [int(s) for s in np.asarray(b.const(1, "split")).ravel()]
    elif "split" in a:
        sizes = [int(s) for s in a["split"]]
    elif "num_outputs" in a:       # opset 18: chunks of ceil(C / n), the last one smaller
        part = -(-c // int(a["num_outputs"]))
        sizes = [part] * (n - 1) + [c - part * (n - 1)]
    else:
        if c % n:
            raise b.error(f"splits {c} channels into {n} equal parts")
        sizes = [c // n] * n
    if len(sizes) != n or min(sizes) < 1 or sum(sizes) != c:
        raise b.error(f"splits {c} channels into sizes {sizes} for {n} outputs")
    taken = {layer.name for layer in b.layers}
    start = 0
    for i, (out, size) in enumerate(zip(b.node.output, sizes)):
        if out:
            name = f"{b.name}:{i}"
            while name in taken or name in b.node_names:
                name += "_"
            b.add("gather", [x], (size,) + x.shape[1:], x.q, {"index": tuple(range(start, start + size))},
                  output=out, name=name)
        start += size


def _bound(v: int, dim: int, lo: int, hi: int) -> int:
    return min(max(v + dim if v < 0 else v, lo), hi)


def slice_(b) -> None:
    """Slice with constant starts / ends (axes, steps) along the channels alone: a gather."""
    x = b.activation(0)
    starts = [int(v) for v in np.asarray(b.const(1, "starts")).ravel()]
    ends = [int(v) for v in np.asarray(b.const(2, "ends")).ravel()]
    axes = ([int(v) for v in np.asarray(b.const(3, "axes")).ravel()] if b.has_input(3)
            else list(range(len(starts))))
    steps = [int(v) for v in np.asarray(b.const(4, "steps")).ravel()] if b.has_input(4) else [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps) == 1:
        raise b.error(f"slices axes {axes}; hlsgen takes Slice along the channels (axis 1) alone")
    _channel_axis(b, x, axes[0], "slices")
    c, step = x.channels, steps[0]
    if step == 0:
        raise b.error("slices with step 0")
    if step > 0:
        start, end = _bound(starts[0], c, 0, c), _bound(ends[0], c, 0, c)
    else:
        start, end = _bound(starts[0], c, 0, c - 1), _bound(ends[0], c, -1, c - 1)
    index = tuple(range(start, end, step))
    if not index:
        raise b.error(f"slices no channel out of {c} (starts {starts}, ends {ends}, steps {steps})")
    b.add("gather", [x], (len(index),) + x.shape[1:], x.q, {"index": index})


def not_folded(b) -> None:
    """Shape arithmetic onnxruntime did not fold into a constant."""
    raise b.error("was not folded into a constant by onnxruntime (shape arithmetic on a dynamic dimension?); "
                  f"hlsgen takes {b.op_type} only where it folds away (static shapes)")


def transpose(b) -> None:
    """A Transpose outside a channel shuffle."""
    raise b.error("hlsgen takes Transpose only inside a channel shuffle: Reshape (N, g, C/g, H, W) -> "
                  "Transpose perm (0, 2, 1, 3, 4) -> Reshape (N, C, H, W)")


# -- a Slice / Split between DequantizeLinear and QuantizeLinear ---------------------------------

def _scalar_qparams(inits: dict, node) -> tuple | None:
    """(scale, zero point) of a per-tensor QuantizeLinear / DequantizeLinear, as comparable values."""
    vals = []
    for i in node.input[1:3]:
        t = inits.get(i)
        if t is None:
            return None
        v = numpy_helper.to_array(t)
        if v.size != 1:
            return None
        vals.append((v.dtype.name, v.ravel().tolist()))
    return tuple(vals) if len(vals) == 2 else None


def hoist_dequantize(model) -> None:
    """Move the data movement of DequantizeLinear -> Slice / Split -> QuantizeLinear (per tensor) onto the
    integer tensor, in place: Slice / Split -> DequantizeLinear -> QuantizeLinear per output.

    onnxruntime's QOperator quantizer leaves such a Slice in float where its output quantization differs
    from its input's (the half of a ShuffleNet unit that goes to the concat); the values are the same
    (dequantization is element-wise and per tensor), and each DequantizeLinear -> QuantizeLinear left is
    a requantization (a table layer, ``tables``), or nothing when both quantizations are the same."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    outputs = {v.name for v in g.output}
    names = {v for n in g.node for v in list(n.input) + list(n.output)} | set(inits)

    def fresh(base):
        name = base
        while name in names:
            name += "_"
        names.add(name)
        return name

    for s in [n for n in g.node if n.op_type in ("Slice", "Split") and n.domain in ("", "ai.onnx")]:
        producer = {o: n for n in g.node for o in n.output}
        readers = {}
        for n in g.node:
            for i in n.input:
                readers.setdefault(i, []).append(n)
        dq = producer.get(s.input[0])
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[0] in inits:
            continue
        dq_q = _scalar_qparams(inits, dq)
        outs = [o for o in s.output if o]
        if dq_q is None or any(o in outputs or not readers.get(o) or any(
                q.op_type != "QuantizeLinear" or q.input[0] != o or _scalar_qparams(inits, q) is None
                or q.output[0] in outputs for q in readers[o]) for o in outs):
            continue
        s.input[0] = dq.input[0]
        added, dead = [], []
        for i, o in enumerate(s.output):
            if not o:
                continue
            integer = fresh(f"{o}_integer")
            s.output[i] = integer
            f = None
            for q in readers[o]:
                if _scalar_qparams(inits, q) == dq_q:       # no requantization: the QuantizeLinear goes
                    for n in g.node:
                        n.input[:] = [integer if v == q.output[0] else v for v in n.input]
                    dead.append(q)
                    continue
                if f is None:
                    f = fresh(f"{o}_dequantized")
                    added.append(helper.make_node("DequantizeLinear", [integer, *dq.input[1:]], [f],
                                                  name=fresh(f"{s.name}/DequantizeLinear_{i}")))
                q.input[0] = f
        k = list(g.node).index(s)
        for j, n in enumerate(added):
            g.node.insert(k + 1 + j, n)
        for q in dead:
            g.node.remove(q)
        if not any(dq.output[0] in n.input for n in g.node) and dq.output[0] not in outputs:
            g.node.remove(dq)
