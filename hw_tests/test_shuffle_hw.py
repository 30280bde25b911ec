"""ShuffleNetV2 in hardware: the 'shuffle' test network (a stride 1 unit with its channel split, a stride 2
unit, channel shuffles) built with --dsp-budget 32 and run in C simulation and in Verilator: bit-exact with
onnxruntime, the RTL's cycles equal to the cycle model's. Its gathers left the plan: unit 1's first half is a
selection conv (a 1x1 conv with 0/1 weights), the rest folded into the convs and the gemm reading them."""
from __future__ import annotations

import json

import pytest

from hlsgen.cli import main as cli
from hlsgen.examples import testnets

from test_rtl import _check_csim, _check_network


@pytest.fixture(scope="module")
def shuffle(tmp_path_factory):
    d = tmp_path_factory.mktemp("shuffle-hw")
    model = testnets.make("shuffle", d / "shuffle.onnx", fmt="qdq", act_dtype="uint8")
    out = d / "out"
    assert cli(["build", str(model), "--dsp-budget", "32", "-o", str(out)]) == 0
    plan = json.loads((out / "plan.json").read_text())
    assert [r["name"] for r in plan["layers"] if "channel selection" in r.get("note", "")] == ["/unit1/Split:0"]
    return model, out


@pytest.mark.hw
def test_shuffle_net_in_csim(shuffle, tmp_path):
    _check_csim(*shuffle, tmp_path)


@pytest.mark.hw
def test_shuffle_net_in_verilator(shuffle):
    _check_network(*shuffle)
