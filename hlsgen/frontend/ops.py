"""One converter per ONNX operator of the fused (QOperator) graph: node -> IR layer.

Each converter reads its node through the Builder ``b`` (constants, quantization, attributes)
and appends one layer with ``b.add``; it raises ``b.error(...)`` for what hlsgen does not take.
Input layouts follow the ONNX / com.microsoft operator specifications.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from . import channels


# -- shared pieces ----------------------------------------------------------

def _feature_map(b, t: ir.Tensor) -> tuple:
    if len(t.shape) != 3:
        raise b.error(f"expects an (N, C, H, W) feature map, got per-sample shape {t.shape}")
    return t.shape


def _window(b, a: dict, hw: tuple, kernel: tuple, ceil_as_padding: bool = False) -> tuple:
    """(stride, pads (top, left, bottom, right), output (OH, OW)) from ONNX conv / pool attributes.

    ceil_as_padding: realize ceil_mode by extra bottom / right padding (exact where padding taps
    are ignored); otherwise a ceil_mode that changes the output is refused."""
    kernel = tuple(int(k) for k in kernel)
    stride = tuple(int(s) for s in a.get("strides", (1, 1)))
    if len(kernel) != 2 or len(stride) != 2:
        raise b.error(f"kernel {kernel}: only 2-D windows are supported")
    if any(int(d) != 1 for d in a.get("dilations", (1, 1))):
        raise b.error(f"dilations {tuple(a['dilations'])}: only dilation 1 is supported")
    auto_pad = a.get("auto_pad", "NOTSET")
    if auto_pad == "NOTSET":
        pads = tuple(int(p) for p in a.get("pads", (0, 0, 0, 0)))
    elif auto_pad == "VALID":
        pads = (0, 0, 0, 0)
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        total = [max((-(-n // s) - 1) * s + k - n, 0) for n, s, k in zip(hw, stride, kernel)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        head, tail = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
        pads = (head[0], head[1], tail[0], tail[1])
    else:
        raise b.error(f"auto_pad {auto_pad!r} is not an ONNX padding mode")
    if len(pads) != 4 or min(pads) < 0 or min(stride) < 1:
        raise b.error(f"pads {pads} / strides {stride}: expected 4 non-negative pads and positive strides")
    out = tuple(ir.conv_out_size(n, k, s, p0, p1)
                for n, k, s, p0, p1 in zip(hw, kernel, stride, pads[:2], pads[2:]))
    if a.get("ceil_mode", 0):
        ceil = []
        for n, k, s, p0, p1 in zip(hw, kernel, stride, pads[:2], pads[2:]):
            o = -(-(n + p0 + p1 - k) // s) + 1
            ceil.append(o - 1 if (o - 1) * s >= n + p0 else o)   # the last window must start inside
        if tuple(ceil) != out and not ceil_as_padding:
            raise b.error(f"ceil_mode gives output {tuple(ceil)} instead of {out}; not supported here")
        extra = [(o - 1) * s + k - (n + p0 + p1)
                 for o, n, k, s, p0, p1 in zip(ceil, hw, kernel, stride, pads[:2], pads[2:])]
        pads = (pads[0], pads[1], pads[2] + max(extra[0], 0), pads[3] + max(extra[1], 0))
        out = tuple(ceil)
    return stride, pads, out


def _required(b, a: dict, key: str):
    if key not in a:
        raise b.error(f"attribute {key!r} is missing")
    return a[key]


def _per_channel(b, i: int, n: int, what: str, default_dtype=None) -> np.ndarray:
    """Input I as a vector of N values (one per output channel), broadcasting a per-tensor value."""
    if not b.has_input(i) and default_dtype is not None:
        return np.zeros(n, default_dtype)
    v = np.asarray(b.const(i, what))
    if v.size == 1:
        return np.full(n, v.ravel()[0], v.dtype)
    if v.size != n:
        raise b.error(f"{what} has shape {v.shape}; expected one value or one per output channel ({n})")
    return v.reshape(n)


def _weights(b, scale_i: int, zp_i: int, w: np.ndarray) -> dict:
    """w, w_zp (int32), w_scale (float32) of a weight tensor W whose first axis is the output channel."""
    if w.dtype.name not in ir.DTYPE_RANGE:
        raise b.error(f"weights are {w.dtype.name}; hlsgen takes int8 or uint8 weights")
    n = w.shape[0]
    scale = _per_channel(b, scale_i, n, "weight scale")
    zp = _per_channel(b, zp_i, n, "weight zero point", default_dtype=w.dtype)
    if scale.dtype != np.float32 or not np.all(np.isfinite(scale) & (scale > 0)):
        raise b.error("weight scales must be positive finite float32 values")
    return {"w": w, "w_zp": zp.astype(np.int32), "w_scale": scale.astype(np.float32)}


def _bias(b, i: int, n: int) -> np.ndarray:
    if not b.has_input(i):
        return np.zeros(n, np.int32)
    bias = np.asarray(b.const(i, "bias"))
    if bias.dtype != np.int32:
        raise b.error(f"bias is {bias.dtype.name}; expected int32")
    return _per_channel(b, i, n, "bias").astype(np.int32)


def _gemm(b, x: ir.Tensor, w: np.ndarray, scale_i: int, zp_i: int, bias: np.ndarray, yq: ir.QParams):
    """A fully connected layer: W is (O, I) with the output channel first."""
    if x.shape != (w.shape[1],):
        raise b.error(f"multiplies a per-sample {x.shape} input by a {w.shape[1]}-row weight; "
                      f"hlsgen takes a flattened (N, {w.shape[1]}) input")
    params = _weights(b, scale_i, zp_i, np.ascontiguousarray(w))
    params["b"] = bias
    b.add("gemm", [x], (w.shape[0],), yq, {"act_min": yq.qmin, "act_max": yq.qmax}, params)


# -- converters -------------------------------------------------------------

def quantize_linear(b):
    src = b.node.input[0]
    if src != b.input_name:
        raise b.error("quantizes a value computed in float; hlsgen takes QuantizeLinear only on the "
                      "model input (other quantizers must be fused by onnxruntime)")
    x = b.tensors[src]
    b.add("quantize", [x], x.shape, b.qparams(1, 2, "output"))


def dequantize_linear(b):
    out = b.node.output[0]
    if out not in b.outputs:  # weights of a float op, or a value a float op reads: reported there
        b.float_values.add(out)
        return
    x = b.read_quantized(0, 1, 2)
    b.add("dequantize", [x], x.shape, None)


def qlinear_conv(b):
    # X, x_scale, x_zp, W, w_scale, w_zp, y_scale, y_zp, B
    x = b.read_quantized(0, 1, 2)
    c, h, w_ = _feature_map(b, x)
    w = np.asarray(b.const(3, "weight"))
    if w.ndim != 4:
        raise b.error(f"weight shape {w.shape}: only 2-D convolutions are supported")
    a = b.attrs()
    groups = int(a.get("group", 1))
    o = w.shape[0]
    if w.shape[1] * groups != c or o % groups:
        raise b.error(f"weight shape {w.shape} with {groups} groups does not fit {c} input channels")
    kernel = tuple(a.get("kernel_shape", w.shape[2:]))
    if tuple(kernel) != tuple(w.shape[2:]):
        raise b.error(f"kernel_shape {kernel} differs from the weight's {w.shape[2:]}")
    stride, pads, out = _window(b, a, (h, w_), kernel)
    yq = b.qparams(6, 7, "output")
    params = _weights(b, 4, 5, w)
    params["b"] = _bias(b, 8, o)
    attrs = {"kernel": tuple(kernel), "stride": stride, "pads": pads, "dilation": (1, 1),
             "groups": groups, "act_min": yq.qmin, "act_max": yq.qmax}
    b.add("conv", [x], (o, *out), yq, attrs, params)


def qlinear_matmul(b):
    # A, a_scale, a_zp, B, b_scale, b_zp, y_scale, y_zp
    x = b.read_quantized(0, 1, 2)
    w = np.asarray(b.const(3, "weight"))
    if w.ndim != 2:
        raise b.error(f"weight shape {w.shape}: expected a (K, M) matrix")
    _gemm(b, x, w.T, 4, 5, np.zeros(w.shape[1], np.int32), b.qparams(6, 7, "output"))


def qgemm(b):
    # A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp  (com.microsoft)
    a = b.attrs()
    if float(a.get("alpha", 1.0)) != 1.0 or int(a.get("transA", 0)):
        raise b.error("alpha != 1 or transA: not supported")
    if not b.has_input(7):
        raise b.error("has a float output (no y_scale); hlsgen needs a quantized output")
    x = b.read_quantized(0, 1, 2)
    w = np.asarray(b.const(3, "weight"))
    if w.ndim != 2:
        raise b.error(f"weight shape {w.shape}: expected a matrix")
    w = w if int(a.get("transB", 0)) else w.T
    _gemm(b, x, w, 4, 5, _bias(b, 6, w.shape[0]), b.qparams(7, 8, "output"))


def qlinear_add(b):
    # A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp  (com.microsoft)
    x = b.read_quantized(0, 1, 2, "input A")
    y = b.read_quantized(3, 4, 5, "input B")
    if x.shape != y.shape:
        raise b.error(f"adds per-sample shapes {x.shape} and {y.shape}; broadcasting is not supported")
    yq = b.qparams(6, 7, "output")
    b.add("add", [x, y], x.shape, yq, {"act_min": yq.qmin, "act_max": yq.qmax})


def qlinear_mul(b):
    # A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp  (com.microsoft): a map times a per-channel
    # vector (squeeze-and-excitation); a product with a constant or of one tensor with itself is a table
    x = b.read_quantized(0, 1, 2, "input A")
    y = b.read_quantized(3, 4, 5, "input B")
    if len(x.shape) == 3 and len(y.shape) == 3 and y.shape[1:] == (1, 1) and x.shape[1:] != (1, 1):
        pass
    elif len(x.shape) == 3 and len(y.shape) == 3 and x.shape[1:] == (1, 1) and y.shape[1:] != (1, 1):
        x, y = y, x
    else:
        raise b.error(f"multiplies per-sample shapes {x.shape} and {y.shape}; hlsgen takes a feature map "
                      "times a per-channel vector (C, 1, 1)")
    if x.shape[0] != y.shape[0]:
        raise b.error(f"multiplies {x.shape[0]} channels by a vector of {y.shape[0]}")
    b.add("mul", [x, y], x.shape, b.qparams(6, 7, "output"))


def _no_channels_last(b, a):
    if int(a.get("channels_last", 0)):
        raise b.error("channels_last layout is not supported")


def qlinear_average_pool(b):
    # X, x_scale, x_zp, y_scale, y_zp  (com.microsoft)
    x = b.read_quantized(0, 1, 2)
    c, h, w = _feature_map(b, x)
    a = b.attrs()
    _no_channels_last(b, a)
    kernel = tuple(int(k) for k in _required(b, a, "kernel_shape"))
    include = int(a.get("count_include_pad", 0))
    # without count_include_pad, padding taps are neither summed nor counted: ceil_mode is padding
    stride, pads, out = _window(b, a, (h, w), kernel, ceil_as_padding=not include)
    attrs = {"kernel": kernel, "stride": stride, "pads": pads, "count_include_pad": include}
    b.add("avgpool", [x], (c, *out), b.qparams(3, 4, "output"), attrs)


def qlinear_global_average_pool(b):
    # X, x_scale, x_zp, y_scale, y_zp  (com.microsoft)
    x = b.read_quantized(0, 1, 2)
    c = _feature_map(b, x)[0]
    _no_channels_last(b, b.attrs())
    b.add("gavgpool", [x], (c, 1, 1), b.qparams(3, 4, "output"))


def qlinear_concat(b):
    # Y_scale, Y_zp, then (X, X_scale, X_zp) per input  (com.microsoft)
    n = len(b.node.input) - 2
    if n < 3 or n % 3:
        raise b.error("expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples")
    xs = [b.read_quantized(i, i + 1, i + 2, f"input {(i - 2) // 3}") for i in range(2, len(b.node.input), 3)]
    rank = len(xs[0].shape)
    axis = int(_required(b, b.attrs(), "axis"))
    axis = axis + rank + 1 if axis < 0 else axis
    if not 1 <= axis <= rank:
        raise b.error(f"concatenates along the batch axis or beyond; hlsgen takes axis 1..{rank}")
    k = axis - 1
    for t in xs:
        if len(t.shape) != rank or t.shape[:k] + t.shape[k + 1:] != xs[0].shape[:k] + xs[0].shape[k + 1:]:
            raise b.error(f"input shapes {[t.shape for t in xs]} do not fit along axis {axis}")
    shape = list(xs[0].shape)
    shape[k] = sum(t.shape[k] for t in xs)
    b.add("concat", xs, tuple(shape), b.qparams(0, 1, "output"), {"axis": k})


def max_pool(b):
    x = b.activation(0)
    c, h, w = _feature_map(b, x)
    if len(b.node.output) > 1 and b.node.output[1]:
        raise b.error("the Indices output is not supported")
    a = b.attrs()
    kernel = tuple(int(k) for k in _required(b, a, "kernel_shape"))
    stride, pads, out = _window(b, a, (h, w), kernel, ceil_as_padding=True)
    b.add("maxpool", [x], (c, *out), x.q, {"kernel": kernel, "stride": stride, "pads": pads})


def flatten(b):
    x = b.activation(0)
    axis = int(b.attrs().get("axis", 1))
    if axis < 0:
        axis += len(x.shape) + 1
    if axis != 1:
        raise b.error(f"flattens from axis {axis}; hlsgen takes Flatten from axis 1 (per sample)")
    b.add("flatten", [x], (int(np.prod(x.shape)),), x.q)


def reshape(b):
    x = b.activation(0)
    target = [int(d) for d in np.asarray(b.const(1, "shape")).ravel()]
    size = int(np.prod(x.shape))
    keeps_batch = (len(target) == 2 and target[1] in (size, -1)
                   and (target[0] == 0 or (target[0] == -1 and target[1] == size)
                        or (b.batch is not None and target[0] == b.batch)))
    if not keeps_batch or int(b.attrs().get("allowzero", 0)):
        raise b.error(f"reshapes per-sample {x.shape} to {tuple(target)}; hlsgen takes Reshape only "
                      f"as a flatten to (N, {size}) or in a channel shuffle (Reshape (N, g, C/g, H, W) -> "
                      "Transpose perm (0, 2, 1, 3, 4) -> Reshape (N, C, H, W))")
    b.add("flatten", [x], (size,), x.q)


def _clip(b, lo: int, hi: int):
    x = b.activation(0)
    lo, hi = max(lo, x.q.qmin), min(hi, x.q.qmax)
    if lo > hi:
        raise b.error(f"clips to the empty range [{lo}, {hi}]")
    b.add("clip", [x], x.shape, x.q, {"act_min": lo, "act_max": hi})


def relu(b):
    _clip(b, 0, 1 << 30)


def clip(b):
    lo = int(np.asarray(b.const(1, "min")).ravel()[0]) if b.has_input(1) else -(1 << 30)
    hi = int(np.asarray(b.const(2, "max")).ravel()[0]) if b.has_input(2) else 1 << 30
    _clip(b, lo, hi)


CONVERTERS = {
    "QuantizeLinear": quantize_linear,
    "DequantizeLinear": dequantize_linear,
    "QLinearConv": qlinear_conv,
    "QLinearMatMul": qlinear_matmul,
    "QGemm": qgemm,
    "QLinearAdd": qlinear_add,
    "QLinearMul": qlinear_mul,
    "QLinearAveragePool": qlinear_average_pool,
    "QLinearGlobalAveragePool": qlinear_global_average_pool,
    "QLinearConcat": qlinear_concat,
    "MaxPool": max_pool,
    "Flatten": flatten,
    "Reshape": reshape,
    "Relu": relu,
    "Clip": clip,
    "Split": channels.split,
    "Slice": channels.slice_,
    "Transpose": channels.transpose,
    "Shape": channels.not_folded,
    "Gather": channels.not_folded,
    "Unsqueeze": channels.not_folded,
    "Cast": channels.not_folded,
}
