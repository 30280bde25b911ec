"""The test-network generator: every variant builds, runs in onnxruntime on integer kernels,
and pruned filters are exactly zero in the quantized model."""
import itertools

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from hlsgen.errors import UserError
from hlsgen.examples import testnets
from hlsgen.examples.quantize import pruned_count
from hlsgen.golden.reference import session as ort_session


def conv_params(path):
    """[(node name, int weight (O, I, KH, KW), int32 bias (O,))] for every quantized conv of the model."""
    m = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    producer = {o: n for n in m.graph.node for o in n.output}
    out = []
    for n in m.graph.node:
        if n.op_type == "QLinearConv":
            out.append((n.name, init[n.input[3]], init[n.input[8]]))
        elif n.op_type == "Conv":  # QDQ: weight and bias come through DequantizeLinear
            w = init[producer[n.input[1]].input[0]]
            b = init[producer[n.input[2]].input[0]]
            out.append((n.name, w, b))
    return out


def dead_filters(w):
    return np.all(w.reshape(len(w), -1) == 0, axis=1)


VARIANTS = list(itertools.product(testnets.KINDS, ("qop", "qdq"), (False, True), ("int8", "uint8")))


@pytest.mark.parametrize("kind,fmt,per_channel,act_dtype", VARIANTS)
@pytest.mark.parametrize("prune,zero_bias", [(0.0, True), (0.5, True), (0.5, False)])
def test_variant_builds_runs_and_prunes_exactly(testnet, tmp_path, kind, fmt, per_channel, act_dtype, prune,
                                                zero_bias):
    path = testnet(kind, fmt=fmt, per_channel=per_channel, prune=prune, zero_bias=zero_bias, act_dtype=act_dtype)
    x = testnets.random_input(path, n=3)
    opt = tmp_path / "opt.onnx"
    y = ort_session(path, opt).run(None, {"input": x})[0]
    assert y.shape == (3, testnets.DEFAULT_SIZE["classes"]) and np.isfinite(y).all()
    assert not np.array_equal(y[0], y[1]), "outputs do not depend on the input"

    # onnxruntime runs every conv on its integer kernel (QDQ fused into QLinearConv)
    ops = [n.op_type for n in onnx.load(str(opt)).graph.node]
    assert "Conv" not in ops and "QLinearConv" in ops

    convs = conv_params(path)
    assert len(convs) == {"chain": 3, "resnet": 6, "vgg": 4}[kind]
    zero_biases = []
    for name, w, b in convs:
        assert w.dtype == np.int8, name
        dead = dead_filters(w)
        assert dead.sum() == pruned_count(len(w), prune), name
        zero_biases.extend(b[dead] == 0)
    if prune and zero_bias:
        assert all(zero_biases)
    if prune and not zero_bias:
        assert not all(zero_biases)


@pytest.mark.parametrize("kind", testnets.KINDS)
def test_float_export_is_quantizable_graph(testnet, kind):
    path = testnet(kind, fmt="float")
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert ops <= {"Conv", "Relu", "MaxPool", "Add", "GlobalAveragePool", "AveragePool", "Flatten", "Gemm"}
    x = testnets.random_input(path)
    assert ort_session(path).run(None, {"input": x})[0].shape == (2, 10)


def test_pruning_takes_the_lowest_l1_filters(tmp_path):
    net = testnets.build("chain")
    first = net.features[0].weight.detach().abs().sum(dim=(1, 2, 3)).numpy()
    path = testnets.make("chain", tmp_path / "m.onnx", prune=0.25)
    _, w, _ = conv_params(path)[0]
    assert set(np.flatnonzero(dead_filters(w))) == set(np.argsort(first)[:2])


def test_gemm_classifier_is_kept_whole(tmp_path):
    path = testnets.make("vgg", tmp_path / "m.onnx", prune=0.75)
    m = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    (gemm,) = [n for n in m.graph.node if n.op_type == "QGemm"]
    w = init[gemm.input[3]]
    assert not np.any(np.all(w == 0, axis=1)) and not np.any(np.all(w == 0, axis=0))


def test_deterministic_bytes_and_sizes(tmp_path):
    a = testnets.make("resnet", tmp_path / "a.onnx", fmt="qdq", prune=0.5, seed=3)
    b = testnets.make("resnet", tmp_path / "b.onnx", fmt="qdq", prune=0.5, seed=3)
    c = testnets.make("resnet", tmp_path / "c.onnx", fmt="qdq", prune=0.5, seed=4)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    d = testnets.make("chain", tmp_path / "d.onnx", in_ch=1, hw=12, width=16, classes=5)
    assert testnets.input_shape(d) == (1, 12, 12)
    assert ort_session(d).run(None, {"input": testnets.random_input(d, n=1)})[0].shape == (1, 5)
    assert [len(w) for _, w, _ in conv_params(d)] == [16, 16, 32]


def test_random_input():
    x = testnets.random_input((3, 8, 8), n=4, seed=1)
    assert x.dtype == np.float32 and x.shape == (4, 3, 8, 8)
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.3
    assert np.array_equal(x, testnets.random_input((3, 8, 8), n=4, seed=1))
    assert not np.array_equal(x, testnets.random_input((3, 8, 8), n=4, seed=2))


@pytest.mark.parametrize("kwargs,word", [
    ({"kind": "lenet"}, "lenet"), ({"prune": 1.0}, "prune"), ({"prune": -0.1}, "prune"),
    ({"fmt": "qint"}, "qint"), ({"act_dtype": "int16"}, "int16"), ({"depth": 3}, "depth")])
def test_bad_arguments_are_user_errors(tmp_path, kwargs, word):
    args = {"kind": "chain", "path": tmp_path / "m.onnx", **kwargs}
    with pytest.raises(UserError, match=word):
        testnets.make(**args)
    assert not list(tmp_path.iterdir())
