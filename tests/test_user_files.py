"""A user's machine stays safe: hlsgen writes only new folders, empty ones or its own (a manifest lists
its files), never deletes or overwrites what it did not write, works with relative paths from any
working directory, and a damaged build folder is one line naming the file (exit 2)."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from hlsgen.examples.testnets import random_input
from hlsgen.util import MANIFEST
from testkit import hlsgen, one_line_error


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def model(testnet, tmp_path_factory):
    d = tmp_path_factory.mktemp("user-files")
    path = testnet("chain", out=d / "chain.onnx")
    np.save(d / "x.npy", random_input(path, n=2))
    return path


def test_build_refuses_a_folder_it_did_not_write(model, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    before = listing(tmp_path)
    one_line_error(hlsgen("build", model, "-o", out), out, "not written by hlsgen")
    assert listing(tmp_path) == before and (out / "precious.txt").read_text() == "keep me"
    one_line_error(hlsgen("build", model, "-o", out / "precious.txt"), "precious.txt", "not a folder")


def test_a_folder_above_the_working_directory(model, tmp_path):
    """-o names a folder above the working directory: a user's folder is refused; hlsgen's own is
    rebuilt, and the working directory inside it with the user's file stays."""
    user = tmp_path / "user"
    (user / "inner").mkdir(parents=True)
    (user / "inner" / "precious").write_text("x")
    one_line_error(hlsgen("build", model, "-o", "..", cwd=user / "inner"), "not written by hlsgen")
    assert (user / "inner" / "precious").read_text() == "x"

    ours = tmp_path / "ours"
    assert hlsgen("build", model, "-o", ours).returncode == 0
    (ours / "inner").mkdir()
    (ours / "inner" / "precious").write_text("y")
    (ours / "kernel" / "my_notes.txt").write_text("z")        # a user's file inside a folder of ours
    p = hlsgen("build", model, "--array", "1x4x2", "-o", "..", cwd=ours / "inner")
    assert p.returncode == 0, p.stderr
    assert (ours / "inner" / "precious").read_text() == "y"
    assert (ours / "kernel" / "my_notes.txt").read_text() == "z"
    assert json.loads((ours / "plan.json").read_text())["engine"]["po"] == 4
    files = json.loads((ours / MANIFEST).read_text())["files"]
    assert "plan.json" in files and "inner/precious" not in files and "kernel/my_notes.txt" not in files


def test_rebuild_replaces_only_its_own_files(model, tmp_path):
    out = tmp_path / "proj"
    assert hlsgen("build", model, "--array", "1x4x2", "-o", out).returncode == 0
    p = hlsgen("simulate", out, "--engine", "csim", "--input", model.parent / "x.npy", "--output", tmp_path / "y.npy")
    assert p.returncode == 0, p.stderr
    exe = [f for f in json.loads((out / MANIFEST).read_text())["files"] if f.startswith("csim/")]
    assert len(exe) == 1 and (out / exe[0]).is_file()          # simulate lists what it added
    (out / "notes.md").write_text("mine")
    assert hlsgen("build", model, "--array", "1x8x2", "-o", out).returncode == 0
    assert not (out / exe[0]).exists() and not (out / "csim").exists()   # ours and stale: gone
    assert (out / "notes.md").read_text() == "mine"
    assert json.loads((out / "plan.json").read_text())["engine"]["po"] == 8
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".proj")]
    assert leftovers == []                                     # no temporary folder left beside it


def test_a_new_file_where_a_users_file_is(model, tmp_path):
    """hlsgen's folder where the user put a file at a path hlsgen now writes: refused, nothing changed."""
    out = tmp_path / "proj"
    assert hlsgen("build", model, "-o", out).returncode == 0
    files = json.loads((out / MANIFEST).read_text())["files"]
    files.remove("report.md")                                  # as if report.md were the user's
    (out / MANIFEST).write_text(json.dumps({"files": files}))
    (out / "report.md").write_text("my report")
    one_line_error(hlsgen("build", model, "-o", out), out / "report.md", "not written by hlsgen")
    assert (out / "report.md").read_text() == "my report"


def test_every_command_keeps_the_users_files(model, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.txt").write_text("a")
    user_file = tmp_path / "user.onnx"
    user_file.write_bytes(b"not ours")
    x = model.parent / "x.npy"
    one_line_error(hlsgen("compare", model, "-o", mine), mine)
    one_line_error(hlsgen("demo", "-o", mine), mine)
    one_line_error(hlsgen("example", "lenet-digits", "-o", user_file), "-o", user_file)
    one_line_error(hlsgen("simplify", model, "-o", user_file), "-o", user_file)
    one_line_error(hlsgen("run", model, "--input", x, "--output", user_file), "--output", user_file)
    assert hlsgen("build", model, "-o", tmp_path / "p").returncode == 0
    one_line_error(hlsgen("simulate", tmp_path / "p", "--engine", "tiled", "--input", x, "--output", user_file),
                   "--output", user_file)
    one_line_error(hlsgen("run", model, "--input", x, "--output", x), "--output")
    assert user_file.read_bytes() == b"not ours" and listing(mine) == ["a.txt"]


def test_outputs_hlsgen_wrote_are_replaced(model, tmp_path):
    x = model.parent / "x.npy"
    y = tmp_path / "y.npy"
    for _ in range(2):
        assert hlsgen("run", model, "--input", x, "--output", y).returncode == 0
    os.utime(y, ns=(0, 0))                                     # changed since: no longer taken for ours
    one_line_error(hlsgen("run", model, "--input", x, "--output", y), "--output", "changed since")


def test_relative_paths_from_another_folder(model, tmp_path):
    """build, run and the C simulation from a working directory elsewhere, with relative paths."""
    work = tmp_path / "work"
    (work / "elsewhere").mkdir(parents=True)
    (work / "m.onnx").write_bytes(model.read_bytes())
    (work / "x.npy").write_bytes((model.parent / "x.npy").read_bytes())
    here = work / "elsewhere"
    assert hlsgen("build", "../m.onnx", "-o", "../proj", cwd=here).returncode == 0
    p = hlsgen("simulate", "../proj", "--engine", "csim", "--input", "../x.npy", "--output", "../y-csim.npy", cwd=here)
    assert p.returncode == 0, p.stderr
    assert hlsgen("run", "../m.onnx", "--input", "../x.npy", "--output", "../y.npy", cwd=here).returncode == 0
    assert (work / "y-csim.npy").read_bytes() == (work / "y.npy").read_bytes()
    assert listing(here) == []


@pytest.fixture()
def project(model, tmp_path):
    out = tmp_path / "proj"
    assert hlsgen("build", model, "-o", out).returncode == 0
    return out


@pytest.mark.parametrize("engine", ["tiled", "csim", "verilator"])
def test_truncated_weights(project, model, tmp_path, engine):
    w = project / "weights.bin"
    w.write_bytes(w.read_bytes()[:-7])
    p = hlsgen("simulate", project, "--engine", engine, "--input", model.parent / "x.npy", "--output", tmp_path / "y.npy")
    one_line_error(p, w, "rebuild")
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize("damage", ["garbage", "key", "invocation", "missing", "format", "no format", "registers"])
def test_damaged_plan(project, model, tmp_path, damage):
    """A damaged plan.json, or one another hlsgen wrote (another plan format, none, another register map):
    one line naming the file."""
    path = project / "plan.json"
    data = json.loads(path.read_text())
    if damage in ("format", "no format", "registers"):
        if damage == "format":
            data["format"] += 1
        elif damage == "no format":
            del data["format"]
        else:
            data["registers"] = data["registers"][::-1]
        path.write_text(json.dumps(data))
    elif damage == "garbage":
        path.write_text(path.read_text()[:100])
    elif damage == "key":
        del data["invocations"]
        path.write_text(json.dumps(data))
    elif damage == "invocation":
        del data["invocations"][0]["kind"]
        path.write_text(json.dumps(data))
    else:
        path.unlink()
    for engine in ("tiled", "csim"):
        p = hlsgen("simulate", project, "--engine", engine, "--input", model.parent / "x.npy",
                   "--output", tmp_path / "y.npy")
        one_line_error(p, path)
    one_line_error(hlsgen("synth", project), path)


@pytest.mark.parametrize("damage, key", [("type", "total_cycles"), ("nested type", "engine.pi"),
                                         ("entry type", "compute_units[0].use.dsp"), ("unknown", "bogus"),
                                         ("nested unknown", "engine.bogus")])
def test_plan_key_errors(project, model, tmp_path, damage, key):
    """A plan.json value of the wrong type, or a key this hlsgen does not write: one line naming the file
    and the key (exit 2)."""
    path = project / "plan.json"
    data = json.loads(path.read_text())
    if damage == "type":
        data["total_cycles"] = "many"
    elif damage == "nested type":
        data["engine"]["pi"] = 1.5
    elif damage == "entry type":
        data["compute_units"][0]["use"]["dsp"] = None
    elif damage == "unknown":
        data["bogus"] = 1
    else:
        data["engine"]["bogus"] = 1
    path.write_text(json.dumps(data))
    p = hlsgen("simulate", project, "--engine", "tiled", "--input", model.parent / "x.npy",
               "--output", tmp_path / "y.npy")
    one_line_error(p, path, repr(key), "rebuild")
    assert not (tmp_path / "y.npy").exists()


def test_missing_sources(project, model, tmp_path):
    x, y = model.parent / "x.npy", tmp_path / "y.npy"
    (project / "rtl" / "hlsgen_engine.v").unlink()
    one_line_error(hlsgen("simulate", project, "--engine", "verilator", "--input", x, "--output", y),
                   project / "rtl" / "hlsgen_engine.v", "missing")
    one_line_error(hlsgen("synth", project), project / "rtl" / "hlsgen_engine.v", "missing")
    (project / "kernel" / "engine.cpp").unlink()
    one_line_error(hlsgen("simulate", project, "--engine", "csim", "--input", x, "--output", y),
                   project / "kernel" / "engine.cpp", "missing")
    assert not y.exists()


def test_edited_rtl_is_not_silently_replaced(project, model, tmp_path):
    v = project / "rtl" / "hlsgen_engine.v"
    v.write_text(v.read_text() + "// my edit\n")
    p = hlsgen("simulate", project, "--engine", "verilator", "--input", model.parent / "x.npy",
               "--output", tmp_path / "y.npy")
    one_line_error(p, v, "differs")
    assert v.read_text().endswith("// my edit\n")
