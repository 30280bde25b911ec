"""The generated HLS engine, op by op, in C simulation against ENGINE.md.

Each test builds activation and weight memory images and invocations by hand
(docs/ENGINE.md sections 3-4), replays them through the compiled kernel (device
layer + hw_tests/csim_replay.cpp) and compares every output byte with a numpy
model of the same invocation built on hlsgen.golden.requant.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from hlsgen.emit import hls
from hlsgen.golden.requant import requant_int
from hlsgen.plan.invocation import Invocation
from hlsgen.sim import csim

pytestmark = pytest.mark.hw

REPLAY = Path(__file__).with_name("csim_replay.cpp")
ENGINE = dict(tile_words=8192, w_rows=512, max_rows=32, max_cols=32, max_cw=16, max_groups=16,
              act_bytes=1 << 20, wgt_bytes=1 << 20)


@pytest.fixture(scope="module", params=[(8, 16), (4, 4)], ids=["pi8po16", "pi4po4"])
def engine(request, tmp_path_factory):
    pi, po = request.param
    folder = tmp_path_factory.mktemp(f"engine{pi}x{po}")
    hls.render_kernel(dict(ENGINE, pi=pi, po=po), folder)
    exe = folder / "replay"
    sources = [folder / "kernel" / "engine.cpp", folder / "host" / "device_csim.cpp", REPLAY]
    subprocess.run(csim.compile_command(sources, exe, [folder / "host"]), check=True)
    return {"pi": pi, "po": po, "exe": exe, "dir": folder}


def replay(engine, act: np.ndarray, wgt: np.ndarray, invocations) -> np.ndarray:
    d = engine["dir"]
    regs = np.array([inv.registers() for inv in invocations], dtype="<i8")
    (d / "act.bin").write_bytes(act.astype(np.uint8).tobytes())
    (d / "wgt.bin").write_bytes(wgt.astype(np.uint8).tobytes())
    (d / "regs.bin").write_bytes(regs.tobytes())
    subprocess.run([str(engine["exe"]), d / "act.bin", d / "wgt.bin", d / "regs.bin", d / "out.bin"], check=True)
    return np.frombuffer((d / "out.bin").read_bytes(), dtype=np.uint8)


# -- memory images (docs/ENGINE.md section 3) ----------------------------------

def pack_map(mem: np.ndarray, addr: int, q: np.ndarray, pi: int) -> None:
    """Write map q (C, H, W) at addr: word-major pixels, lanes beyond C left as they are."""
    c, h, w = q.shape
    cw = -(-c // pi)
    view = mem[addr:addr + h * w * cw * pi].reshape(h, w, cw * pi)
    view[:, :, :c] = (q.transpose(1, 2, 0) & 0xFF).astype(np.uint8)


def unpack_map(mem: np.ndarray, addr: int, shape, pi: int, signed: bool, cw_total=None, c0w=0) -> np.ndarray:
    c, h, w = shape
    cw = cw_total or -(-c // pi)
    view = mem[addr:addr + h * w * cw * pi].reshape(h, w, cw * pi)[:, :, c0w * pi:c0w * pi + c]
    v = view.astype(np.int8 if signed else np.uint8).astype(np.int32)
    return v.transpose(2, 0, 1)


def pack_conv(wq: np.ndarray, bias: np.ndarray, scale: np.ndarray, pi: int, po: int):
    """weights.bin block of one conv: per group, K*K*Cw rows of PO x PI, then (bias, scale) pairs."""
    o, c, k, _ = wq.shape
    cw, groups = -(-c // pi), -(-o // po)
    wpad = np.zeros((groups * po, cw * pi, k, k), np.int8)
    wpad[:o, :c] = wq
    rows = wpad.reshape(groups, po, cw, pi, k, k).transpose(0, 4, 5, 2, 1, 3)  # g, kh, kw, cw, j, i
    w_bytes = k * k * cw * po * pi
    c_base = -(-w_bytes // 64) * 64
    group_bytes = -(-(c_base + po * 8) // 64) * 64
    out = np.zeros(groups * group_bytes, np.uint8)
    b = np.zeros(groups * po, np.int32)
    b[:o] = bias
    s = np.zeros(groups * po, np.float32)
    s[:o] = scale
    for g in range(groups):
        base = g * group_bytes
        out[base:base + w_bytes] = rows[g].reshape(-1).view(np.uint8)
        consts = np.stack([b[g * po:(g + 1) * po], s[g * po:(g + 1) * po].view(np.int32)], axis=1)
        out[base + c_base:base + c_base + po * 8] = consts.astype("<i4").reshape(-1).view(np.uint8)
    return out, group_bytes


# -- numpy models of one invocation -------------------------------------------

def conv_ref(x, wq, b, scale, k, stride, pad, zx, zy, lo, hi):
    c, h, w = x.shape
    xp = np.full((c, h + 2 * pad, w + 2 * pad), zx, np.int64)
    xp[:, pad:pad + h, pad:pad + w] = x
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    acc = np.zeros((wq.shape[0], oh, ow), np.int64) + b[:, None, None]
    for kh in range(k):
        for kw in range(k):
            patch = xp[:, kh:kh + stride * oh:stride, kw:kw + stride * ow:stride] - zx
            acc += np.einsum("oc,chw->ohw", wq[:, :, kh, kw].astype(np.int64), patch)
    return requant_int(acc, scale[:, None, None], zy, lo, hi)


def affine_ref(t, r, s, zy, lo, hi):
    return np.clip(((np.asarray(t, np.int64) + r) >> s) + zy, lo, hi)


def rand_q(rng, shape, signed):
    return rng.integers(-128, 128, shape) if signed else rng.integers(0, 256, shape)


# -- tests ---------------------------------------------------------------------

CONV_CASES = [  # (cin, cout, h, w, k, stride, pad, in_signed, out_signed, add)
    (3, 5, 9, 7, 3, 1, 1, True, True, False),
    (13, 20, 8, 8, 1, 1, 0, False, False, False),
    (16, 17, 9, 9, 5, 2, 2, True, False, False),
    (9, 24, 6, 10, 3, 2, 1, False, True, True),
    (32, 8, 5, 5, 7, 1, 3, True, True, True),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])))
def test_conv(engine, case):
    cin, cout, h, w, k, stride, pad, in_signed, out_signed, add = case
    pi, po = engine["pi"], engine["po"]
    rng = np.random.default_rng(sum(case[:7]))
    x = rand_q(rng, (cin, h, w), in_signed)
    zx = int(rand_q(rng, (), in_signed))
    wq = rng.integers(-127, 128, (cout, cin, k, k)).astype(np.int8)
    b = rng.integers(-3000, 3000, cout).astype(np.int32)
    scale = (rng.uniform(0.5, 2.0, cout) / (cin * k * k * 40)).astype(np.float32)
    zy, (lo, hi) = (0, (-128, 127)) if out_signed else (5, (5, 255))  # unsigned: a fused ReLU
    ref = conv_ref(x, wq, b, scale, k, stride, pad, zx, zy, lo, hi)
    oh, ow = ref.shape[1:]
    bias_folded = b - zx * wq.astype(np.int32).sum(axis=(1, 2, 3))
    wgt, group_bytes = pack_conv(wq, bias_folded, scale, pi, po)
    act = rng.integers(0, 256, 1 << 16).astype(np.uint8)  # garbage everywhere else
    in_addr, out_addr, add_addr = 0, 16384, 32768
    pack_map(act, in_addr, x, pi)
    fields = dict(in_addr=in_addr, in_h=h, in_w=w, in_cw=-(-cin // pi), iy0=0, iy1=h, oy0=0, oy1=oh,
                  out_addr=out_addr, out_w=ow, out_cw=-(-cout // pi), out_c0w=0, out_words=-(-cout // pi),
                  k=k, stride=stride, pad_t=pad, pad_l=pad, groups=-(-cout // po), w_addr=0,
                  w_group_bytes=group_bytes, zx=zx, zy=zy, lo=lo, hi=hi, in_signed=int(in_signed),
                  out_signed=int(out_signed))
    if add:
        res = rand_q(rng, (cout, oh, ow), in_signed)
        zb = int(rand_q(rng, (), in_signed))
        m_a, m_b, s, r = 23001, -17013, 16, 1 << 15
        pack_map(act, add_addr, res, pi)
        fields.update(add_en=1, add_addr=add_addr, add_signed=int(in_signed), add_za=zy, add_zb=zb,
                      add_m_a=m_a, add_m_b=m_b, add_r=r, add_s=s, add_zy=-3, add_lo=-128, add_hi=127)
        ref = affine_ref((ref - zy) * m_a + (res - zb) * m_b, r, s, -3, -128, 127)
        out_signed = True
    # rows in two invocations: the second holds only the input rows it needs
    split = oh // 2
    first = dict(fields, oy1=split)
    iy0 = max(0, split * stride - pad)
    second = dict(fields, oy0=split, iy0=iy0)
    out = replay(engine, act, wgt, [Invocation("c", "conv", first), Invocation("c", "conv", second)])
    got = unpack_map(out, out_addr, (cout, oh, ow), pi, out_signed)
    assert np.array_equal(got, ref), f"{np.count_nonzero(got != ref)} of {ref.size} differ"
    untouched = np.ones(out.size, bool)
    untouched[out_addr:out_addr + oh * ow * fields["out_cw"] * pi] = False
    assert np.array_equal(out[untouched], act[untouched])


def pool_ref(x, kind, k, stride, pad, zx, m, r, s, zy, lo, hi):
    c, h, w = x.shape
    if kind == "gavgpool":
        return affine_ref((x - zx).sum(axis=(1, 2), keepdims=True) * m, r, s, zy, lo, hi)
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    fill = np.iinfo(np.int64).min if kind == "maxpool" else zx
    xp = np.full((c, h + 2 * pad, w + 2 * pad), fill, np.int64)
    xp[:, pad:pad + h, pad:pad + w] = x
    taps = np.stack([xp[:, kh:kh + stride * oh:stride, kw:kw + stride * ow:stride]
                     for kh in range(k) for kw in range(k)])
    if kind == "maxpool":
        return taps.max(axis=0)
    return affine_ref((taps - zx).sum(axis=0) * m, r, s, zy, lo, hi)


POOL_CASES = [  # (kind, c, h, w, k, stride, pad, signed)
    ("maxpool", 10, 9, 9, 3, 2, 1, True),
    ("maxpool", 16, 8, 6, 2, 2, 0, False),
    ("avgpool", 20, 8, 8, 2, 2, 0, False),
    ("avgpool", 7, 7, 5, 3, 1, 1, True),
    ("gavgpool", 19, 6, 5, 0, 1, 0, True),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "x".join(map(str, c[:7])))
def test_pool(engine, case):
    kind, c, h, w, k, stride, pad, signed = case
    pi = engine["pi"]
    rng = np.random.default_rng(len(kind) + c + h)
    x = rand_q(rng, (c, h, w), signed)
    zx = int(rand_q(rng, (), signed))
    count = h * w if kind == "gavgpool" else k * k
    m, s = int(round((1 << 20) / count * 0.9)), 20
    r, zy, (lo, hi) = 1 << 19, -7 if signed else 9, ((-128, 127) if signed else (0, 255))
    ref = pool_ref(x, kind, k, stride, pad, zx, m, r, s, zy, lo, hi)
    oh, ow = ref.shape[1:]
    act = rng.integers(0, 256, 1 << 14).astype(np.uint8)
    pack_map(act, 0, x, pi)
    fields = dict(in_addr=0, in_h=h, in_w=w, in_cw=-(-c // pi), iy0=0, iy1=h, oy0=0, oy1=oh, out_addr=8192,
                  out_w=ow, k=k, stride=stride, pad_t=pad, pad_l=pad, m=m, r=r, s=s, zx=zx, zy=zy, lo=lo,
                  hi=hi, in_signed=int(signed), count=count)
    out = replay(engine, act, np.zeros(64, np.uint8), [Invocation("p", kind, fields)])
    got = unpack_map(out, 8192, (c, oh, ow), pi, signed)
    assert np.array_equal(got, ref), f"{np.count_nonzero(got != ref)} of {ref.size} differ"


@pytest.mark.parametrize("a_signed,b_signed", [(True, True), (False, True), (False, False)])
def test_add(engine, a_signed, b_signed):
    pi = engine["pi"]
    rng = np.random.default_rng(a_signed * 2 + b_signed)
    words = 37
    a, b = rand_q(rng, words * pi, a_signed), rand_q(rng, words * pi, b_signed)
    za, zb = int(rand_q(rng, (), a_signed)), int(rand_q(rng, (), b_signed))
    f = dict(a_addr=0, b_addr=4096, out_addr=8192, words=words, za=za, zb=zb, m_a=-(1 << 21) + 12345,
             m_b=(1 << 22) - 999, r=(1 << 21) - 1, s=22, zy=3, lo=-128, hi=127, a_signed=int(a_signed),
             b_signed=int(b_signed))
    act = rng.integers(0, 256, 1 << 14).astype(np.uint8)
    act[0:words * pi] = a & 0xFF
    act[4096:4096 + words * pi] = b & 0xFF
    out = replay(engine, act, np.zeros(64, np.uint8), [Invocation("a", "add", f)])
    got = out[8192:8192 + words * pi].astype(np.int8)
    ref = affine_ref((a - za) * f["m_a"] + (b - zb) * f["m_b"], f["r"], f["s"], 3, -128, 127)
    assert np.array_equal(got, ref)


def rounding_cases(n_scales=4000, seed=0):
    """(acc, scale, zy) next to every rounding boundary of requantization.

    For random scales, accumulators whose product lands on or beside k + 1/2
    (step 4 ties); accumulators above 2^24 whose float32 rounding is a tie
    (step 1), with power-of-two scales that keep the tie visible; and scales
    with long significands, where the product's rounding (step 3) decides.
    """
    rng = np.random.default_rng(seed)
    s = (2.0 ** rng.uniform(-22, -1, n_scales)).astype(np.float32)
    half = rng.integers(-140, 140, n_scales) + 0.5
    acc0 = np.round(half / s.astype(np.float64)).astype(np.int64)
    accs = [acc0 + d for d in range(-2, 3)]
    scales = [s] * 5
    e = np.arange(0, 7)
    k = rng.integers(1, 60, (7, 40))
    for sign in (1, -1):
        for d in (-3, -1, 1, 3):
            a = (k * 2 ** (20 + e[:, None]) + 2 ** (19 + e[:, None]) + d) * sign
            accs.append(a.reshape(-1))
            scales.append(np.repeat(2.0 ** -(20 + e), 40).astype(np.float32))
    acc = np.clip(np.concatenate(accs), -(2 ** 31), 2 ** 31 - 1).astype(np.int32)
    scale = np.concatenate(scales).astype(np.float32)
    zy = rng.integers(-128, 128, acc.size).astype(np.int32)
    return acc, scale, zy


def test_requant_rounding_boundaries(tmp_path):
    hls.render_kernel(dict(ENGINE, pi=8, po=8), tmp_path)
    exe = tmp_path / "requant"
    subprocess.run(csim.compile_command([Path(__file__).with_name("csim_requant.cpp")], exe,
                                        [tmp_path / "kernel"]), check=True)
    acc, scale, zy = rounding_cases()
    triples = np.stack([acc, scale.view(np.int32), zy], axis=1).astype("<i4")
    out = subprocess.run([str(exe)], input=triples.tobytes(), capture_output=True, check=True).stdout
    got = np.frombuffer(out, dtype="<i4")
    want = requant_int(acc, scale, zy, -1000000, 1000000)
    assert np.array_equal(got, want), f"{np.count_nonzero(got != want)} of {acc.size} differ"
