"""Hand-built QOperator test networks (hlsgen.golden.twin): the ONNX model and its IR side by side,
no torch needed.  ``tables(dtype, seed)``: element-wise tables and a requantizing concat;
``squeeze_excite(dtype, seed)``: a squeeze-and-excitation block (a map times a per-channel gate)."""
from __future__ import annotations

import numpy as np

from ..golden.twin import Net
from ..ir import QParams

TABLES_SHAPE = (3, 12, 10)


def _conv(net, x, o, k, qy, rng, stride=(1, 1), groups=1, w_scale_hi=0.015):
    i = net.tensors[x].shape[0] // groups
    w = rng.integers(-20, 21, size=(o, i, k, k)).astype(np.int8)
    return net.conv(x, w, np.zeros(o, np.int32), rng.uniform(0.005, w_scale_hi, o).astype(np.float32),
                    rng.integers(-300, 300, size=o), qy, stride=stride, pads=(k // 2,) * 4, groups=groups)


def _start(dtype: str, seed: int):
    """(rng, q, net, x): q(scale, zp) quantizes in DTYPE with zp offset from the type's middle; x the
    quantized input of a TABLES_SHAPE net."""
    rng = np.random.default_rng(seed)
    z = 0 if dtype == "int8" else 128

    def q(scale, zp):
        return QParams(scale, zp + z, dtype)

    net = Net(TABLES_SHAPE)
    return rng, q, net, net.quantize("x", q(1 / 100, 5))


def _head(net, t, rng, q):
    """Global average pool, Flatten, a 10-class Gemm, dequantized: the net's output tensor."""
    pool = net.gavgpool(t, q(0.02, -30))
    w = rng.integers(-30, 31, size=(10, net.tensors[t].shape[0])).astype(np.int8)
    y = net.qgemm(net.flatten(pool), w, np.zeros(10, np.int32), np.full(10, 0.02, np.float32),
                  rng.integers(-100, 100, size=10), q(0.05, 0))
    return net.dequantize(y)


def tables(dtype: str = "uint8", seed: int = 0):
    """conv 3x3 -> QLinearSigmoid -> conv 1x1 -> QLinearLeakyRelu, concatenated (channels 16 + 8)
    with a conv branch in another quantization (a requantizing concat), global average pool, Gemm.
    Returns (net, output tensor name)."""
    rng, q, net, x = _start(dtype, seed)
    a = _conv(net, x, 8, 3, q(0.04, -10), rng)
    s = net.unary(a, "QLinearSigmoid", q(1 / 256, -128))
    b = _conv(net, s, 16, 1, q(0.03, 7), rng)
    r = net.unary(b, "QLinearLeakyRelu", q(0.02, -60), alpha=0.1)
    c = _conv(net, a, 8, 3, q(0.05, 3), rng, stride=(1, 1))
    cat = net.concat([r, c], q(0.035, -20))
    return net, _head(net, cat, rng, q)


def table_pool(dtype: str = "int8", seed: int = 0):
    """conv 3x3 -> QLinearLeakyRelu -> max pool 2x2 (the table and the pool both in the conv's epilogue:
    the pool compares the table's outputs as values of the output dtype), conv 1x1, global average pool,
    Gemm. Returns (net, output tensor name)."""
    rng, q, net, x = _start(dtype, seed)
    a = _conv(net, x, 16, 3, q(0.04, 3), rng)
    r = net.unary(a, "QLinearLeakyRelu", q(0.01, 20), alpha=0.3)
    m = net.maxpool(r, (2, 2), (2, 2), (0, 0, 0, 0))
    c = _conv(net, m, 8, 1, q(0.03, 4), rng)
    return net, _head(net, c, rng, q)


def squeeze_excite(dtype: str = "uint8", seed: int = 0):
    """conv 3x3, a squeeze-and-excitation block (global average pool, 1x1 conv + ReLU, 1x1 conv,
    QLinearSigmoid, QLinearMul of the map by the gate), conv 1x1, global average pool, Gemm.
    Returns (net, output tensor name)."""
    rng, q, net, x = _start(dtype, seed)
    a = _conv(net, x, 16, 3, q(0.04, -10), rng)
    p = net.gavgpool(a, q(0.03, -5))
    r = _conv(net, p, 4, 1, q(0.02, -128), rng)
    r = net.clip(r, net.q(r).qmin, net.q(r).qmax)
    g = net.unary(_conv(net, r, 16, 1, q(0.05, 0), rng), "QLinearSigmoid", q(1 / 256, -128))
    m = net.mul(a, g, q(0.035, -12))
    c = _conv(net, m, 8, 1, q(0.03, 4), rng)
    return net, _head(net, c, rng, q)


def grouped(dtype: str = "int8", seed: int = 0, channels: int = 40):
    """conv 3x3 to CHANNELS, a depthwise 5x5 conv (stride 2), a grouped 3x3 conv (5 groups of 8 when
    CHANNELS is 40), conv 1x1, global average pool, Gemm: channel counts that are no multiple of the
    engine's lanes, so a PO group's input window runs past the map's words. Returns (net, output)."""
    rng, q, net, x = _start(dtype, seed)

    def conv(t, o, k, qy, groups=1, stride=1):
        return _conv(net, t, o, k, qy, rng, (stride, stride), groups, w_scale_hi=0.02)

    a = conv(x, channels, 3, q(0.04, -10))
    d = conv(a, channels, 5, q(0.03, 3), groups=channels, stride=2)
    g = conv(d, channels, 3, q(0.05, -4), groups=5)
    return net, _head(net, conv(g, 16, 1, q(0.03, 2)), rng, q)


def per_channel(graph, seed: int = 0):
    """GRAPH with a per-channel table (random bytes per channel, as a float BatchNorm gives) after the
    first table layer: checks the per-word table layout (golden only: no onnxruntime node says this)."""
    g = graph.copy()
    first = next(layer for layer in g.layers if layer.op == "table")
    t = g.tensor(first.outputs[0])
    rng = np.random.default_rng(seed)
    lo, hi = t.q.qmin, t.q.qmax
    table = rng.integers(lo, hi + 1, size=(t.channels, 256)).astype(np.int32)
    from ..ir import Layer, Tensor
    name = first.outputs[0] + ":bn"
    g.tensors[name] = Tensor(name, t.shape, t.q)
    for layer in g.layers:
        layer.inputs = [name if i == first.outputs[0] else i for i in layer.inputs]
    g.layers.insert(g.layers.index(first) + 1, Layer("bn_table", "table", [first.outputs[0]], [name],
                                                     {"source": "per-channel"}, {"table": table}))
    g.validate()
    return g
