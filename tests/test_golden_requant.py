"""Requantization: the integer-only path equals the float32 path; the affine forms equal the golden ops."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen import ir
from hlsgen.golden import ops
from hlsgen.golden.requant import (add_affine, apply_affine, conv_scale, pool_affine, requant_float,
                                   requant_int, scale_parts)

INT32 = (-2**31, 2**31 - 1)


def random_scales(rng, n, lo_exp=-45, hi_exp=12):
    s = (2.0 ** rng.uniform(lo_exp, hi_exp, n)).astype(np.float32)
    s[::97] = np.float32(2.0) ** rng.integers(-30, 5, s[::97].size)              # powers of two
    s[::89] = rng.integers(1, 2**23, s[::89].size).astype(np.uint32).view(np.float32)  # subnormals
    return s


def random_accs(rng, n):
    acc = rng.integers(*INT32, n, endpoint=True)
    return acc >> rng.integers(0, 32, n)            # every magnitude, 1 .. 2^31


def adversarial(rng, n):
    """Accumulators and scales where the float32 roundings bite."""
    k = rng.integers(2**23, 2**24, n)                  # 2k+1 has 25 bits: dropping one is a tie
    e = rng.integers(0, 7, n)
    near = (np.int64(1) << (24 + e)) + rng.integers(-(2**e) * 3, (2**e) * 3 + 1, n)   # around 2^24 .. 2^31
    halfway = ((2 * k + 1) << e).astype(np.int64)      # ties of the f32(acc) rounding
    acc = np.concatenate([near, -near, halfway, -halfway,
                          np.array([0, 1, -1, 2**24, 2**24 + 1, 2**24 + 3, INT32[0], INT32[1]])])
    acc = np.clip(acc, *INT32)
    m = acc.size
    # scales 2^-j make acc * s land on exact halves (ties of the final rounding)
    s = np.where(rng.integers(0, 2, m) == 0, np.float32(2.0) ** -rng.integers(1, 26, m),
                 random_scales(rng, m, -30, 2)).astype(np.float32)
    return acc, s


@pytest.mark.parametrize("seed", range(4))
def test_requant_int_equals_float_random(seed):
    rng = np.random.default_rng(seed)
    n = 1_000_000
    acc, s = random_accs(rng, n), random_scales(rng, n)
    for dtype in ("int8", "uint8"):
        lo, hi = ir.DTYPE_RANGE[dtype]
        zy = int(rng.integers(lo, hi + 1))
        want = requant_float(acc, s, zy, lo, hi)
        assert np.unique(want).size > 200                     # not all clamped: a real test
        assert int(np.sum(requant_int(acc, s, zy, lo, hi) != want)) == 0


@pytest.mark.slow
def test_requant_int_equals_float_100_million():
    rng = np.random.default_rng(12345)
    for _ in range(50):
        acc, s = random_accs(rng, 2_000_000), random_scales(rng, 2_000_000)
        zy = int(rng.integers(-128, 128))
        assert int(np.sum(requant_int(acc, s, zy, -128, 127) != requant_float(acc, s, zy, -128, 127))) == 0


@pytest.mark.parametrize("seed", range(3))
def test_requant_int_equals_float_adversarial(seed):
    rng = np.random.default_rng(100 + seed)
    acc, s = adversarial(rng, 200_000)
    for lo, hi, zy in ((-128, 127, 0), (-128, 127, -128), (0, 255, 0), (0, 255, 77), (-2**30, 2**30, 0)):
        assert int(np.sum(requant_int(acc, s, zy, lo, hi) != requant_float(acc, s, zy, lo, hi))) == 0


def test_requant_float_rounds_twice():
    """f32(f32(acc) * s) is not the correctly rounded acc * s: both roundings are kept."""
    acc = np.array([2**24 + 1])                # f32(acc) = 2^24 (tie to even)
    s = np.float32(1.5)
    assert requant_float(acc, s, 0, -2**30, 2**30)[0] == 3 * 2**23
    acc, s = np.array([3]), np.float32(0.5)     # 1.5 -> 2 (half to even); -1.5 -> -2
    assert requant_float(acc, s, 0, -128, 127)[0] == 2
    assert requant_float(-acc, s, 0, -128, 127)[0] == -2
    assert requant_float(np.array([5]), s, 0, -128, 127)[0] == 2


def test_scale_parts_exact():
    rng = np.random.default_rng(7)
    s = random_scales(rng, 100_000)
    m, e = scale_parts(s)
    assert np.all(m < 2**24)
    assert np.array_equal(m.astype(np.float64) * np.exp2(e.astype(np.float64)), s.astype(np.float64))


def test_conv_scale_is_two_float32_roundings():
    xs, ws, ys = np.float32(0.1), np.array([0.3, 0.7], np.float32), np.float32(0.9)
    got = conv_scale(xs, ws, ys)
    assert got.dtype == np.float32
    assert np.array_equal(got, np.float32(np.float32(xs * ws) / ys))


# -- affine forms -----------------------------------------------------------------

def qparams(rng, dtype):
    lo, hi = ir.DTYPE_RANGE[dtype]
    return ir.QParams(float(2.0 ** rng.uniform(-8, 0)), int(rng.integers(lo, hi + 1)), dtype)


@pytest.mark.parametrize("case", range(12))
def test_add_affine_matches_golden_add_on_all_pairs(case):
    rng = np.random.default_rng(case)
    dtype = ("int8", "uint8")[case % 2]
    qa, qb, qy = (qparams(rng, dtype) for _ in range(3))
    if case % 3 == 1:
        qb = ir.QParams(qa.scale, qb.zero_point, dtype)
    lo, hi = (qy.zero_point, qy.qmax) if case % 4 == 3 else (qy.qmin, qy.qmax)   # fused ReLU
    f = add_affine(qa, qb, qy, lo, hi)
    a = np.repeat(np.arange(qa.qmin, qa.qmax + 1), 256)
    b = np.tile(np.arange(qb.qmin, qb.qmax + 1), 256)
    got = apply_affine((a - qa.zero_point, b - qb.zero_point), (f["m_a"], f["m_b"]), f["r"], f["s"],
                       qy.zero_point, lo, hi)
    assert np.array_equal(got, ops.add(a, qa, b, qb, qy, lo, hi))


@pytest.mark.parametrize("case", range(12))
def test_pool_affine_matches_golden_gavgpool(case):
    rng = np.random.default_rng(50 + case)
    dtype = ("int8", "uint8")[case % 2]
    qx = qparams(rng, dtype)
    qy = ir.QParams(qx.scale * float(2.0 ** rng.uniform(-2, 1)), qparams(rng, dtype).zero_point, dtype)
    h, w = (int(v) for v in rng.integers(1, 15, 2))
    n = h * w
    try:
        f = pool_affine(n, qx, qy, qy.qmin, qy.qmax, 255 * n)
    except ValueError:
        pytest.skip("exact tie in this scale: no affine form (covered by test_pool_affine_refuses_ties)")
    x = rng.integers(qx.qmin, qx.qmax + 1, (3, 8, h, w))
    x[0, 0] = qx.qmin
    x[0, 1] = qx.qmax                                  # the extreme sums
    t = (x - qx.zero_point).sum(axis=(2, 3), keepdims=True)
    got = apply_affine(t, f["m"], f["r"], f["s"], qy.zero_point, qy.qmin, qy.qmax)
    assert np.array_equal(got, ops.gavgpool(x, qx, qy))


def test_pool_affine_refuses_ties():
    """f32 product lands on k + 1/2 for t = +-15313: half to even cannot be an affine floor."""
    qx = ir.QParams(0.5835989713668823, 36, "uint8")
    qy = ir.QParams(0.959898054599762, 151, "uint8")
    t = np.array([-15313, 15313])
    assert np.array_equal(requant_float(t, ops.gavgpool_scale(196, qx, qy), 0, -1000, 1000), [-48, 48])
    with pytest.raises(ValueError, match="no fixed-point form"):
        pool_affine(196, qx, qy, 0, 255, 255 * 196)


def test_add_affine_refuses_exact_ties():
    """sa = sb = sy/2: (a + b)/2 has exact halves that round to even; no floor-based form follows."""
    q = ir.QParams(0.125, 0, "int8")
    qy = ir.QParams(0.25, 3, "int8")
    a, b = np.array([1, 3, 5]), np.array([0, 0, 0])
    # zy is added before the rounding: 3.5 -> 4, 4.5 -> 4, 5.5 -> 6
    assert np.array_equal(ops.add(a, q, b, q, qy, -128, 127), [4, 4, 6])
    with pytest.raises(ValueError, match="no fixed-point form"):
        add_affine(q, q, qy, -128, 127)
