"""Pruning through a depthwise conv (MobileNetV2's inverted residual block, testnets kind 'mobile').

A depthwise conv ties input channel c to output channel c: channels pruned together in the expand
conv and the depthwise conv (coupled, as a dependency-group pruner chooses them) are removed from
both and from the projecting conv's input, exactly. The zeroed net then plans to the same cycles as
the same net with those channels physically removed."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from hlsgen.examples import testnets
from hlsgen.examples.quantize import write_model
from hlsgen.frontend import load
from hlsgen.golden import run as golden_run
from hlsgen.golden.reference import ort_run
from hlsgen.plan import tiled
from hlsgen.plan.planner import make_plan
from hlsgen.prune import analyze, compact, compact_with
from hlsgen.prune.onnx_export import bias_foldable, export

SHAPE = (3, 8, 8)
DROP = list(range(0, 32, 2))          # half of the 32 expanded channels


def _nets():
    """(the block with DROP zeroed in expand and depthwise, the same block with DROP removed)."""
    net = testnets.build("mobile", seed=0, hw=SHAPE[1])
    with torch.no_grad():
        for m in (net.expand, net.dw):
            m.weight[DROP] = 0
            m.bias[DROP] = 0
    keep = [i for i in range(net.expand.out_channels) if i not in DROP]
    small = testnets.Mobile(SHAPE[0], SHAPE[1], testnets.DEFAULT_SIZE["width"], testnets.DEFAULT_SIZE["classes"],
                            hidden=len(keep))
    with torch.no_grad():
        small.stem.load_state_dict(net.stem.state_dict())
        small.fc.load_state_dict(net.fc.state_dict())
        small.expand.weight[:] = net.expand.weight[keep]
        small.expand.bias[:] = net.expand.bias[keep]
        small.dw.weight[:] = net.dw.weight[keep]
        small.dw.bias[:] = net.dw.bias[keep]
        small.project.weight[:] = net.project.weight[:, keep]
        small.project.bias[:] = net.project.bias
    return net.eval(), small.eval()


@pytest.fixture(scope="module", params=[("qop", False), ("qdq", True)], ids=["qop-tensor", "qdq-channel"])
def models(request, tmp_path_factory):
    fmt, per_channel = request.param
    d = tmp_path_factory.mktemp(f"mobile-{fmt}")
    calib = np.random.default_rng(1).uniform(-1, 1, (8,) + SHAPE).astype(np.float32)
    zeroed, removed = _nets()
    z = write_model(zeroed, SHAPE, d / "zeroed.onnx", calib, fmt, per_channel=per_channel)
    r = write_model(removed, SHAPE, d / "removed.onnx", calib, fmt, per_channel=per_channel)
    return z, r, testnets.random_input(z, n=3)


def test_coupled_channels_leave_the_depthwise_conv(models):
    z, _, x = models
    g = load(z)
    g2, report = compact(g)
    dw = next(layer for layer in g2.layers if layer.attrs.get("groups", 1) > 1)
    assert dw.attrs["groups"] == 16 and g2.tensor(dw.inputs[0]).channels == 16
    assert report["totals"]["channels_kept"] == 0
    want = ort_run(z, x)
    assert all(np.array_equal(a, b) for a, b in zip(golden_run(g2, x), want))


def test_simplified_model_is_exact(models, tmp_path):
    z, _, x = models
    model = onnx.load(str(z))
    g = load(z)
    a = analyze(g, foldable=bias_foldable(model))
    compact_with(g, a)
    onnx.save(export(model, g, a), str(tmp_path / "s.onnx"))
    groups = [at.i for n in onnx.load(str(tmp_path / "s.onnx")).graph.node for at in n.attribute if at.name == "group"]
    assert 16 in groups
    assert all(np.array_equal(a, b) for a, b in zip(ort_run(tmp_path / "s.onnx", x), ort_run(z, x)))


def test_zeroed_plans_to_the_removed_nets_cycles(models):
    z, r, x = models
    plan_z = make_plan(load(z), target="alveo-u200", dsp_budget=32)
    plan_r = make_plan(load(r), target="alveo-u200", dsp_budget=32)
    assert plan_z.data.total_cycles == plan_r.data.total_cycles
    assert plan_z.data.macs_live == plan_r.data.macs_live < plan_z.data.macs
    want = ort_run(z, x)
    assert all(np.array_equal(a, b) for a, b in zip(tiled.run(plan_z, x), want))


def test_a_live_input_keeps_the_depthwise_channel(tmp_path):
    """Depthwise output channels zeroed alone (their input channels live): nothing can leave."""
    net = testnets.build("mobile", seed=0, hw=SHAPE[1])
    with torch.no_grad():
        net.dw.weight[DROP] = 0
        net.dw.bias[DROP] = 0
    calib = np.random.default_rng(1).uniform(-1, 1, (8,) + SHAPE).astype(np.float32)
    z = write_model(net, SHAPE, tmp_path / "m.onnx", calib, "qop")
    g2, report = compact(load(z))
    dw = next(layer for layer in g2.layers if layer.attrs.get("groups", 1) > 1)
    assert dw.attrs["groups"] == 32 and report["totals"]["channels_removed"] == 0
    x = testnets.random_input(z, n=2)
    assert all(np.array_equal(a, b) for a, b in zip(golden_run(g2, x), ort_run(z, x)))
