"""Bad input through the real command line (``python -m hlsgen ...`` in a subprocess):
exit status 2, exactly one line on stderr naming the culprit, no traceback, no output file."""
from __future__ import annotations


import numpy as np
import onnx
import pytest
from onnx import helper

from hlsgen.examples.testnets import make, random_input
from testkit import hlsgen, one_line_error


@pytest.fixture(scope="session")
def models(testnet, tmp_path_factory):
    """A good quantized model, the same one broken in every way the frontend must catch, and inputs."""
    d = tmp_path_factory.mktemp("cli-errors")
    good = testnet("chain", out=d / "good.onnx")
    data = good.read_bytes()
    m = {"good": good, "folder": d}
    (d / "empty.onnx").write_bytes(b"")
    (d / "random.onnx").write_bytes(np.random.default_rng(0).bytes(3000))
    (d / "truncated.onnx").write_bytes(data[: len(data) // 2])
    (d / "text.onnx").write_text("ir_version: 8\nthis is not a model, just some text\n")

    def variant(name, edit):
        model = onnx.load(str(good))
        edit(model.graph)
        onnx.save(model, str(d / name))

    def softmax(g):
        out = g.output[0].name
        g.node[-1].output[0] = "logits_float"
        g.node.append(helper.make_node("Softmax", ["logits_float"], [out], name="probabilities", axis=1))

    def dynamic(g):
        for i, p in ((2, "H"), (3, "W")):
            g.input[0].type.tensor_type.shape.dim[i].dim_param = p

    def ghost(g):
        g.output.append(helper.make_tensor_value_info("ghost", onnx.TensorProto.FLOAT, ["N", 4]))

    variant("unsupported.onnx", softmax)
    variant("dynamic.onnx", dynamic)
    variant("ghost.onnx", ghost)
    for k in ("empty", "random", "truncated", "text", "unsupported", "dynamic", "ghost"):
        m[k] = d / f"{k}.onnx"
    m["missing"] = d / "missing.onnx"
    m["float"] = testnet("chain", out=d / "float.onnx", fmt="float")
    x = random_input(good, n=2)
    np.save(d / "x.npy", x)
    np.save(d / "x_shape.npy", x[:, :, :8])
    np.save(d / "x_rank.npy", x[0])
    np.save(d / "x_complex.npy", x.astype(np.complex64))
    np.save(d / "x_nan.npy", np.full_like(x, np.nan))
    (d / "x_text.npy").write_text("1 2 3\n")
    return m


MODEL_CASES = {
    "empty": ["empty file"],
    "random": ["not an ONNX model"],
    "truncated": ["not an ONNX model"],
    "text": ["a text file"],
    "unsupported": ["'probabilities'", "Softmax"],
    "dynamic": ["'input'", "dynamic", "static C, H, W"],
    "ghost": ["'ghost'", "produced by no node"],
    "missing": ["no such file"],
    "folder": ["is a folder"],
}


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_bad_model(models, tmp_path, case):
    model = models[case]
    p = hlsgen("run", model, "--input", models["folder"] / "x.npy", "--output", tmp_path / "y.npy")
    one_line_error(p, str(model), *MODEL_CASES[case])
    assert list(tmp_path.iterdir()) == []        # nothing written, not even a temporary file
    p = hlsgen("inspect", model)
    one_line_error(p, str(model), *MODEL_CASES[case])
    if case in ("unsupported", "dynamic"):    # a readable model: inspect lists its operators first
        assert p.stdout.startswith("operators:\n"), p.stdout
        assert ("NOT SUPPORTED" in p.stdout) == (case == "unsupported"), p.stdout
    else:
        assert p.stdout == ""


INPUT_CASES = {
    "x_missing.npy": ["no such file"],
    "x_text.npy": ["not a .npy file"],
    "x_shape.npy": ["shape (2, 3, 8, 16)", "(N, 3, 16, 16)"],
    "x_rank.npy": ["shape (3, 16, 16)"],
    "x_complex.npy": ["complex64"],
    "x_nan.npy": ["NaN"],
}


@pytest.mark.parametrize("case", sorted(INPUT_CASES))
def test_bad_input_batch(models, tmp_path, case):
    x = models["folder"] / case
    p = hlsgen("run", models["good"], "--input", x, "--output", tmp_path / "y.npy")
    one_line_error(p, str(x), *INPUT_CASES[case])
    assert list(tmp_path.iterdir()) == []


def test_bad_options(models, tmp_path):
    x = models["folder"] / "x.npy"
    p = hlsgen("run", models["good"], "--input", x, "--output", tmp_path / "no" / "y.npy")
    one_line_error(p, "--output", "does not exist")
    p = hlsgen("run", models["good"], "--input", x, "--output", tmp_path)
    one_line_error(p, "--output", "is a folder")
    p = hlsgen("run", models["float"], "--input", x, "--output", tmp_path / "y.npy")
    one_line_error(p, "float model", "--calibrate")
    p = hlsgen("run", models["float"], "--calibrate", tmp_path / "nowhere", "--input", x,
               "--output", tmp_path / "y.npy")
    one_line_error(p, "--calibrate", "nowhere")
    p = hlsgen("inspect", models["good"], "--calibrate", "random")
    one_line_error(p, "already quantized")
    assert list(tmp_path.iterdir()) == []


def test_run_through_the_real_command_line(models, tmp_path):
    from hlsgen.golden.reference import ort_run

    x = models["folder"] / "x.npy"
    p = hlsgen("run", models["good"], "--input", x, "--output", tmp_path / "y.npy")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    y, (want,) = np.load(tmp_path / "y.npy"), ort_run(models["good"], np.load(x))
    assert y.dtype == want.dtype and y.shape == want.shape and int((y != want).sum()) == 0
    assert sorted(f.name for f in tmp_path.iterdir()) == ["y.npy"]


def test_one_batch_rule(models, tmp_path):
    """A model exported with a static batch of 1 takes N images in run (each one inference), as
    simulate and compare do; the outputs equal onnxruntime's, image by image."""
    from hlsgen.golden.reference import ort_run

    model = onnx.load(str(models["good"]))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    model.graph.output[0].type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(model, str(tmp_path / "b1.onnx"))
    x = np.load(models["folder"] / "x.npy")
    assert len(x) == 2
    p = hlsgen("run", tmp_path / "b1.onnx", "--input", models["folder"] / "x.npy", "--output", tmp_path / "y.npy")
    assert p.returncode == 0, p.stderr
    y = np.load(tmp_path / "y.npy")
    want = np.concatenate([ort_run(tmp_path / "b1.onnx", x[i:i + 1])[0] for i in range(len(x))])
    assert y.shape == want.shape and int((y != want).sum()) == 0


def test_bad_calibration_folders(tmp_path):
    from hlsgen.errors import UserError
    from hlsgen.frontend.calibrate import calibration_data

    with pytest.raises(UserError, match="holds no .npy files"):
        calibration_data(tmp_path, (3, 4, 4))
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 4, 4), np.float32))
    np.save(tmp_path / "b.npy", np.zeros((3, 5, 4), np.float32))
    with pytest.raises(UserError, match=r"b.npy: float32 array of shape \(3, 5, 4\)"):
        calibration_data(tmp_path, (3, 4, 4))
    (tmp_path / "b.npy").unlink()
    np.save(tmp_path / "c.npy", np.ones((3, 4, 4), np.float64))    # one sample, cast to float32
    x = calibration_data(tmp_path, (3, 4, 4))
    assert x.shape == (3, 3, 4, 4) and x.dtype == np.float32


def test_several_outputs_go_to_an_npz(tmp_path):
    """A model with two dequantized outputs: .npy is refused before running, .npz holds both."""
    from hlsgen.cli import main as cli
    from hlsgen.golden.reference import ort_run

    model = onnx.load(str(make("chain", tmp_path / "m.onnx")))
    g = model.graph
    first_q = next(n for n in g.node if n.op_type == "QuantizeLinear")
    g.node.append(helper.make_node("DequantizeLinear", [first_q.output[0], *first_q.input[1:]], ["x_again"],
                                   name="dq_again"))
    g.output.append(helper.make_tensor_value_info("x_again", onnx.TensorProto.FLOAT, ["N", 3, 16, 16]))
    onnx.save(model, str(tmp_path / "two.onnx"))
    x = random_input(tmp_path / "two.onnx", n=2)
    np.save(tmp_path / "x.npy", x)
    args = ["run", str(tmp_path / "two.onnx"), "--input", str(tmp_path / "x.npy"), "--output"]
    assert cli(args + [str(tmp_path / "y.npy")]) == 2 and not (tmp_path / "y.npy").exists()
    assert cli(args + [str(tmp_path / "y.npz")]) == 0
    got = np.load(tmp_path / "y.npz")
    want = ort_run(tmp_path / "two.onnx", x)
    assert sorted(got.files) == sorted(o.name for o in g.output)
    for out, w in zip(g.output, want):
        assert got[out.name].shape == w.shape and int((got[out.name] != w).sum()) == 0


@pytest.mark.parametrize("n", ["0", "4"])
def test_compute_units_out_of_range(models, tmp_path, n):
    """alveo-u200 has three SLRs: --compute-units takes 1 to 3; nothing is written."""
    p = hlsgen("build", models["good"], "--target", "alveo-u200", "--compute-units", n, "-o", tmp_path / "out")
    one_line_error(p, f"--compute-units {n}", "1 to 3")
    assert list(tmp_path.iterdir()) == []


def test_epilogue_lanes_not_dividing_the_array(models, tmp_path):
    """--epilogue-lanes must be at least PI and divide PP x PO: one line naming the option; nothing written."""
    p = hlsgen("build", models["good"], "--array", "2x8x8", "--epilogue-lanes", "12", "-o", tmp_path / "out")
    one_line_error(p, "--epilogue-lanes 12", "at least PI and divide PP x PO")
    assert list(tmp_path.iterdir()) == []
