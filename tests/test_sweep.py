"""hlsgen sweep: every point equals 'hlsgen build' (on a real Dask scheduler and two worker processes),
failed points keep their reason, reruns resume, bad options exit 2, and no dask means in-process."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hlsgen
from hlsgen import cluster, sweep
from hlsgen.cli import main

TARGETS = ("alveo-u50", "alveo-u200", "zcu104")
BUDGETS = (24, 64)


@pytest.fixture(scope="module")
def models(testnet):
    return [testnet("chain", hw=8), testnet("resnet", prune=0.5)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs) -> None:
    """SIGTERM to each process group (workers first, then the scheduler they say goodbye to), SIGKILL
    after 10 s."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@contextlib.contextmanager
def dask_cluster(logs: Path):
    """A Dask scheduler and two single-thread workers, each its own process (group) on 127.0.0.1, started
    with the 'dask scheduler' and 'dask worker' commands; the workers import this checkout's hlsgen.
    Yields (address, processes); stops them on the way out, whatever happened."""
    from distributed import Client
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(hlsgen.__file__).parents[1])] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    address = f"tcp://127.0.0.1:{_free_port()}"
    procs = []

    def start(name, *args):
        with open(logs / f"{name}.log", "w") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], env=env, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=logs, start_new_session=True))
    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
              "--no-dashboard")
        for i in range(2):
            start(f"worker{i}", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                  "--no-nanny", "--local-directory", str(logs / f"w{i}"))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, procs
    finally:
        _stop(procs)


def _build_plan(model, target, budget, out) -> dict:
    assert main(["build", str(model), "--target", target, "--dsp-budget", str(budget), "-o", str(out)]) == 0
    return json.loads((out / "plan.json").read_text())


def test_sweep_on_a_dask_cluster_equals_build(models, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                    # relative paths from another working directory
    rel = [os.path.relpath(m, elsewhere) for m in models]
    (tmp_path / "dask").mkdir()
    with dask_cluster(tmp_path / "dask") as (address, procs):
        assert main(["sweep", *rel, "--targets", ",".join(TARGETS), "--dsp-budgets", ",".join(map(str, BUDGETS)),
                     "--scheduler", address, "-o", "sw"]) == 0
        assert all(p.poll() is None for p in procs)     # the cluster is still up: the sweep only connected
    assert all(p.poll() is not None for p in procs)     # and stopped now
    points = json.loads((elsewhere / "sw" / "sweep.json").read_text())["points"]
    assert len(points) == 2 * 3 * 2
    assert [(p["model"], p["target"], p["dsp_budget"]) for p in points] == \
        [(m.stem, t, b) for m in models for t in TARGETS for b in BUDGETS]
    for p in points:
        assert "error" not in p and set(sweep.FIELDS) <= set(p)
        d = _build_plan(Path(p["path"]), p["target"], p["dsp_budget"], tmp_path / "b")
        e, r = d["engine"], d["resources"]
        assert p["array"] == f"{e['pp']}x{e['po']}x{e['pi']}"
        assert p["cycles"] == d["total_cycles"] and p["fps"] == d["fps"] and p["latency_ms"] == d["latency_ms"]
        assert {k: p[k] for k in ("dsp", "lut", "bram36", "uram")} == {k: r[k] for k in ("dsp", "lut", "bram36", "uram")}
        assert (p["macs"], p["macs_live"]) == (d["macs"], d["macs_live"])
        conv = sum(x["macs"] for x in d["layers"] if x["op"] == "conv")
        assert p["efficiency"] == pytest.approx(conv / (e["macs_per_cycle"] * d["total_cycles"]), abs=1e-4)
    md = (elsewhere / "sw" / "sweep.md").read_text()
    assert md.count("| chain |") == 6 and "| * |" in md
    assert (elsewhere / "sw" / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failed_points_keep_their_reason(models, tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["sweep", str(models[0]), "--targets", "alveo-u200,alveo-u50", "--dsp-budgets", "4,16",
                 "--arrays", "1x4x4,2x8x8", "--workers", "1", "-o", str(out)]) == 0
    points = json.loads((out / "sweep.json").read_text())["points"]
    assert len(points) == 8
    failed = [p for p in points if "error" in p]
    # budget 4: no engine; 2x8x8 needs more than 16 DSPs
    assert {(p["dsp_budget"], p["array_option"]) for p in failed} == {(4, "1x4x4"), (4, "2x8x8"), (16, "2x8x8")}
    capsys.readouterr()
    for p in failed:
        assert "\n" not in p["error"]
        assert main(["build", str(models[0]), "--target", p["target"], "--dsp-budget", str(p["dsp_budget"]),
                     "--array", p["array_option"], "-o", str(tmp_path / "b")]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == f"hlsgen build: error: {p['error']}"
    ok = [p for p in points if "error" not in p]
    assert {p["array"] for p in ok} == {"1x4x4"} and all(p["cycles"] > 0 for p in ok)
    assert "Failed points:" in (out / "sweep.md").read_text()


def test_rerun_resumes(models, tmp_path, capsys):
    out = tmp_path / "sw"
    args = ["sweep", str(models[0]), "--targets", "alveo-u200", "--dsp-budgets", "16,32,64", "--workers", "1",
            "-o", str(out)]
    assert main(args) == 0
    first = json.loads((out / "sweep.json").read_text())["points"]
    # an interrupted sweep: one point missing, one that failed on an internal error
    left = [first[0], dict(first[2], error="internal error: KilledWorker: lost")]
    for k in sweep.FIELDS[4:]:
        left[1].pop(k)
    (out / "sweep.json").write_text(json.dumps({"points": left}))
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "1 of 3 points already in" in err
    assert json.loads((out / "sweep.json").read_text())["points"] == first
    # a finished sweep: nothing to plan
    assert main(args) == 0
    assert "3 of 3 points already in" in capsys.readouterr().err
    # a wider rerun keeps the points it already has
    assert main(args[:-2] + ["--targets", "alveo-u200,alveo-u50", "-o", str(out)]) == 0
    assert "3 of 6 points already in" in capsys.readouterr().err


@pytest.mark.parametrize("args,msg", [
    (["--targets", "alveo-u9000"], "--targets alveo-u9000: unknown target"),
    (["--arrays", "4x32"], "--arrays 4x32: expected PPxPOxPI"),
    (["--arrays", "3x32x24"], "--arrays 3x32x24: PI must be a power of two"),
    (["--dsp-budgets", "16,0"], "--dsp-budgets 16,0: '0' is not a positive number"),
    (["--dsp-budgets", "16,,32"], "--dsp-budgets 16,,32: expected a comma-separated list"),
    (["--workers", "0"], "--workers 0: must be at least 1"),
    (["--scheduler", "not an address"], "--scheduler not an address: expected a scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler tcp://127.0.0.1:1: cannot reach the scheduler"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers 2: the workers are the cluster's"),
])
def test_bad_options_exit_2(models, tmp_path, capsys, monkeypatch, args, msg):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    base = {"--targets": "alveo-u200", "--dsp-budgets": "16"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    out = tmp_path / "out"
    assert main(["sweep", str(models[0]), *[x for kv in base.items() for x in kv], "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"hlsgen sweep: error: {msg}"), err
    assert not out.exists()


def test_foreign_output_folder_is_refused(models, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("the user's")
    assert main(["sweep", str(models[0]), "--targets", "alveo-u200", "--dsp-budgets", "16", "-o", str(out)]) == 2
    assert "not written by hlsgen" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_without_dask_runs_in_process(models, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)       # import distributed -> ImportError
    out = tmp_path / "sw"
    assert main(["sweep", str(models[0]), "--targets", "alveo-u200", "--dsp-budgets", "16,64", "--workers", "2",
                 "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "dask" in line] == \
        ["hlsgen sweep: dask is not installed (pip install 'hlsgen[dask]'): running in this process"]
    assert len(json.loads((out / "sweep.json").read_text())["points"]) == 2


def test_pareto_front_and_plot(tmp_path):
    def pt(model, dsp, fps, target="t"):
        return {"model": model, "model_digest": "0", "target": target, "dsp_budget": dsp, "array_option": "auto",
                "dsp": dsp, "fps": fps}
    points = [pt("a", 16, 100.0), pt("a", 48, 90.0), pt("a", 48, 300.0, "u"), pt("a", 96, 300.0),
              pt("b", 96, 50.0), {**pt("b", 4, 0.0), "error": "too small"}]
    assert sweep.pareto(points) == {sweep.key(points[i]) for i in (0, 2, 4)}
    from hlsgen.report import sweep as report
    for p in points:
        p.update(array="1x4x4", cycles=1, latency_ms=0.1, lut=1, bram36=1, uram=0, macs=1, macs_live=1, efficiency=0.5)
    report.plot(points, sweep.pareto(points), tmp_path / "p.png")
    head = (tmp_path / "p.png").read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24])[0] > 600
