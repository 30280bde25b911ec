"""A depthwise net in hardware: MobileNetV2's inverted residual block (testnets kind 'mobile') with half of
its expanded channels pruned by coupled group (zeroed in the expand and depthwise convs, so they leave the
compacted model), built and run in C simulation and in Verilator: bit-exact with onnxruntime, the RTL's
cycles equal to the cycle model's."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from hlsgen.cli import main as cli
from hlsgen.examples import testnets
from hlsgen.examples.quantize import write_model
from hlsgen.golden.reference import ort_run

from test_rtl import _check_csim, _check_network

SHAPE = (3, 8, 8)


@pytest.fixture(scope="module")
def mobile(tmp_path_factory):
    d = tmp_path_factory.mktemp("mobile-hw")
    net = testnets.build("mobile", seed=0, hw=SHAPE[1])
    with torch.no_grad():
        for m in (net.expand, net.dw):
            m.weight[0::2] = 0
            m.bias[0::2] = 0
    calib = np.random.default_rng(1).uniform(-1, 1, (8,) + SHAPE).astype(np.float32)
    model = write_model(net, SHAPE, d / "mobile.onnx", calib, "qop")
    out = d / "out"
    assert cli(["build", str(model), "--dsp-budget", "96", "--compute-units", "1", "-o", str(out)]) == 0
    return model, out


@pytest.mark.hw
def test_depthwise_net_in_csim(mobile, tmp_path):
    _check_csim(*mobile, tmp_path)


@pytest.mark.hw
def test_depthwise_net_in_verilator(mobile):
    _check_network(*mobile)


@pytest.mark.hw
@pytest.mark.parametrize("array", ["1x32x16", "2x32x8"])
def test_grouped_windows_in_csim_and_verilator(tmp_path, array):
    """Depthwise 5x5 and 5-group 3x3 convs on 40 channels (twinnets.grouped): each PO group reads only
    its input window (tap_cw words from g*cw_step), the last window past the map's 3 or 5 words; C
    simulation and Verilator bit-exact with onnxruntime, the RTL's cycles equal to the model."""
    import json

    import hlsgen
    from hlsgen.examples import twinnets
    net, out = twinnets.grouped("int8")
    net.checked = []
    project = tmp_path / "out"
    b = hlsgen.build(net.graph(out), project, array=array, dsp_budget=2000)
    assert any(i.kind == "conv" and i["cw_step"] and i["tap_cw"] * (i["groups"]) > i["in_cw"]
               for i in b.data.invocations)
    x = np.random.default_rng(2).uniform(-1, 1, size=(1,) + twinnets.TABLES_SHAPE).astype(np.float32)
    want = ort_run(net.onnx_model(out), x)[0]
    assert np.array_equal(hlsgen.simulate(project, x, engine="csim").outputs[0], want)
    sim = hlsgen.simulate(project, x, engine="verilator")
    assert np.array_equal(sim.outputs[0], want)
    assert sim.cycles == json.loads((project / "plan.json").read_text())["total_cycles"]
