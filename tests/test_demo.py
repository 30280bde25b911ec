"""The README's main job, end to end: three pruning levels built, simulated (C simulation and Verilator), compared."""
import json
import subprocess
import sys


def test_demo(tmp_path):
    """As the README runs it: a relative output folder (the Verilator bench runs in a folder of its own)."""
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "hlsgen", "demo", "-o", "demo"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads((out / "compare" / "compare.json").read_text())
    models = doc["models"]
    assert [m["model"] for m in models] == ["lenet-digits-p00", "lenet-digits-p50", "lenet-digits-p75"]
    cycles = [m["cycles"] for m in models]
    assert cycles[0] > cycles[1] > cycles[2], cycles
    for m in models:
        assert 0.9 < m["accuracy"] <= 1.0, m          # quantized model, held-out digits, golden model
    checks = json.loads((out / "compare" / "checks.json").read_text())
    assert [c["engine"] for c in checks] == ["csim", "csim", "verilator"]
    assert all(c["mismatches"] == 0 and c["samples"] > 0 for c in checks), checks
    assert abs(models[2]["cycles_rtl"] - cycles[2]) <= 0.02 * cycles[2]   # Verilator vs cycle model
    assert (out / "compare" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "bit-exact" in done.stdout and "compare.png" in done.stdout
