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
from hlsgen.golden import ops
from hlsgen.golden.ops import add_layer_consts
from hlsgen.golden.requant import add_int, avgpool_int, requant_int, y_recip
from hlsgen.ir import QParams
from hlsgen.plan.invocation import Invocation, command_offset, weight_memory
from hlsgen.sim import csim

pytestmark = pytest.mark.hw

REPLAY = Path(__file__).with_name("csim_replay.cpp")
ENGINE = dict(tile_words=8192, w_rows=512, max_rows=32, max_cols=32, max_cw=16, max_groups=16,
              act_bytes=1 << 20, wgt_bytes=1 << 20)


# (PP, PI, PO, E): one epilogue lane per output, and fewer (ENGINE.md section 1, "Epilogue lanes"): NC = 4
# passes per pixel group, 3 x 8 outputs in two passes of 12 (a pass boundary inside pixel lane 1), and in
# four passes of 6 (E not a multiple of PI: passes across words)
@pytest.fixture(scope="module", params=[(1, 8, 16, 16), (4, 4, 4, 16), (4, 4, 4, 4), (3, 4, 8, 12), (3, 4, 8, 6)],
                ids=["pp1pi8po16", "pp4pi4po4", "pp4pi4po4e4", "pp3pi4po8e12", "pp3pi4po8e6"])
def engine(request, tmp_path_factory):
    pp, pi, po, lanes = request.param
    folder = tmp_path_factory.mktemp(f"engine{pp}x{pi}x{po}e{lanes}")
    hls.render_kernel(dict(ENGINE, pi=pi, po=po, pp=pp, epilogue_lanes=lanes), folder)
    exe = folder / "replay"
    sources = [folder / "kernel" / "engine.cpp", folder / "host" / "device_csim.cpp", REPLAY]
    csim.compile_program(sources, exe, [folder / "host"])
    return {"pp": pp, "pi": pi, "po": po, "exe": exe, "dir": folder}


def replay(engine, act: np.ndarray, wgt: np.ndarray, invocations) -> np.ndarray:
    d = engine["dir"]
    weights = wgt.astype(np.uint8).tobytes()
    (d / "act.bin").write_bytes(act.astype(np.uint8).tobytes())
    (d / "wgt.bin").write_bytes(weight_memory(weights, invocations))
    subprocess.run([str(engine["exe"]), d / "act.bin", d / "wgt.bin", str(command_offset(len(weights))),
                    str(len(invocations)),
                    d / "out.bin"], check=True)
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


def f32_bits(v) -> int:
    return int(np.float32(v).view(np.uint32))


def rand_q(rng, shape, signed):
    return rng.integers(-128, 128, shape) if signed else rng.integers(0, 256, shape)


# -- tests ---------------------------------------------------------------------

CONV_CASES = [  # (cin, cout, h, w, k, stride, pad, in_signed, out_signed, add, pool_k)
    (3, 5, 9, 7, 3, 1, 1, True, True, False, 0),
    (13, 20, 8, 8, 1, 1, 0, False, False, False, 0),
    (16, 17, 9, 9, 5, 2, 2, True, False, False, 0),
    (9, 24, 6, 10, 3, 2, 1, False, True, True, 0),
    (32, 8, 5, 5, 7, 1, 3, True, True, True, 0),
    # fused max pool: conv 8x10 -> 4x5; conv 9x11 -> 3x3 (the conv's last rows and columns unused);
    # stride 2: conv 6x6 -> 3x3.  Conv widths 10, 9, 6 leave the last pixel group partial at PP = 4.
    (16, 20, 8, 10, 3, 1, 1, True, True, False, 2),
    (9, 8, 9, 11, 3, 1, 1, False, False, False, 3),
    (5, 12, 12, 12, 3, 2, 1, False, True, False, 2),
]


def max_pool_ref(y, pk):
    """Max pool with window = stride = pk, no padding, of a (C, H, W) map (rows and columns
    beyond the last whole window dropped)."""
    c, h, w = y.shape
    h, w = h // pk * pk, w // pk * pk
    return y[:, :h, :w].reshape(c, h // pk, pk, w // pk, pk).max(axis=(2, 4))


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])) + f"p{c[10]}")
def test_conv(engine, case):
    cin, cout, h, w, k, stride, pad, in_signed, out_signed, add, pool_k = case
    pk = max(pool_k, 1)
    pi, po = engine["pi"], engine["po"]
    rng = np.random.default_rng(sum(case[:7]))
    x = rand_q(rng, (cin, h, w), in_signed)
    zx = int(rand_q(rng, (), in_signed))
    wq = rng.integers(-127, 128, (cout, cin, k, k)).astype(np.int8)
    b = rng.integers(-3000, 3000, cout).astype(np.int32)
    scale = (rng.uniform(0.5, 2.0, cout) / (cin * k * k * 40)).astype(np.float32)
    zy, (lo, hi) = (0, (-128, 127)) if out_signed else (5, (5, 255))  # unsigned: a fused ReLU
    ref = conv_ref(x, wq, b, scale, k, stride, pad, zx, zy, lo, hi)
    ch = ref.shape[1] // pk * pk        # conv rows computed (whole pooling windows)
    if pool_k:
        ref = max_pool_ref(ref, pk)
    oh, ow = ref.shape[1:]              # the written map (pooled with pool_k)
    bias_folded = b - zx * wq.astype(np.int32).sum(axis=(1, 2, 3))
    wgt, group_bytes = pack_conv(wq, bias_folded, scale, pi, po)
    act = rng.integers(0, 256, 1 << 16).astype(np.uint8)  # garbage everywhere else
    in_addr, out_addr, add_addr = 0, 16384, 32768
    pack_map(act, in_addr, x, pi)
    fields = dict(in_addr=in_addr, in_h=h, in_w=w, in_cw=-(-cin // pi), iy0=0, iy1=h, oy0=0, oy1=ch,
                  out_addr=out_addr, out_w=ow, out_cw=-(-cout // pi), out_c0w=0, out_words=-(-cout // pi),
                  k=k, stride=stride, pad_t=pad, pad_l=pad, groups=-(-cout // po), tap_cw=-(-cin // pi), w_addr=0,
                  w_group_bytes=group_bytes, zx=zx, zy=zy, lo=lo, hi=hi, in_signed=int(in_signed),
                  out_signed=int(out_signed), pool_k=pool_k)
    if add:
        res = rand_q(rng, (cout, oh, ow), in_signed)
        zb = int(rand_q(rng, (), in_signed))
        dt = "int8" if in_signed else "uint8"
        c = add_layer_consts(QParams(0.011, zy, "int8" if out_signed else "uint8"), QParams(0.023, zb, dt),
                             QParams(0.02, -3, "int8"))
        pack_map(act, add_addr, res, pi)
        fields.update({"add_" + n: v for n, v in c.items()}, add_en=1, add_addr=add_addr,
                      add_signed=int(in_signed), add_lo=-128, add_hi=127)
        ref = add_int(ref, res, c, -128, 127)
        out_signed = True
    # rows in two invocations (split at a whole pooling window): the second holds only the input rows it needs
    split = ch // pk // 2 * pk
    first = dict(fields, oy1=split)
    iy0 = max(0, split * stride - pad)
    second = dict(fields, oy0=split, iy0=iy0)
    out = replay(engine, act, wgt, [Invocation("c", "conv", first), Invocation("c", "conv", second)])
    got = unpack_map(out, out_addr, (cout, oh, ow), pi, out_signed)
    assert np.array_equal(got, ref), f"{np.count_nonzero(got != ref)} of {ref.size} differ"
    untouched = np.ones(out.size, bool)
    untouched[out_addr:out_addr + oh * ow * fields["out_cw"] * pi] = False
    assert np.array_equal(out[untouched], act[untouched])


def pool_ref(x, kind, k, stride, pad, zx, qx, qy, count):
    c, h, w = x.shape
    if kind == "gavgpool":
        t = (x - zx).sum(axis=(1, 2), keepdims=True)
        return requant_int(t, ops.gavgpool_scale(h * w, qx, qy), qy.zero_point, qy.qmin, qy.qmax)
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    pad_mark = np.iinfo(np.int64).min
    xp = np.full((c, h + 2 * pad, w + 2 * pad), pad_mark, np.int64)
    xp[:, pad:pad + h, pad:pad + w] = x
    taps = [xp[:, kh:kh + stride * oh:stride, kw:kw + stride * ow:stride] for kh in range(k) for kw in range(k)]
    if kind == "maxpool":
        return np.max(taps, axis=0)
    taps = [(np.where(t == pad_mark, zx, t), t != pad_mark) for t in taps]
    count = count or sum(v.astype(np.int64) for _, v in taps)
    return avgpool_int(taps, zx, qx.scale, qy.scale, count, qy.zero_point, qy.qmin, qy.qmax)


POOL_CASES = [  # (kind, c, h, w, k, stride, pad, signed, count_include_pad)
    ("maxpool", 10, 9, 9, 3, 2, 1, True, 1),
    ("maxpool", 16, 8, 6, 2, 2, 0, False, 1),
    ("avgpool", 20, 8, 8, 2, 2, 0, False, 1),
    ("avgpool", 7, 7, 5, 3, 1, 1, True, 1),
    ("avgpool", 21, 9, 8, 5, 2, 2, False, 0),
    ("gavgpool", 19, 6, 5, 0, 1, 0, True, 1),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "x".join(map(str, c[:7])))
def test_pool(engine, case):
    kind, c, h, w, k, stride, pad, signed, include_pad = case
    pi = engine["pi"]
    rng = np.random.default_rng(len(kind) + c + h)
    x = rand_q(rng, (c, h, w), signed)
    zx = int(rand_q(rng, (), signed))
    dt = "int8" if signed else "uint8"
    qx, qy = QParams(0.0173, zx, dt), QParams(0.0173 * (0.5 if include_pad else 1.13), -7 if signed else 9, dt)
    count = h * w if kind == "gavgpool" else k * k if include_pad else 0
    ref = pool_ref(x, kind, k, stride, pad, zx, qx, qy, count)
    scale = ops.gavgpool_scale(h * w, qx, qy) if kind == "gavgpool" else np.float32(qx.scale)
    oh, ow = ref.shape[1:]
    act = rng.integers(0, 256, 1 << 14).astype(np.uint8)
    pack_map(act, 0, x, pi)
    fields = dict(in_addr=0, in_h=h, in_w=w, in_cw=-(-c // pi), iy0=0, iy1=h, oy0=0, oy1=oh, out_addr=8192,
                  out_w=ow, k=k, stride=stride, pad_t=pad, pad_l=pad, scale=f32_bits(scale),
                  y_scale=f32_bits(qy.scale), y_recip=y_recip(qy.scale) if kind == "avgpool" else 0, zx=zx,
                  zy=qy.zero_point, lo=qy.qmin, hi=qy.qmax,
                  in_signed=int(signed), count=count)
    out = replay(engine, act, np.zeros(64, np.uint8), [Invocation("p", kind, fields)])
    got = unpack_map(out, 8192, (c, oh, ow), pi, signed)
    assert np.array_equal(got, ref), f"{np.count_nonzero(got != ref)} of {ref.size} differ"


@pytest.mark.parametrize("a_signed,b_signed", [(True, True), (False, True), (False, False)])
def test_add(engine, a_signed, b_signed):
    """All 256 x 256 input pairs in one invocation; the scales of the (True, True) case make
    exact halves (ra = rb = 1/2): every tie goes through the hardware's rounding."""
    pi = engine["pi"]
    rng = np.random.default_rng(a_signed * 2 + b_signed)
    words = 65536 // pi
    a = np.repeat(np.arange(256) - 128 * a_signed, 256)
    b = np.tile(np.arange(256) - 128 * b_signed, 256)
    za, zb = int(rand_q(rng, (), a_signed)), int(rand_q(rng, (), b_signed))
    qa = QParams(0.0125 if a_signed and b_signed else float(rng.uniform(0.005, 0.05)), za,
                 "int8" if a_signed else "uint8")
    qb = QParams(0.0125 if a_signed and b_signed else float(rng.uniform(0.005, 0.05)), zb,
                 "int8" if b_signed else "uint8")
    qy = QParams(0.025, 3, "int8")
    c = add_layer_consts(qa, qb, qy)
    f = dict({"add_" + n: v for n, v in c.items()}, a_addr=0, b_addr=65536, out_addr=131072, words=words,
             lo=-128, hi=127, a_signed=int(a_signed), b_signed=int(b_signed))
    act = rng.integers(0, 256, 3 << 16).astype(np.uint8)
    act[0:65536] = a & 0xFF
    act[65536:131072] = b & 0xFF
    out = replay(engine, act, np.zeros(64, np.uint8), [Invocation("a", "add", f)])
    got = out[131072:196608].astype(np.int8)
    assert np.array_equal(got, ops.add(a, qa, b, qb, qy, -128, 127))
    assert np.array_equal(got, add_int(a, b, c, -128, 127))


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
