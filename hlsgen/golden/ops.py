"""One numpy function per IR op: what onnxruntime (CPU, x86-64 with AVX2) computes, bit for bit.

Arrays carry the batch dimension: feature maps (N, C, H, W), vectors (N, C).
Integer results are returned as int32 arrays of the tensor's values (the
caller casts to the tensor dtype).  Every rounding below is the one measured
against onnxruntime 1.31 on x86-64 (tests/test_golden_ops.py proves each with
0 mismatching elements):

* QuantizeLinear (MLAS): ``q = clamp(rne(f32(x / scale)), qmin - zp, qmax - zp) + zp``;
  a true float32 division, not a multiplication by the reciprocal.
* DequantizeLinear: ``f32(f32(q - zp) * scale)``.
* QLinearConv, QLinearMatMul, QGemm (alpha 1): integer accumulator, then the
  float32 requantization of ``requant.requant_float`` with
  ``s = f32(f32(sx * sw[c]) / sy)`` (DESIGN.md steps 1-4).  The double rounding
  matters: rounding ``acc * s`` once differs on a few outputs per million.
  Per-channel weight zero points that differ are honoured too.
* QLinearAdd (MLAS AVX2 kernel) is NOT exact rational arithmetic: it works in
  float32 with fused multiply-adds on the raw (zero-point free) inputs::

      ra = f32(sa / sy)      rb = f32(sb / sy)
      k  = f32(zy) - fma(ra, za, f32(rb * zb))
      v  = fma(a, ra, fma(b, rb, k))        # b first, then a
      y  = sat(rne(v))

  Exact rationals with round-half-even differ from onnxruntime on ~2.4e-6 of all
  input pairs (47 of 19.7M in our measurement); this emulation on 0.
* QLinearGlobalAveragePool (MLAS): ``t = sum(x) - zx * n``, then requantize with
  ``s = f32(sx / f32(sy * f32(n)))`` exactly like a conv accumulator.
* QLinearAveragePool works in float: every input dequantized to
  ``f32(sx * f32(x - zx))``, summed in float32 over the valid (non-padding)
  taps in row-major order, divided by ``f32(count)`` (the kernel size with
  count_include_pad, the number of valid taps without), then
  ``y = sat(rne(f32(f32(v / sy) + zy)))``.  It is not a function of the window
  sum: the sum-based form of gavgpool differs from it on ~5e-7 of outputs.
* QLinearConcat: an input whose quantization differs from the output's goes
  through a 256-entry table ``quantize(dequantize(x))`` (the two rows above).
* MaxPool on int8/uint8: the maximum over the valid taps (padding ignored).

At ORT_ENABLE_ALL onnxruntime swaps in NHWC variants of these kernels; their
results are identical (tests/test_golden_reference.py).
"""
from __future__ import annotations

import numpy as np

from ..ir import QParams
from .requant import add_consts, add_int, requant_float

F32 = np.float32

# float32 sums of int8 x int8 products are exact while the running sum of
# magnitudes stays below 2^24: a matmul is split into chunks that guarantee it.
_F32_EXACT = 1 << 24


# -- float32 helpers ---------------------------------------------------------

def fma32(a, b, c) -> np.ndarray:
    """``f32(a * b + c)`` with a single rounding (fused multiply-add), float32 inputs.

    a*b is exact in float64 (24 + 24 bits); the sum is done in float64 with its
    exact error (TwoSum), and the one case where float64 rounding could mislead
    the final float32 rounding -- the float64 sum lands exactly on a float32
    midpoint -- is decided by the sign of that error.
    """
    x = np.asarray(a, F32).astype(np.float64) * np.asarray(b, F32).astype(np.float64)
    c = np.asarray(c, F32).astype(np.float64)
    s = x + c
    bv = s - x
    err = (x - (s - bv)) + (c - bv)
    r = s.astype(F32)
    rd = r.astype(np.float64)
    above = np.where(rd < s, np.nextafter(r, F32(np.inf)), r)   # float32 neighbours of s
    below = np.where(rd > s, np.nextafter(r, F32(-np.inf)), r)
    midpoint = (rd != s) & (above.astype(np.float64) - s == s - below.astype(np.float64))
    return np.where(midpoint & (err > 0), above, np.where(midpoint & (err < 0), below, r))


def _saturate(v, lo, hi) -> np.ndarray:
    """Round float32 values half to even and clamp: an int32 array."""
    return np.clip(np.rint(v), lo, hi).astype(np.int32)


# -- quantize / dequantize ---------------------------------------------------

def quantize(x: np.ndarray, q: QParams) -> np.ndarray:
    v = np.asarray(x, F32) / F32(q.scale)
    v = np.clip(v, q.qmin - q.zero_point, q.qmax - q.zero_point)
    return np.rint(v).astype(np.int32) + np.int32(q.zero_point)


def dequantize(x: np.ndarray, q: QParams) -> np.ndarray:
    return (np.asarray(x, np.int32) - np.int32(q.zero_point)).astype(F32) * F32(q.scale)


# -- conv / gemm -------------------------------------------------------------

def _exact_matmul(w: np.ndarray, cols: np.ndarray, bound: int) -> np.ndarray:
    """``w @ cols`` (float arrays holding small integers), exact, as float64.

    ``bound`` is the largest |w * col| product.  Reductions short enough that
    every partial sum stays below 2^24 run in float32 (BLAS sgemm, twice as fast);
    longer ones are split into such chunks, each exact, summed in float64.
    """
    k = w.shape[-1]
    chunk = _F32_EXACT // max(bound, 1)     # >= 258 for 8-bit operands (bound <= 255 * 255)
    if chunk >= k:
        return np.matmul(w, cols).astype(np.float64)
    out = None
    for k0 in range(0, k, chunk):
        part = np.matmul(w[..., k0:k0 + chunk], cols[..., k0:k0 + chunk, :])
        out = part.astype(np.float64) if out is None else out + part
    return out


def _max_abs(a: np.ndarray) -> int:
    return int(max(abs(int(a.max(initial=0))), abs(int(a.min(initial=0)))))


def conv_acc(x, zx, w, w_zp, b, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """The int32 accumulator of a quantized conv as float64: (N, O, OH, OW).

    acc = sum((x - zx) * (w - w_zp)) + b; the input is padded with zx, so padded
    taps contribute exactly 0.  im2col + an exact float matmul.
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    xs = np.asarray(x, F32) - F32(zx)
    wq = (np.asarray(w, np.int32) - np.asarray(w_zp, np.int32).reshape(o, 1, 1, 1)).astype(F32)
    bound = _max_abs(xs) * _max_abs(wq)
    if (kh, kw, sh, sw) == (1, 1, 1, 1) and not any(pads):
        cols = xs.reshape(n, c, h * wd)
    else:
        xp = np.pad(xs, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        cols = np.empty((n, c, kh, kw, oh, ow), F32)
        for i in range(kh):
            for j in range(kw):
                y0, x0 = i * dh, j * dw
                cols[:, :, i, j] = xp[:, :, y0:y0 + sh * (oh - 1) + 1:sh, x0:x0 + sw * (ow - 1) + 1:sw]
    g = groups
    cols = cols.reshape(n, g, cg * kh * kw, oh * ow)
    acc = _exact_matmul(wq.reshape(g, o // g, cg * kh * kw), cols, bound)
    acc = acc.reshape(n, o, oh, ow)
    acc += np.asarray(b, np.float64).reshape(1, o, 1, 1)
    return acc


def conv(x, zx, w, w_zp, b, scale, zy, lo, hi, stride=(1, 1), pads=(0, 0, 0, 0),
         dilation=(1, 1), groups=1) -> np.ndarray:
    """QLinearConv: accumulate, then requantize per output channel (scale: (O,) float32)."""
    acc = conv_acc(x, zx, w, w_zp, b, stride, pads, dilation, groups)
    s = np.asarray(scale, F32).reshape(1, -1, 1, 1)
    return requant_float(acc, s, zy, lo, hi)


def gemm(x, zx, w, w_zp, b, scale, zy, lo, hi) -> np.ndarray:
    """QLinearMatMul / QGemm: x (N, I), w (O, I); acc = (x - zx) @ (w - w_zp).T + b."""
    xs = np.asarray(x, F32) - F32(zx)
    wq = (np.asarray(w, np.int32) - np.asarray(w_zp, np.int32).reshape(-1, 1)).astype(F32)
    acc = _exact_matmul(wq, xs.T, _max_abs(xs) * _max_abs(wq)).T
    acc += np.asarray(b, np.float64).reshape(1, -1)
    return requant_float(acc, np.asarray(scale, F32).reshape(1, -1), zy, lo, hi)


# -- elementwise ---------------------------------------------------------------

def add_coefficients(qa: QParams, qb: QParams, qy: QParams) -> tuple:
    """(ra, rb, k) of QLinearAdd, float32: ``v = fma(a, ra, fma(b, rb, k))`` (module docstring)."""
    ra = F32(qa.scale) / F32(qy.scale)
    rb = F32(qb.scale) / F32(qy.scale)
    k = F32(qy.zero_point) - fma32(ra, F32(qa.zero_point), rb * F32(qb.zero_point))
    return ra, rb, F32(k)


def add_table(qa: QParams, qb: QParams, qy: QParams, lo, hi) -> np.ndarray:
    """QLinearAdd of every input pair as the MLAS AVX2 kernel computes it (module docstring):
    ``table[a - qa.qmin, b - qb.qmin]``, a (256, 256) int32 array."""
    a = np.arange(qa.qmin, qa.qmax + 1, dtype=F32).reshape(-1, 1)
    b = np.arange(qb.qmin, qb.qmax + 1, dtype=F32).reshape(1, -1)
    ra, rb, k = add_coefficients(qa, qb, qy)
    v = fma32(a, ra, fma32(b, rb, k))
    return _saturate(v, max(lo, qy.qmin), min(hi, qy.qmax))


def add(a, qa: QParams, b, qb: QParams, qy: QParams, lo, hi) -> np.ndarray:
    """QLinearAdd: a lookup in ``add_table`` (the result depends on the pair only)."""
    table = add_table(qa, qb, qy, lo, hi)
    return table[np.asarray(a, np.int32) - qa.qmin, np.asarray(b, np.int32) - qb.qmin]


def add_layer_consts(qa: QParams, qb: QParams, qy: QParams) -> dict:
    """``requant.add_consts`` of QLinearAdd (ra, rb, k exactly as ``add_table`` computes them),
    verified here against the golden add on all 256 x 256 input pairs (about 25 ms)."""
    c = add_consts(*add_coefficients(qa, qb, qy))
    a = np.arange(qa.qmin, qa.qmax + 1).reshape(-1, 1)
    b = np.arange(qb.qmin, qb.qmax + 1).reshape(1, -1)
    if not np.array_equal(add_int(a, b, c, qy.qmin, qy.qmax), add_table(qa, qb, qy, qy.qmin, qy.qmax)):
        raise AssertionError(f"add_int differs from the golden add for {qa}, {qb}, {qy}")
    return c


def clip(x, lo, hi) -> np.ndarray:
    return np.clip(np.asarray(x, np.int32), lo, hi)


def mul(a, qa: QParams, b, qb: QParams, qy: QParams) -> np.ndarray:
    """QLinearMul as onnxruntime computes it on x86 (MLAS, SSE2/AVX2): the integer product of the
    debiased inputs, times the float32 ratio f32(f32(sa*sb)/sy), plus zy in float32, rounded to
    nearest even, saturated. B broadcasts against A (squeeze-and-excitation: (N, C, 1, 1))."""
    p = (np.asarray(a, np.int32) - np.int32(qa.zero_point)) * (np.asarray(b, np.int32) - np.int32(qb.zero_point))
    ratio = (F32(qa.scale) * F32(qb.scale)) / F32(qy.scale)
    v = p.astype(F32) * ratio + F32(qy.zero_point)
    return _saturate(v, qy.qmin, qy.qmax)


def table(x, t) -> np.ndarray:
    """Element-wise lookup: channel c of X (N, C, ...) through row c of T (or row 0 when T has one row),
    indexed by the byte read as unsigned."""
    x = np.asarray(x, np.int32)
    t = np.asarray(t, np.int32)
    idx = x & 0xFF
    if t.shape[0] == 1:
        return t[0][idx]
    ch = np.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
    return t[ch, idx]


def gather(x, index) -> np.ndarray:
    """Channels INDEX of X (N, C, ...), in that order: a channel shuffle, a Split or Slice along the
    channels (the bytes move, their values and quantization do not)."""
    return np.asarray(x)[:, np.asarray(index, np.int64)]


def flatten(x) -> np.ndarray:
    return np.asarray(x).reshape(x.shape[0], -1)


def requantize_table(qx: QParams, qy: QParams) -> np.ndarray:
    """256-entry lookup ``quantize(dequantize(v))`` indexed by ``v - qx.qmin``."""
    v = np.arange(qx.qmin, qx.qmax + 1)
    return quantize(dequantize(v, qx), qy)


def concat(xs, qs, qy: QParams, axis: int = 0) -> np.ndarray:
    """QLinearConcat along the per-sample ``axis`` (0 = channels)."""
    parts = []
    for x, q in zip(xs, qs):
        x = np.asarray(x, np.int32)
        if (q.scale, q.zero_point, q.dtype) != (qy.scale, qy.zero_point, qy.dtype):
            x = requantize_table(q, qy)[x - q.qmin]
        parts.append(x)
    return np.concatenate(parts, axis=axis + 1)


# -- pooling -------------------------------------------------------------------

def _taps(x, kernel, stride, pads, fill):
    """Yield every kernel tap in row-major order: (N, C, OH, OW) views of x padded with fill."""
    kh, kw = kernel
    sh, sw = stride
    pt, pl, pb, pr = pads
    h, w = x.shape[2:]
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=fill)
    for i in range(kh):
        for j in range(kw):
            yield xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def maxpool(x, kernel, stride, pads) -> np.ndarray:
    x = np.asarray(x, np.int32)
    out = None
    for tap in _taps(x, kernel, stride, pads, np.iinfo(np.int32).min):
        out = tap.copy() if out is None else np.maximum(out, tap)
    return out


def avgpool_count(shape, kernel, stride, pads, count_include_pad) -> np.ndarray:
    """Divisor of every output pixel, (OH, OW): kernel size, or the number of valid taps."""
    valid = sum(_taps(np.ones((1, 1) + tuple(shape[-2:]), np.int32), kernel, stride, pads, 0))[0, 0]
    return np.full_like(valid, kernel[0] * kernel[1]) if count_include_pad else valid


def avgpool(x, qx: QParams, qy: QParams, kernel, stride, pads, count_include_pad) -> np.ndarray:
    """QLinearAveragePool (float path of onnxruntime's contrib kernel, module docstring)."""
    xf = F32(qx.scale) * (np.asarray(x, np.int32) - np.int32(qx.zero_point)).astype(F32)
    total = None
    for tap in _taps(xf, kernel, stride, pads, 0.0):
        # padding taps add +0.0: a float no-op, like skipping them
        total = tap.copy() if total is None else total + tap
    count = avgpool_count(x.shape, kernel, stride, pads, count_include_pad).astype(F32)
    v = (total / count) / F32(qy.scale) + F32(qy.zero_point)
    return _saturate(v, qy.qmin, qy.qmax)


def gavgpool_scale(n: int, qx: QParams, qy: QParams) -> np.float32:
    """``f32(sx / f32(sy * f32(n)))``: the requantization scale of a global average of n values."""
    return F32(qx.scale) / (F32(qy.scale) * F32(n))


def gavgpool(x, qx: QParams, qy: QParams) -> np.ndarray:
    """QLinearGlobalAveragePool: integer sum, then conv-style requantization. -> (N, C, 1, 1)."""
    x = np.asarray(x, np.int64)
    n = x.shape[2] * x.shape[3]
    t = x.sum(axis=(2, 3), keepdims=True) - qx.zero_point * n
    return requant_float(t, gavgpool_scale(n, qx, qy), qy.zero_point, qy.qmin, qy.qmax)
