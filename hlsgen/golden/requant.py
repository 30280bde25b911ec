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
the golden rational arithmetic (``hlsgen.golden.ops``) before they are returned.
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
