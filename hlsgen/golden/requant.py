"""Requantization: from an int32 accumulator back to an 8-bit tensor.

Conv / Gemm (DESIGN.md, arithmetic contract, steps 2-4)::

    s = f32(f32(x_scale * w_scale[c]) / y_scale)          conv_scale
    v = f32(f32(acc) * s)
    q = clamp(rne(v) + zy, lo, hi)                        requant_float / requant_int

``requant_float`` is the float32 path as onnxruntime's MLAS computes it on x86
(cvtdq2ps, mulps, clamp, cvtps2dq).  ``requant_int`` computes the same with
integer operations only (ENGINE.md section 2); it is the reference the HLS
kernel and the RTL follow, and the tests prove it equal to ``requant_float``.

Add, average pool, global average pool (ENGINE.md section 2) follow
onnxruntime's float32 arithmetic (``hlsgen.golden.ops``) rounding by rounding
with integer operations only: ``add_int`` (two fused multiply-adds, constants
from ``add_consts``), ``avgpool_int`` (the float32 tap sum, two divisions, + zy);
the global average pool is ``requant_int`` of the window sum with
``ops.gavgpool_scale``.  The tests prove each equal to the golden op.
"""
from __future__ import annotations

import numpy as np

from ..ir import QParams


SIG_BITS = 24  # float32 significand, hidden bit included


# -- conv / gemm -----------------------------------------------------------

def conv_scale(x_scale, w_scale, y_scale) -> np.ndarray:
    """Per-output-channel requantization scale, ``f32(f32(x_scale * w_scale) / y_scale)``."""
    xs = np.float32(x_scale)
    ws = np.atleast_1d(np.asarray(w_scale, dtype=np.float32))
    return (xs * ws) / np.float32(y_scale)


def requant_float(acc, s, zy, lo, hi) -> np.ndarray:
    """``clamp(rne(f32(f32(acc) * s)) + zy, lo, hi)`` in float32 arithmetic, as int32.

    ``acc`` goes through float64 first (exact for |acc| < 2^53), so the cast to
    float32 is a single round-to-nearest-even, as cvtdq2ps does for an int32.
    ``s`` broadcasts against ``acc`` (per-channel scales: shape (C, 1, 1)).
    The bounds are integers with |lo - zy|, |hi - zy| <= 2^30 (8-bit ranges in practice).
    """
    v = np.asarray(acc, dtype=np.float64).astype(np.float32) * np.asarray(s, dtype=np.float32)
    q = np.rint(v)
    np.clip(q, lo - zy, hi - zy, out=q)
    return q.astype(np.int32) + np.int32(zy)


def _bit_length(v: np.ndarray) -> np.ndarray:
    """Number of significant bits of each non-negative int64 (0 for 0)."""
    v = v.copy()
    n = np.zeros(v.shape, dtype=np.int64)
    for step in (32, 16, 8, 4, 2, 1):
        big = v >= (np.int64(1) << step)
        n += np.where(big, step, 0)
        v = np.where(big, v >> step, v)
    return n + (v > 0)


def _shift_rne(v: np.ndarray, n) -> np.ndarray:
    """``v / 2^n`` rounded to nearest, ties to even, for v >= 0 and 0 <= n <= 62."""
    n = np.asarray(n, dtype=np.int64)
    q = v >> n
    rem = v - (q << n)
    half = np.where(n > 0, np.int64(1) << np.maximum(n - 1, 0), 1)  # n == 0: rem is 0 < half
    up = (rem > half) | ((rem == half) & ((q & 1) == 1))
    return q + up


def _round_sig(v: np.ndarray):
    """Round non-negative v to SIG_BITS significant bits (RNE): returns (m, e), v ~= m * 2^e."""
    e = np.maximum(_bit_length(v) - SIG_BITS, 0)
    return _shift_rne(v, e), e


def scale_parts(s):
    """Split float32 scales into (m, e) with s == m * 2^e exactly and m < 2^24."""
    bits = np.asarray(s, dtype=np.float32).view(np.uint32).astype(np.int64)
    if np.any(bits >> 31):
        raise ValueError("requantization scales must be non-negative")
    exp_field = bits >> 23
    frac = bits & ((1 << 23) - 1)
    m = np.where(exp_field > 0, frac | (1 << 23), frac)          # subnormals: no hidden bit
    e = np.where(exp_field > 0, exp_field, 1) - 127 - 23
    return m, e


def requant_int(acc, s, zy, lo, hi) -> np.ndarray:
    """``requant_float`` with integer operations only, step by step as the hardware does it.

    1. a = |acc| rounded to 24 significant bits (RNE):    a ~= ma * 2^ea   (f32(acc))
    2. p = ma * ms, the 24-bit significand of s (exact, < 2^48)
    3. p rounded to 24 significant bits (RNE):             v ~= mp * 2^ep   (f32(acc * s))
    4. shift mp by ep with RNE to an integer; restore the sign; add zy; clamp.
    Float32 overflow (v = inf) and underflow (subnormal v) both land in the
    clamp or in 0 exactly as in float, so they need no special case.
    """
    acc = np.asarray(acc, dtype=np.int64)
    ms, es = scale_parts(s)
    ma, ea = _round_sig(np.abs(acc))                 # step 1
    mp, ep = _round_sig(ma * ms)                     # steps 2-3
    ep = ep + ea + es
    # step 4: left shifts saturate (anything >= 2^40 clamps anyway), right shifts
    # beyond 62 give 0 like a shift by 62 (mp < 2^25).
    left = np.minimum(mp << np.clip(ep, 0, 16), np.int64(1) << 40)
    right = _shift_rne(mp, np.clip(-ep, 0, 62))
    mag = np.where(ep >= 0, left, right)
    q = np.where(acc < 0, -mag, mag)
    return (np.clip(q, lo - zy, hi - zy) + zy).astype(np.int32)


# -- add: two fused multiply-adds, integer only ------------------------------

def f32_parts(v) -> tuple:
    """A float32 ``v`` as (M, e), ``v == M * 2^e`` exactly, M a signed int with the fewest bits
    (trailing zeros moved into e; M = 0, e = None for zero).  Python ints (per-layer constants)."""
    bits = int(np.asarray(v, np.float32).reshape(()).view(np.uint32))
    exp_field, frac = (bits >> 23) & 0xFF, bits & ((1 << 23) - 1)
    if exp_field == 0xFF:
        raise ValueError("scale ratio is not finite")
    m = frac | (1 << 23) if exp_field else frac
    e = (exp_field if exp_field else 1) - 127 - 23
    if m == 0:
        return 0, None
    while not m & 1:
        m, e = m >> 1, e + 1
    return (-m if bits >> 31 else m), e


ADD_BITS = 62   # |X| bound of add_int's integers (int64 with headroom)


def add_consts(ra, rb, k) -> dict:
    """Integer constants of ``add_int`` for ``v = fma(a, ra, fma(b, rb, k))`` (float32 ra, rb, k).

    Inner grid 2^g1 = the finer LSB of rb and k, outer grid 2^g = the finer of ra and g1:
    ``mb = rb / 2^g1, k = k / 2^g1, ma = ra / 2^g`` are exact integers, ``wsh = g1 - g``,
    ``sh = -g``.  ma and mb are float32 significands shifted left, so each has at most 24
    significant bits: the hardware multiplies by the significand and shifts (a 10 x 24-bit product).
    Raises ValueError when the integers could exceed ADD_BITS bits (scale ratios some 2^20 apart; no
    real model comes near).
    """
    (mra, ea), (mrb, eb), (mk, ek) = f32_parts(ra), f32_parts(rb), f32_parts(k)
    inner = [e for e in (eb, ek) if e is not None]
    g1 = min(inner) if inner else (ea if ea is not None else 0)
    g = min(g1, ea) if ea is not None else g1
    c = dict(ma=mra << (ea - g) if mra else 0, mb=mrb << (eb - g1) if mrb else 0,
             k=mk << (ek - g1) if mk else 0, wsh=g1 - g, sh=-g)
    w_max = 255 * abs(c["mb"]) + abs(c["k"])              # |b*rb + k| / 2^g1
    x_max = 255 * abs(c["ma"]) + (2 * w_max << c["wsh"])  # |a*ra + w| / 2^g (w rounded up at most 2x)
    if x_max >= 1 << ADD_BITS or not -64 < c["sh"] < 64 or c["wsh"] >= 64:
        raise ValueError(f"add scale ratios {float(ra)!r}, {float(rb)!r} too far apart for "
                         f"{ADD_BITS}-bit exact arithmetic")
    return c


def _to_int(mag: np.ndarray, e, neg, lo, hi) -> np.ndarray:
    """``clamp(sign * rne(mag * 2^e), lo, hi)``: left shifts saturate at 2^40, right shifts RNE."""
    e = np.asarray(e, np.int64)
    left = np.minimum(mag << np.clip(e, 0, 16), np.int64(1) << 40)
    right = _shift_rne(mag, np.clip(-e, 0, 62))
    q = np.where(e >= 0, left, right)
    return np.clip(np.where(neg, -q, q), lo, hi).astype(np.int32)


def add_int(a, b, c: dict, lo, hi) -> np.ndarray:
    """``clamp(rne(fma(a, ra, fma(b, rb, k))), lo, hi)`` with integer operations only.

    a, b: raw input values (zero points are inside k).  Step by step as the hardware:
    1. Xw = b*mb + k (exact b*rb + k in units 2^g1); round |Xw| to 24 bits: w = +-mw * 2^(ew + g1)
    2. X = a*ma + (+-mw << (ew + wsh)) (exact a*ra + w in units 2^g); round |X| to 24 bits: m * 2^e
    3. rne(m * 2^(e - sh)) to an integer, sign, clamp.
    """
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    xw = b * np.int64(c["mb"]) + np.int64(c["k"])
    mw, ew = _round_sig(np.abs(xw))
    w = mw << (ew + c["wsh"])
    x = a * np.int64(c["ma"]) + np.where(xw < 0, -w, w)
    m, e = _round_sig(np.abs(x))
    return _to_int(m, e - c["sh"], x < 0, lo, hi)


# -- average pool: the float path, integer only --------------------------------

def _div_sig(n: np.ndarray, d) -> tuple:
    """``n / d`` (n >= 0, 0 < d < 2^25) rounded to 24 significant bits (RNE): (m, e), ~ m * 2^e."""
    d = np.asarray(d, np.int64)
    shift = np.maximum(27 + _bit_length(d) - _bit_length(n), 0)   # quotient >= 2^26
    num = n << shift
    q = num // d
    sticky = (num - q * d) != 0
    m, e = _round_sig((q << 1) | sticky)                          # the sticky bit below the guard bits
    return m, e - shift - 1


RECIP_SHIFT = 51


def y_recip(y_scale) -> int:
    """``floor(2^51 / Msy)``, Msy the significand of the (normal) float32 output scale:
    the reciprocal ``avgpool_int`` divides by (an avgpool field)."""
    m, _ = scale_parts(y_scale)
    if int(m) < 1 << 23:
        raise ValueError(f"average pool output scale {float(y_scale)!r} is not a normal float32")
    return (1 << RECIP_SHIFT) // int(m)


def _div_sig_recip(m1: np.ndarray, msy: int, recip: int) -> tuple:
    """``m1 / msy`` rounded to 24 significant bits (RNE) with multiplications only, for
    0 <= m1 <= 2^24 and 2^23 <= msy < 2^24: (m, e), ~ m * 2^e.

    ``q = (m1 * recip) >> 24`` is ``floor(m1 * 2^27 / msy)`` or one less (recip =
    floor(2^51 / msy) errs by less than m1 / 2^24 <= 1 in q); the remainder
    ``m1 * 2^27 - q * msy`` corrects it and gives the sticky bit.
    """
    q = (m1 * np.int64(recip)) >> (RECIP_SHIFT - 27)
    rem = (m1 << 27) - q * np.int64(msy)
    up = rem >= msy
    q, rem = q + up, rem - up * np.int64(msy)
    m, e = _round_sig((q << 1) | (rem != 0))
    return m, e - 28


def avgpool_int(taps, zx, x_scale, y_scale, count, zy, lo, hi, recip=None) -> np.ndarray:
    """QLinearAveragePool (``ops.avgpool``) of TAPS with integer operations only.

    TAPS: the valid (non-padding) taps of each output in row-major order, a list of
    (value, valid) array pairs (valid False: a padding tap, skipped); COUNT: the divisor
    per output; RECIP: the plan's ``y_recip`` (default: computed from y_scale).
    Step by step as the hardware:
    1. each tap: d = f32(sx * (x - zx)) = round24(|x - zx| * Msx) in units 2^esx (exact grid)
    2. S = round24(S + d) per tap: float32 sums on the same grid are integers in those units
    3. v1 = f32(S / count): the 24-bit significand of S divided by count (a small integer),
       the remainder as a sticky bit, rounded to 24 bits
    4. v2 = f32(v1 / sy): the same by sy's significand, with a reciprocal multiplication and
       one remainder correction (``_div_sig_recip``), no divider
    5. y = rne(f32(v2 + zy)), clamped: |v2| >= 2^10 saturates, |v2| < 2^-2 gives zy,
       else v2 and zy meet on the grid 2^-25.
    """
    msx, esx = scale_parts(x_scale)
    msy, esy = scale_parts(y_scale)
    s = None
    for x, valid in taps:
        t = np.asarray(x, np.int64) - zx
        md, ed = _round_sig(np.abs(t) * np.int64(msx))
        d = np.where(t < 0, -(md << ed), md << ed)
        if s is None:
            s = np.zeros(d.shape, np.int64)
        ms, es = _round_sig(np.abs(s + d))
        s = np.where(valid, np.where(s + d < 0, -(ms << es), ms << es), s)
    ms, es = _round_sig(np.abs(s))                          # exact: S has 24 significant bits
    m1, e1 = _div_sig(ms, count)                            # a 35-bit by 8-bit division (count <= 225)
    m2, e2 = _div_sig_recip(m1, msy, y_recip(y_scale) if recip is None else recip)
    e2 = e2 + e1 + es + int(esx) - int(esy)                 # |v2| = m2 * 2^e2, m2 in [2^23, 2^24]
    return plus_zy(m2, e2, s < 0, zy, lo, hi)


def plus_zy(m2, e2, neg, zy, lo, hi) -> np.ndarray:
    """``clamp(rne(f32(v + zy)), lo, hi)`` for the float32 ``v = -+m2 * 2^e2`` (m2 in [2^23, 2^24] or 0),
    integer only: |v| >= 2^10 saturates, |v| < 2^-2 (or 0) gives zy, else v and zy meet on the grid
    2^-25 and are rounded to 24 bits, then to an integer (the last step of avgpool_int and mul_int)."""
    m2, e2 = np.asarray(m2, np.int64), np.asarray(e2, np.int64)
    mid = np.clip(e2 + 25, 0, 11)
    x = np.where(neg, -(m2 << mid), m2 << mid) + (np.int64(zy) << 25)
    m3, e3 = _round_sig(np.abs(x))
    y = _to_int(m3, e3 - 25, x < 0, lo, hi)
    y = np.where(e2 >= -13, np.where(neg, lo, hi), y)      # |v| >= 2^10: saturated
    y = np.where((e2 <= -26) | (m2 == 0), np.clip(zy, lo, hi), y)   # |v| < 2^-2 (or 0): zy
    return y.astype(np.int32)


# -- multiply (QLinearMul): the float path, integer only --------------------------

def mul_ratio(qa: QParams, qb: QParams, qy: QParams) -> np.float32:
    """``f32(f32(sa * sb) / sy)``: the scale ratio of onnxruntime's QLinearMul (ValueError when it is not
    a normal float32, which ``mul_int`` needs)."""
    r = (np.float32(qa.scale) * np.float32(qb.scale)) / np.float32(qy.scale)
    _normal_significand(r)
    return r


def _normal_significand(r) -> int:
    mr, _ = scale_parts(r)
    if int(mr) < 1 << 23:
        raise ValueError(f"multiply scale ratio {float(r)!r} is not a normal float32")
    return int(mr)


def mul_int(a, b, za, zb, ratio, zy, lo, hi) -> np.ndarray:
    """QLinearMul (``ops.mul``) with integer operations only, as the hardware:
    1. P = (a - za) * (b - zb), exact (|P| < 2^17, so f32(P) = P);
    2. v = f32(P * r): |P| times r's 24-bit significand rounded to 24 bits (a normal r: the product has
       at least 24 bits, so the significand lands in [2^23, 2^24]);
    3. y = clamp(rne(f32(v + zy)), lo, hi) (``plus_zy``)."""
    p = (np.asarray(a, np.int64) - za) * (np.asarray(b, np.int64) - zb)
    mr, er = _normal_significand(ratio), scale_parts(ratio)[1]
    m, e = _round_sig(np.abs(p) * np.int64(mr))
    return plus_zy(m, e + int(er), p < 0, zy, lo, hi)
