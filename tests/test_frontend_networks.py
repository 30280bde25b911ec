"""Whole networks: ``hlsgen run`` equals onnxruntime with 0 mismatching elements.

The networks come from ``hlsgen.examples.testnets.make`` (torch -> ONNX -> quantize_static):
'resnet' (residual adds, stride 2, 1x1 downsample, max pool, global average pool, Gemm) and 'vgg'
(1x1, 3x3, 5x5 kernels, average pooling), in QOperator and QDQ, per-tensor and per-channel,
int8 and uint8 activations, unpruned and with half the filters zeroed (with and without their
biases).  Every combination is run: a model takes well under a second to make.
"""
from __future__ import annotations

import itertools

import numpy as np
import onnx
import pytest

from hlsgen.cli import main as cli
from hlsgen.examples.testnets import random_input
from hlsgen.frontend import load
from hlsgen.frontend.calibrate import quantize_float_model
from hlsgen.golden.reference import ort_run

PRUNING = {"dense": dict(prune=0.0), "pruned": dict(prune=0.5, zero_bias=True),
           "pruned-bias-kept": dict(prune=0.5, zero_bias=False)}
CASES = list(itertools.product(("resnet", "vgg"), ("qop", "qdq"), (False, True), PRUNING, ("int8", "uint8")))


def batch(path):
    """Inputs in the calibrated range, and beyond it (saturating the quantizer and the layers)."""
    x = random_input(path, n=6, seed=1)
    return np.concatenate([x, 3.0 * x[:3]])


def run_cli(tmp_path, model, x, *extra):
    xin, yout = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(xin, x)
    assert cli(["run", str(model), "--input", str(xin), "--output", str(yout), *extra]) == 0
    return np.load(yout)


@pytest.mark.parametrize("kind,fmt,per_channel,pruning,act", CASES,
                         ids=["-".join([k, f, "pc" if pc else "pt", p, a]) for k, f, pc, p, a in CASES])
def test_run_equals_onnxruntime(testnet, tmp_path, kind, fmt, per_channel, pruning, act):
    model = testnet(kind, out=tmp_path / "m.onnx", fmt=fmt, per_channel=per_channel, act_dtype=act,
                    **PRUNING[pruning])
    x = batch(model)
    y = run_cli(tmp_path, model, x)
    (want,) = ort_run(model, x)
    assert y.dtype == want.dtype and y.shape == want.shape
    assert int((y != want).sum()) == 0
    g = load(model)
    assert g.source_format == fmt
    # layers keep the names of the nodes in the file (a fused QDQ conv is named after its Conv)
    assert {layer.name for layer in g.layers} <= {n.name for n in onnx.load(str(model)).graph.node}
    assert {g.tensor(t).q.dtype for t in g.tensors if g.tensor(t).q} == {act}
    convs = [layer for layer in g.layers if layer.op == "conv"]
    assert {len(set(c.params["w_scale"].tolist())) > 1 for c in convs} == {per_channel}
    if pruning != "dense":   # whole filters are zero in the IR's weights
        for c in convs:
            w = c.params["w"].astype(int) - c.params["w_zp"][:, None, None, None]
            assert (np.abs(w).sum(axis=(1, 2, 3)) == 0).any()


def test_the_networks_hold_what_they_should(testnet, tmp_path):
    r = load(testnet("resnet", out=tmp_path / "r.onnx"))
    ops = [layer.op for layer in r.layers]
    for op in ("add", "maxpool", "gavgpool", "gemm", "flatten"):
        assert op in ops
    convs = [layer for layer in r.layers if layer.op == "conv"]
    assert {c.attrs["stride"] for c in convs} == {(1, 1), (2, 2)}
    assert (1, 1) in {c.attrs["kernel"] for c in convs}
    v = load(testnet("vgg", out=tmp_path / "v.onnx"))
    assert {c.attrs["kernel"] for c in v.layers if c.op == "conv"} == {(1, 1), (3, 3), (5, 5)}
    ops = [layer.op for layer in v.layers]
    assert ops.count("avgpool") == 1 and ops.count("maxpool") == 1


@pytest.mark.parametrize("kind", ["resnet", "vgg"])
def test_float_model_calibrated_on_the_way_in(testnet, tmp_path, kind):
    """--calibrate random / DIR quantize with onnxruntime's quantizer; the result equals onnxruntime
    running that quantized model."""
    model = testnet(kind, out=tmp_path / "f.onnx", fmt="float")
    x = batch(model)
    calib = tmp_path / "calib"
    calib.mkdir()
    for i in range(3):
        np.save(calib / f"{i}.npy", random_input(model, n=2, seed=10 + i))
    for how in ("random", str(calib)):
        y = run_cli(tmp_path, model, x, "--calibrate", how)
        quantized = tmp_path / "q.onnx"
        g = load(model, calibrate=how)
        quantize_float_model(model, quantized, how, model, g.inputs[0], g.tensor(g.inputs[0]).shape)
        (want,) = ort_run(quantized, x)
        assert g.source_format == "float" and y.shape == want.shape
        assert int((y != want).sum()) == 0
