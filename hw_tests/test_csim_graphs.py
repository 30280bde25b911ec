"""Every op family through build + C simulation, on hand-built QOperator graphs
(hlsgen.golden.twin): stem im2col, 5x5 stride-2 conv with asymmetric padding, grouped
conv, concat at a channel offset, padded max pool, standalone clip and
add, padded and unpadded average pool, global average pool, Gemm and MatMul, int8 and
uint8 activations, row-tiled layers (small DSP budgets); 0 mismatches with onnxruntime."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hlsgen import cli
from hlsgen.examples import testnets
from hlsgen.golden.reference import ort_run
from hlsgen.golden.twin import Net
from hlsgen.ir import QParams
from hlsgen.sim import csim

pytestmark = pytest.mark.hw


def _conv(net, x, o, k, qy, rng, stride=(1, 1), pads=None, groups=1, act=None):
    i = net.tensors[x].shape[0] // groups
    w = rng.integers(-20, 21, size=(o, i, k, k)).astype(np.int8)
    pads = pads if pads is not None else (k // 2,) * 4
    return net.conv(x, w, np.zeros(o, np.int32), rng.uniform(0.005, 0.015, o).astype(np.float32),
                    rng.integers(-300, 300, size=o), qy, stride=stride, pads=pads, groups=groups, act=act)


def every_op(dtype: str, seed: int):
    """A small graph with one of everything the engine runs, all activations of DTYPE
    (onnxruntime's kernels want one activation type per op); returns (ONNX bytes, input shape)."""
    rng = np.random.default_rng(seed)
    z = 0 if dtype == "int8" else 128        # zero points are offsets from the type's middle

    def q(scale, zp):
        return QParams(scale, zp + z, dtype)

    net = Net((3, 13, 11))
    x = net.quantize("x", q(1 / 100, 5))
    s = _conv(net, x, 8, 5, q(0.02, 3), rng, stride=(2, 2), pads=(2, 1, 1, 2))
    a = _conv(net, s, 16, 3, q(1 / 128, 0), rng)
    b = _conv(net, s, 8, 1, q(1 / 128, 0), rng, groups=2)
    c = net.concat([a, b], q(1 / 128, 0))
    m = net.maxpool(c, (3, 3), (2, 2), (1, 1, 1, 1))
    k = net.clip(m, z - 40, z + 90)
    t = net.add(k, m, q(0.0173, -2))   # standalone add
    r = _conv(net, t, 24, 3, q(0.03, -100), rng, act=(z - 100, z + 127))
    p = net.avgpool(r, q(0.0299, -99), (2, 2), (1, 1), (1, 1, 0, 0), True)
    p = net.avgpool(p, q(0.0301, -98), (2, 2), (1, 1), (0, 0, 0, 0), False)
    g = net.gavgpool(p, q(0.0233, -98))
    f = net.flatten(g)
    h = net.qgemm(f, rng.integers(-30, 31, size=(12, 24)).astype(np.int8), np.zeros(12, np.int32),
                  np.full(12, 0.02, np.float32), rng.integers(-100, 100, size=12), q(0.05, 0))
    y = net.matmul(h, rng.integers(-30, 31, size=(10, 12)).astype(np.int8), np.zeros(10, np.int32),
                   np.full(10, 0.03, np.float32), q(0.04, -3))
    out = net.dequantize(y)
    net.checked = []
    return net.onnx_model(out), (3, 13, 11)


def run_case(tmp_path, dtype, seed, budget, weights="auto", array=None, activations="auto"):
    model = tmp_path / "m.onnx"
    onnx_bytes, shape = every_op(dtype, seed)
    model.write_bytes(onnx_bytes)
    out = tmp_path / "out"
    pin = ["--array", array] if array else []
    assert cli.main(["build", str(model), "--dsp-budget", str(budget), "--compute-units", "1", "--weights", weights,
                     "--activations", activations, *pin, "-o", str(out)]) == 0
    plan = json.loads((out / "plan.json").read_text())
    kinds = {inv["kind"] for inv in plan["invocations"]}
    assert kinds == {"conv", "maxpool", "add", "avgpool", "gavgpool"}
    assert bool(plan["preload"]) == (weights != "streamed")
    if plan["engine"]["act_mem_bytes"]:      # alveo-u200, activations on chip: one PLRAM, read and written at once
        assert activations != "off-chip" and {(i["rd_bank"], i["wr_bank"]) for i in plan["invocations"]} == {(0, 0)}
    else:      # off chip: activations in two banks, most invocations read one and write the other
        assert activations != "on-chip"
        assert sum(i["rd_bank"] != i["wr_bank"] for i in plan["invocations"]) > len(plan["invocations"]) // 2
    x = np.random.default_rng(seed).uniform(-1, 1, size=(2, *shape)).astype(np.float32)
    (y,), (want,) = csim.simulate(out, x), ort_run(str(model), x)
    assert y.shape == want.shape and y.dtype == want.dtype
    return int(np.count_nonzero(y != want)), out


def test_every_op_family(tmp_path):
    bad, out = run_case(tmp_path, "int8", seed=1, budget=64)
    assert bad == 0


@pytest.mark.parametrize("weights,budget,array,line,activations", [("resident", 300, "1x16x16", 256, "on-chip"),
                                                                   ("streamed", 200, None, 64, "off-chip")])
def test_weights_resident_and_streamed(tmp_path, weights, budget, array, line, activations):
    """Resident weights (preloaded into the on-chip store, lines of min(512, PO*PI) bytes, up to
    ap_uint<4096>; the array is pinned so PO*PI reaches those lines) and streamed weights
    (64-byte beats from DDR) compute the same bits; the latter with the activations off chip in two DDR
    banks."""
    bad, out = run_case(tmp_path, "int8", seed=3, budget=budget, weights=weights, array=array,
                        activations=activations)
    assert bad == 0
    engine_cpp = (out / "kernel" / "engine.cpp").read_text()
    assert ("KIND_PRELOAD" in engine_cpp) == (weights == "resident")
    assert f"W_LINE_BYTES = {line};" in (out / "kernel" / "engine.h").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("budget", [10, 24, 200])   # 10: the smallest engine (1x2x2, two add lanes)
def test_every_op_family_budgets(tmp_path, dtype, budget):
    bad, out = run_case(tmp_path, dtype, seed=budget, budget=budget)
    assert bad == 0


def test_resident_512_byte_store_lines(tmp_path):
    """The widest store line (512 bytes, ap_uint<4096>: PO*PI = 512). On this graph's 32 output lanes the
    add units and the average pool's float path take more LUTs than one SLR of the U200 has, so the
    line is tested on the VGG test net (no add, no average pool)."""
    model = testnets.make("vgg", tmp_path / "vgg.onnx", prune=0.5)
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "--dsp-budget", "400", "--compute-units", "1", "--weights", "resident",
                     "--array", "1x32x16", "-o", str(out)]) == 0
    assert "W_LINE_BYTES = 512;" in (out / "kernel" / "engine.h").read_text()
    x = testnets.random_input(model, n=2)
    (y,), (want,) = csim.simulate(out, x), ort_run(str(model), x)
    assert y.dtype == want.dtype and int(np.count_nonzero(y != want)) == 0


@pytest.mark.slow
@pytest.mark.parametrize("array", ["1x8x8", "2x4x4", "4x8x4", "8x4x4"])
def test_every_op_family_pixel_lanes(tmp_path, array):
    """Every op family with PP = 1 .. 8 pixel lanes pinned (--array): partial pixel groups on the
    odd map widths, stride-2 convs, the stem."""
    bad, out = run_case(tmp_path, "uint8", seed=7, budget=400, array=array)
    assert bad == 0
    assert f"const int PP = {array.split('x')[0]};" in (out / "kernel" / "engine.h").read_text()
