"""hlsgen simplify on the command line: formats, nothing to prune, bad paths, float models."""
import numpy as np
import onnx
import pytest

from hlsgen.cli import main as cli
from hlsgen.examples import testnets
from hlsgen.frontend import load
from hlsgen.prune import analyze, compact, compact_with
from hlsgen.prune.onnx_export import bias_foldable
from hlsgen.golden.reference import ort_run


def _initializer_elements(path):
    return sum(int(np.prod(t.dims)) for t in onnx.load(str(path)).graph.initializer)


def _node_ops(path):
    return sorted(n.op_type for n in onnx.load(str(path)).graph.node)


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_output_keeps_the_input_format_and_gets_smaller(testnet, fmt, tmp_path, capsys):
    path = testnet("resnet", out=tmp_path / "m.onnx", fmt=fmt, per_channel=True, prune=0.5)
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(path), "-o", str(out)]) == 0
    assert _node_ops(out) == _node_ops(path)
    assert _initializer_elements(out) < _initializer_elements(path)
    assert "removed" in capsys.readouterr().err
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(path, x)[0]).sum()) == 0


def test_nothing_pruned_gives_an_equivalent_model_and_says_so(testnet, tmp_path, capsys):
    path = testnet("chain", out=tmp_path / "m.onnx", prune=0.0)
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(path), "-o", str(out)]) == 0
    assert "nothing to remove" in capsys.readouterr().err
    assert _initializer_elements(out) == _initializer_elements(path)
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(path, x)[0]).sum()) == 0


def test_unwritable_output_exits_2_and_leaves_nothing(testnet, tmp_path, capsys):
    path = testnet("chain", out=tmp_path / "m.onnx", prune=0.5)
    assert cli(["simplify", str(path), "-o", str(tmp_path / "no" / "such" / "dir" / "s.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err
    assert cli(["simplify", str(path), "-o", str(tmp_path)]) == 2      # a folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_bad_model_exits_2(testnet, tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_text("not a model\n")
    assert cli(["simplify", str(bad), "-o", str(tmp_path / "s.onnx")]) == 2
    assert "bad.onnx" in capsys.readouterr().err
    assert not (tmp_path / "s.onnx").exists()
    float_model = testnet("chain", out=tmp_path / "f.onnx", fmt="float")
    assert cli(["simplify", str(float_model), "-o", str(tmp_path / "s.onnx")]) == 2
    assert "--calibrate" in capsys.readouterr().err
    assert not (tmp_path / "s.onnx").exists()


def test_float_model_quantized_on_the_way_in_is_written_as_qdq(testnet, tmp_path):
    path = testnet("chain", out=tmp_path / "f.onnx", fmt="float", prune=0.5)
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(path), "--calibrate", "random", "-o", str(out)]) == 0
    ops = _node_ops(out)
    assert "DequantizeLinear" in ops and "QLinearConv" not in ops
    # the reference is the same quantization of the float model, unsimplified
    q = tmp_path / "q.onnx"
    from hlsgen.frontend.calibrate import quantize_float_model
    from hlsgen.frontend.model_file import interface, read
    name, shape, _ = interface(read(path), path)
    quantize_float_model(path, q, "random", path, name, shape)
    assert _initializer_elements(out) < _initializer_elements(q)
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(q, x)[0]).sum()) == 0


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_unnamed_nodes_are_found_by_the_tensors_they_write(testnet, fmt, tmp_path):
    path = testnet("resnet", out=tmp_path / "m.onnx", fmt=fmt, prune=0.5, zero_bias=False)
    model = onnx.load(str(path))
    for node in model.graph.node:
        node.name = ""
    unnamed = tmp_path / "unnamed.onnx"
    onnx.save(model, str(unnamed))
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(unnamed), "-o", str(out)]) == 0
    assert _initializer_elements(out) < _initializer_elements(path)
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(path, x)[0]).sum()) == 0


@pytest.mark.parametrize("fmt", ["qop", "qdq"])
def test_reshape_with_an_explicit_size_gets_the_live_size(testnet, fmt, tmp_path):
    path = testnet("chain", out=tmp_path / "m.onnx", fmt=fmt, prune=0.5)
    model = onnx.load(str(path))
    (flat,) = [n for n in model.graph.node if n.op_type == "Flatten"]
    flat.op_type, flat.name = "Reshape", ""
    del flat.attribute[:]
    flat.input.append("flat_shape")
    g = load(path)
    size = next(g.tensor(layer.outputs[0]).channels for layer in g.layers if layer.op == "flatten")
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array([-1, size], np.int64), "flat_shape"))
    reshaped = tmp_path / "reshaped.onnx"
    onnx.save(model, str(reshaped))
    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(reshaped), "-o", str(out)]) == 0
    (shape,) = [onnx.numpy_helper.to_array(t) for t in onnx.load(str(out)).graph.initializer
                if t.name.startswith("flat_shape")]
    assert 0 < shape[1] < size
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(path, x)[0]).sum()) == 0


def test_a_consumer_without_a_bias_keeps_the_constants_it_cannot_fold(testnet, tmp_path, capsys):
    """QLinearMatMul has no bias input: constant channels reaching it stay in the export."""
    path = testnet("chain", out=tmp_path / "m.onnx", fmt="qop", prune=0.5, zero_bias=False)
    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    (k, gemm), = [(i, n) for i, n in enumerate(model.graph.node) if n.op_type == "QGemm"]
    a, a_s, a_zp, w, w_s, w_zp, _bias, y_s, y_zp = gemm.input
    wt = np.ascontiguousarray(onnx.numpy_helper.to_array(inits[w]).T)
    model.graph.initializer.append(onnx.numpy_helper.from_array(wt, "w_t"))
    matmul = onnx.helper.make_node("QLinearMatMul", [a, a_s, a_zp, "w_t", w_s, w_zp, y_s, y_zp],
                                   list(gemm.output), name=gemm.name)
    model.graph.node.remove(gemm)
    model.graph.node.insert(k, matmul)
    mm = tmp_path / "matmul.onnx"
    onnx.save(model, str(mm))
    _, report = compact(load(mm))
    assert report["totals"]["channels_folded"] > 0       # the IR can fold into its (zero) bias

    out = tmp_path / "s.onnx"
    assert cli(["simplify", str(mm), "-o", str(out)]) == 0
    exported = compact_with(load(mm), analyze(load(mm), foldable=bias_foldable(onnx.load(str(mm)))))[1]
    assert exported["totals"]["channels_folded"] == 0
    assert exported["totals"]["channels_kept"] > report["totals"]["channels_kept"]
    assert f"{exported['totals']['channels_kept']} pruned channel(s) kept" in capsys.readouterr().err
    x = testnets.random_input(path, n=3)
    assert int((ort_run(out, x)[0] != ort_run(mm, x)[0]).sum()) == 0
    assert _initializer_elements(out) < _initializer_elements(mm)
