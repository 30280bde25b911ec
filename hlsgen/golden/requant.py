"""Requantization: from an int32 accumulator back to an 8-bit tensor.

Conv / Gemm (DESIGN.md, arithmetic contract, steps 2-4)::

    s = f32(f32(x_scale * w_scale[c]) / y_scale)          conv_scale
    v = f32(f32(acc) * s)
    q = clamp(rne(v) + zy, lo, hi)                        requant_float / requant_int

``requant_float`` is the float32 path as onnxruntime's MLAS computes it on x86
(cvtdq2ps, mulps, clamp, cvtps2dq).  ``requant_int`` computes the same with
integer operations only (ENGINE.md section 2); it is the reference the HLS
kernel and the RTL follow, and the tests prove it equal to ``requant_float``.

Add, average pool, global average pool (ENGINE.md section 2): a fixed-point
affine form ``q = clamp(((t * m + r) >> s) + zy, lo, hi)`` whose integers are
searched by ``add_affine`` / ``pool_affine`` and verified exhaustively against
the golden ops (``hlsgen.golden.ops``: onnxruntime's float32 arithmetic, emulated
exactly) before they are returned.
"""
from __future__ import annotations

import itertools

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


# -- fixed-point affine forms (add, average pools) ---------------------------

MAX_SHIFT = 40


def apply_affine(t, m, r, s, zy, lo, hi) -> np.ndarray:
    """``clamp(((sum(t_i * m_i) + r) >> s) + zy, lo, hi)``.

    T and M are an integer array and an int (pools: t = window sum), or
    matching sequences of them (add: t = (a - za, b - zb), m = (m_a, m_b)).
    """
    if not isinstance(t, (list, tuple)):
        t, m = (t,), (m,)
    lin = sum(np.asarray(ti, np.int64) * np.int64(mi) for ti, mi in zip(t, m))
    return np.clip(((lin + np.int64(r)) >> np.int64(s)) + zy, lo, hi).astype(np.int32)


def _fit_offset(lin: np.ndarray, target: np.ndarray, s: int, zy, lo, hi):
    """An r with clamp(((lin + r) >> s) + zy, lo, hi) == target everywhere, or None.

    Each element bounds r from below (unless its target is the clamp floor) and
    from above (unless it is the clamp ceiling): r must lie in the intersection.
    """
    u = target.astype(np.int64) - zy
    one = np.int64(1) << s
    floor_ok, ceil_ok = target > lo, target < hi
    r_min = int((u * one - lin)[floor_ok].max()) if floor_ok.any() else None
    r_max = int(((u + 1) * one - 1 - lin)[ceil_ok].min()) if ceil_ok.any() else None
    if r_min is None and r_max is None:    # lo == hi: any r
        return 0
    if r_min is None or r_max is None:     # every target clamped on one side
        return r_max if r_min is None else r_min
    return (r_min + r_max) // 2 if r_min <= r_max else None


def _search(terms, ratios, target, zy, lo, hi, what):
    """Smallest shift s, with multipliers next to ratio * 2^s, whose affine form matches TARGET."""
    for s in range(1, MAX_SHIFT + 1):
        nominal = [int(round(q * 2**s)) for q in ratios]
        for delta in itertools.product((0, 1, -1), repeat=len(ratios)):
            ms = [m + d for m, d in zip(nominal, delta)]
            lin = sum(t * np.int64(m) for t, m in zip(terms, ms))
            r = _fit_offset(lin, target, s, zy, lo, hi)
            if r is not None:
                return ms, r, s
    raise ValueError(f"{what}: no fixed-point form with shift <= {MAX_SHIFT} reproduces the golden model")


def add_affine(qa: QParams, qb: QParams, qy: QParams, lo: int, hi: int) -> dict:
    """Integers (m_a, m_b, r, s) with, for ALL 256 x 256 input pairs,
    ``clamp((((a-za)*m_a + (b-zb)*m_b + r) >> s) + zy, lo, hi) == golden add(a, b)``.

    Verified exhaustively here; raises ValueError when no such form exists.
    """
    from .ops import add_table

    target = add_table(qa, qb, qy, lo, hi).ravel()          # row a - qa.qmin, column b - qb.qmin
    ta = np.repeat(np.arange(qa.qmin, qa.qmax + 1, dtype=np.int64) - qa.zero_point, 256)
    tb = np.tile(np.arange(qb.qmin, qb.qmax + 1, dtype=np.int64) - qb.zero_point, 256)
    (m_a, m_b), r, s = _search((ta, tb), (qa.scale / qy.scale, qb.scale / qy.scale), target,
                               qy.zero_point, lo, hi, "add")
    assert np.array_equal(apply_affine((ta, tb), (m_a, m_b), r, s, qy.zero_point, lo, hi), target)
    return dict(m_a=m_a, m_b=m_b, r=r, s=s)


def pool_affine(count: int, qx: QParams, qy: QParams, lo: int, hi: int, max_abs_sum: int) -> dict:
    """Integers (m, r, s) with ``clamp(((t*m + r) >> s) + zy, lo, hi)`` equal to the golden
    average of COUNT values for EVERY window sum ``t = sum(x - zx)``, |t| <= max_abs_sum.

    The reference on t is the global-average-pool arithmetic (``ops.gavgpool``:
    requantization of t with ``f32(sx / f32(sy * f32(count)))``), which is
    onnxruntime's QLinearGlobalAveragePool exactly.  QLinearAveragePool rounds
    every dequantized tap in float32, so it is not a function of t alone: the
    two differ on about 5e-7 of outputs (measured on 2M random outputs).
    Verified over every t here.  Raises ValueError when the reference has an
    exact tie (v = k + 1/2 rounds half to even, which no floor-based form can
    follow on both signs; ~1 scale in 200): the hardware then uses the conv
    requantization (``requant_int`` with ``ops.gavgpool_scale``), exact always.
    """
    from .ops import gavgpool_scale

    t = np.arange(-max_abs_sum, max_abs_sum + 1, dtype=np.int64)
    target = requant_float(t, gavgpool_scale(count, qx, qy), qy.zero_point, lo, hi)
    (m,), r, s = _search((t,), (qx.scale / (qy.scale * count),), target, qy.zero_point, lo, hi, "pool")
    assert np.array_equal(apply_affine(t, m, r, s, qy.zero_point, lo, hi), target)
    return dict(m=m, r=r, s=s)
