"""Requantization: the integer-only paths (conv, add, average pools) equal the golden float32 ops."""
from __future__ import annotations

import numpy as np
import pytest

from hlsgen import ir
from hlsgen.golden import ops
from hlsgen.golden.ops import add_layer_consts
from hlsgen.golden.requant import (_div_sig, _div_sig_recip, add_consts, add_int, avgpool_int,
                                   conv_scale, requant_float, requant_int, scale_parts, y_recip)
from testkit import qparams

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


# -- add: integer emulation of the two fused multiply-adds ----------------------------

def all_pairs(qa, qb):   # QA's x QB's values, broadcastable (test_golden_ops's: flat arrays of one dtype)
    return np.arange(qa.qmin, qa.qmax + 1).reshape(-1, 1), np.arange(qb.qmin, qb.qmax + 1).reshape(1, -1)


@pytest.mark.parametrize("case", range(8))
def test_add_int_equals_golden_add_on_all_pairs(case):
    """All 256 x 256 pairs for 40 random scale sets per case (mixed dtypes, fused ReLU, equal scales)."""
    rng = np.random.default_rng(case)
    for i in range(40):
        qa, qb, qy = (qparams(rng, ("int8", "uint8")[int(rng.integers(2))], -10, 3) for _ in range(3))
        if i % 5 == 1:
            qb = ir.QParams(qa.scale, qb.zero_point, qb.dtype)
        if i % 5 == 2:
            qa = qb = ir.QParams(qy.scale / 2, 0, qa.dtype)        # exact halves: ties everywhere
        lo, hi = (qy.zero_point, qy.qmax) if i % 4 == 3 else (qy.qmin, qy.qmax)   # fused ReLU
        a, b = all_pairs(qa, qb)
        got = add_int(a, b, add_layer_consts(qa, qb, qy), lo, hi)
        assert np.array_equal(got, ops.add_table(qa, qb, qy, lo, hi)), (qa, qb, qy)


def test_add_int_exact_ties():
    """sa = sb = sy/2: (a + b)/2 has exact halves; zy is added before the rounding: 3.5 -> 4, 4.5 -> 4, 5.5 -> 6."""
    q = ir.QParams(0.125, 0, "int8")
    qy = ir.QParams(0.25, 3, "int8")
    a, b = np.array([1, 3, 5]), np.array([0, 0, 0])
    assert np.array_equal(ops.add(a, q, b, q, qy, -128, 127), [4, 4, 6])
    assert np.array_equal(add_int(a, b, add_layer_consts(q, q, qy), -128, 127), [4, 4, 6])


def test_add_int_identity_and_refusal():
    """ra = 1, rb = 0, k = 0 passes a through (a standalone clip); absurd ratios are refused."""
    c = add_consts(np.float32(1), np.float32(0), np.float32(0))
    a = np.arange(-128, 128)
    assert np.array_equal(add_int(a, a * 0 + 7, c, -5, 100), np.clip(a, -5, 100))
    with pytest.raises(ValueError, match="too far apart"):
        add_consts(np.float32(2.0 ** 40), np.float32(2.0 ** -40), np.float32(0.3))


# -- average pools ------------------------------------------------------------------

def window_taps(x, k, s, pads):
    """(value, valid) per tap in row-major order, as the engine walks the window."""
    valid = np.ones(x.shape, bool)
    return list(zip(ops._taps(x, (k, k), (s, s), pads, 0), ops._taps(valid, (k, k), (s, s), pads, False)))


@pytest.mark.parametrize("case", range(6))
def test_avgpool_int_equals_golden_avgpool(case):
    """Random kernels, strides, paddings, count_include_pad both ways, scales near ties (equal,
    power-of-two ratios); the 16.8M-output version of this sweep: 0 mismatches."""
    rng = np.random.default_rng(100 + case)
    for i in range(25):
        dx, dy = (("int8", "uint8")[int(rng.integers(2))] for _ in range(2))
        qx, qy = qparams(rng, dx, -9, 0), qparams(rng, dy, -9, 0)
        if i % 3 == 1:
            qy = ir.QParams(qx.scale * float(rng.choice([1, 2, 0.5, 0.25])), qy.zero_point, dy)
        k, s = int(rng.integers(1, 8)), int(rng.integers(1, 4))
        p = min(int(rng.integers(0, k)), k // 2)
        pads, cip = (p, p, p, p), int(rng.integers(2))
        h = int(rng.integers(k, 16))
        x = rng.integers(qx.qmin, qx.qmax + 1, (2, 16, h, h + 1))
        x[0, 0], x[0, 1] = qx.qmin, qx.qmax                 # the extreme sums
        count = ops.avgpool_count(x.shape, (k, k), (s, s), pads, cip)
        got = avgpool_int(window_taps(x, k, s, pads), qx.zero_point, qx.scale, qy.scale, count,
                          qy.zero_point, qy.qmin, qy.qmax)
        assert np.array_equal(got, ops.avgpool(x, qx, qy, (k, k), (s, s), pads, cip)), (qx, qy, k, s, p, cip)


def test_avgpool_is_not_a_function_of_the_window_sum():
    """Why avgpool_int follows the float path tap by tap: sum 102 over 4 taps is 25.5, but
    onnxruntime's float32 accumulation of this window lands just below it (25), while the sum
    requantized like gavgpool ties to even (26)."""
    q = ir.QParams(0.006280927453190088, 0, "int8")
    x = np.array([[61, -54], [56, 39]]).reshape(1, 1, 2, 2)
    assert ops.avgpool(x, q, q, (2, 2), (2, 2), (0, 0, 0, 0), 1).ravel().tolist() == [25]
    assert ops.gavgpool(x, q, q).ravel().tolist() == [26]
    got = avgpool_int(window_taps(x, 2, 2, (0, 0, 0, 0)), 0, q.scale, q.scale, 4, 0, -128, 127)
    assert got.ravel().tolist() == [25]


@pytest.mark.parametrize("case", range(12))
def test_gavgpool_is_requant_int(case):
    """QLinearGlobalAveragePool in hardware: requant_int of the integer sum, exact for every scale
    (ties included, e.g. t = +-15313 below)."""
    rng = np.random.default_rng(50 + case)
    dtype = ("int8", "uint8")[case % 2]
    qx = qparams(rng, dtype, -8, 0)
    qy = ir.QParams(qx.scale * float(2.0 ** rng.uniform(-2, 1)), qparams(rng, dtype, -8, 0).zero_point, dtype)
    if case == 0:
        qx, qy = ir.QParams(0.5835989713668823, 36, "uint8"), ir.QParams(0.959898054599762, 151, "uint8")
    h, w = (int(v) for v in rng.integers(1, 15, 2))
    n = h * w
    t = np.arange(-255 * n, 255 * n + 1)
    s = ops.gavgpool_scale(n, qx, qy)
    assert np.array_equal(requant_int(t, s, qy.zero_point, qy.qmin, qy.qmax),
                          requant_float(t, s, qy.zero_point, qy.qmin, qy.qmax))


@pytest.mark.parametrize("msy", [1 << 23, (1 << 24) - 1])
def test_reciprocal_division_all_significands(msy):
    """avgpool_int divides by sy's significand with a reciprocal multiplication and one remainder
    correction: equal to the true division, rounded, for every m1 in [2^23, 2^24]."""
    m1 = np.arange(1 << 23, (1 << 24) + 1, dtype=np.int64)
    got = _div_sig_recip(m1, msy, (1 << 51) // msy)
    want = _div_sig(m1, np.int64(msy))
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_reciprocal_division_random_divisors():
    rng = np.random.default_rng(11)
    for msy in rng.integers(1 << 23, 1 << 24, 50):
        m1 = np.concatenate([rng.integers(1 << 23, (1 << 24) + 1, 20000), [1 << 23, 1 << 24, 0]])
        got = _div_sig_recip(m1, int(msy), y_recip(np.uint32((127 << 23) | (int(msy) - (1 << 23))).view(np.float32)))
        want = _div_sig(m1, np.int64(msy))
        nz = want[0] != 0                                   # zero: the exponent does not matter
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1][nz], want[1][nz]), msy
