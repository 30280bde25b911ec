"""What Vitis HLS, v++ and XRT document and a test can see without the tools (docs/ENGINE.md section 6):
the two-products-per-DSP packing exact on every operand triple, the kernel in C++14, the build files'
HLS entry point, and the XRT host's memory indices and checked waits."""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from hlsgen import cli
from hlsgen.emit import hls
from hlsgen.examples import testnets
from hlsgen.sim import csim

pytestmark = pytest.mark.hw

HERE = Path(__file__).parent
ENGINE = dict(pi=8, po=16, pp=2, tile_words=256, w_rows=32, max_rows=8, max_cols=8, max_cw=4, max_groups=4,
              act_bytes=1 << 16, wgt_bytes=1 << 16, t_words=2, mul=True)


@pytest.fixture(scope="module", params=["streamed", "resident"])
def kernel(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    hls.render_kernel(dict(ENGINE, w_line_bytes=128 if request.param == "resident" else 0), folder)
    return folder / "kernel"


def test_dsp_pack_exact_on_every_triple(kernel, tmp_path):
    """mul2 (dsp_pack.h): a*b and a*c from one 27 x 18 multiply, for every a in -128..255 (int8 and uint8
    activations) and every int8 pair b, c: 384 * 2^16 triples, all int8 triples among them."""
    exe = tmp_path / "pack"
    subprocess.run(csim.compile_command([HERE / "csim_dsp_pack.cpp"], exe, [kernel], csim.KERNEL_CXXFLAGS),
                   check=True)
    done = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == f"{384 * 256 * 256} triples exact", done.stdout


def test_mac_array_packs_two_products_per_dsp(kernel):
    text = (kernel / "mac_array.h").read_text()
    assert "mul2(" in text and "* w[" not in text


def test_kernel_code_is_cxx14(kernel):
    """Every kernel file compiles as C++14 (UG1399's language standard) with -Wpedantic -Werror, and the
    build files compile it so."""
    for f in sorted(kernel.iterdir()):
        cmd = [csim.CXX, "-x", "c++", "-fsyntax-only", *csim.KERNEL_CXXFLAGS, "-Wpedantic",
               "-isystem", str(csim.ap_include()), f"-I{kernel}", str(f)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 0, f"{f.name}: {done.stderr}"
    assert "-std=c++14" in csim.KERNEL_CXXFLAGS


def _fake_tool(folder: Path, name: str) -> None:
    tool = folder / name
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("have_vitis_run", [True, False])
def test_make_hls_runs_the_tcl_flow(tmp_path, have_vitis_run):
    """`make hls` (an alias of csynth) runs hls.tcl through vitis-run --mode hls --tcl, or vitis_hls -f where
    vitis-run is absent; the kernel is compiled as C++14 by hls.tcl and v++."""
    project = tmp_path / "p"
    model = testnets.make("chain", tmp_path / "c.onnx", fmt="qop")
    assert cli.main(["build", str(model), "--dsp-budget", "64", "-o", str(project)]) == 0
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    if have_vitis_run:
        _fake_tool(bin_, "vitis-run")
    env = dict(os.environ, PATH=f"{bin_}{os.pathsep}/usr/bin{os.pathsep}/bin")
    done = subprocess.run(["make", "-n", "-C", str(project / "hw"), "hls"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    want = "vitis-run --mode hls --tcl hls.tcl" if have_vitis_run else "vitis_hls -f hls.tcl"
    assert want in done.stdout
    hw = project / "hw"
    assert 'add_files ../kernel/engine.cpp -cflags "-I../kernel -std=c++14"' in (hw / "hls.tcl").read_text()
    assert 'kernel_flags="-std=c++14"' in (hw / "Makefile").read_text()


def test_xrt_host_reads_memories_from_the_xclbin(tmp_path):
    """The XRT backend allocates each buffer in a memory its kernel argument is connected to (read from the
    xclbin), never by group_id arithmetic, and checks every run's state with a timeout. (The declarations
    in templates/host/xrt_decl omit xrt::kernel::group_id, so the -fsyntax-only compile in
    test_csim_net.py fails if it comes back.)"""
    hls.render("host/device_xrt.cpp", hls.kernel_context(ENGINE), tmp_path / "device_xrt.cpp")
    text = (tmp_path / "device_xrt.cpp").read_text()
    assert "group_id" not in text.split("#include")[-1]
    assert ".get_mems()" in text and "get_index()" in text
    assert "run.wait(RUN_TIMEOUT)" in text and "ERT_CMD_STATE_COMPLETED" in text and "run.abort()" in text
    assert "run.wait();" not in text
    # each compute unit's memories from its own connections, its kernel object opened on it by name
    assert "get_cus()" in text and 'kernel + ":{"' in text


# --- The kernel's structure, read from the generated C++ (a small parser, not a compiler) -------------

AXI_PORTS = ("act_rd", "act_wr", "wgt", "src")   # m_axi pointers (src: the weight lines, the port or the store)
PROCESS_CALL = re.compile(r"^\s*(\w+)\(", re.M)


def _kernel_text(folder: Path) -> str:
    text = "\n".join(f.read_text() for f in sorted(folder.iterdir()))
    return re.sub(r"//[^\n]*", "", text)   # comments out: they may name what they explain


def _block(text: str, open_at: int) -> str:
    """The text between the brace at OPEN_AT and its match."""
    depth = 0
    for k in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[open_at + 1:k]
    raise AssertionError("unbalanced braces")


def _functions(text: str) -> dict:
    """name -> (parameter list, body) of every function defined in TEXT."""
    out = {}
    for m in re.finditer(r"\n(?:inline |extern \"C\" |static )*[\w:<>]+ (\w+)\(([^)]*)\)\s*\{", text):
        out[m.group(1)] = (m.group(2), _block(text, m.end() - 1))
    return out


def _loops(text: str):
    """(header, pragmas, body) of every for loop; body is '' for a loop without braces."""
    for m in re.finditer(r"for \(([^;]*);([^;]*);([^)]*)\)\s*(\{)?", text):
        after = text[m.end():]
        pragmas = re.match(r"(\s*#pragma HLS[^\n]*)*", after).group(0)
        yield m.group(2), pragmas, _block(text, m.end() - 1) if m.group(4) else ""


def test_dataflow_processes_called_once_with_registers_by_value(kernel):
    """UG1399 dataflow: each process called once in the region; the registers reach every process by value
    (a struct shared by reference between processes fails the dataflow checks)."""
    funcs = _functions(_kernel_text(kernel))
    regions = {name: body for name, (_, body) in funcs.items() if "#pragma HLS DATAFLOW" in body}
    assert regions, "no dataflow region"
    for name, body in regions.items():
        calls = [c for c in PROCESS_CALL.findall(body) if c in funcs]
        assert calls and len(calls) == len(set(calls)), (name, calls)
        for c in calls:
            params = funcs[c][0]
            assert "Regs &" not in params and "INLINE off" in funcs[c][1], (c, params)


def test_one_instance_of_each_unit(kernel):
    """Every call site of a function is its own hardware: the conv's units are called from one site each."""
    text = _kernel_text(kernel)
    for unit in ("load_tile", "load_weights", "feed_weights", "mac_pixels", "epilogue", "write_outputs",
                 "conv_groups", "conv_layer", "pool_layer", "add_layer"):
        sites = re.findall(rf"\b{unit}\(", text)
        assert len(sites) - 1 == (2 if unit == "load_tile" else 1), (unit, len(sites) - 1)   # minus the definition


def test_one_axi_access_per_pipelined_iteration(kernel):
    """A pipelined iteration reads or writes each m_axi port at most once, never in an unrolled inner loop
    (two accesses of one bundle per iteration force II >= 2 and split its bursts; the output rows go
    through a row buffer, the residual through a row buffer, add's operand a through a chunk buffer)."""
    pipelined = [(cond, body) for cond, pragmas, body in _loops(_kernel_text(kernel)) if "PIPELINE" in pragmas]
    assert len(pipelined) >= 8
    for cond, body in pipelined:
        for port in AXI_PORTS:
            reads = re.findall(rf"\b{port}\[", body)
            assert len(reads) <= 1, (cond, port)
            inner = [b for _, _, b in _loops(body)]
            assert not any(re.search(rf"\b{port}\[", b) for b in inner), (cond, port)


def test_variable_loops_have_tripcounts(kernel):
    """A loop whose bound is a register needs LOOP_TRIPCOUNT for the latency reports (UG1399); loops over
    the engine's constants are unrolled or have a fixed count."""
    constant = re.compile(r"^[A-Z_0-9]+$|^\d+$")
    for cond, pragmas, _ in _loops(_kernel_text(kernel)):
        names = re.findall(r"[A-Za-z_][\w.]*", cond.split("<", 1)[-1])
        if all(constant.match(n) or n in ("int", "uint32_t") for n in names):
            continue
        assert "LOOP_TRIPCOUNT" in pragmas, cond


FOR = re.compile(r"for \(([^;]*);([^;]*);([^)]*)\)\s*(\{)?")


def _top_loops(body: str):
    """(header, body) of the loops of BODY that are not inside another of its loops."""
    k = 0
    while (m := FOR.search(body, k)):
        if m.group(4):
            inner = _block(body, m.end() - 1)
            k = m.end() + len(inner) + 1
        else:                                   # a loop without braces: its statement up to the ';'
            end = body.index(";", m.end())
            inner, k = body[m.end():end + 1], end + 1
        yield m.group(1) + ";" + m.group(2) + ";" + m.group(3), inner


def _trip_count(header: str, consts: dict) -> int:
    """The trip count of `for (int v = 0; v < BOUND; ++v)`, BOUND a number or an engine constant."""
    m = re.fullmatch(r"\s*int (\w+) = 0;\s*\1 < (\w+);\s*\+\+\1\s*", header)
    assert m, f"not a constant loop: {header}"
    return int(consts.get(m.group(2), m.group(2)))


def _instances(body: str, call: str, consts: dict) -> int:
    """Copies of CALL that one iteration of a pipelined loop with BODY instantiates: a loop inside a
    pipelined loop is unrolled (UG1399), so each call in it is replicated by its trip count."""
    outside = body
    n = 0
    for header, inner in _top_loops(body):
        n += _trip_count(header, consts) * _instances(inner, call, consts)
        outside = outside.replace(inner, "", 1)
    return n + len(re.findall(rf"\b{call}\(", outside))


def _epilogue_lanes(kernel_dir: Path) -> int:
    """The requantizers (and add units) the epilogue's pipelined loop instantiates."""
    text = _kernel_text(kernel_dir)
    consts = dict(re.findall(r"const int (\w+) = (\d+);", text))
    _, body = _functions(text)["epilogue"]
    counts = [(_instances(b, "requant", consts), _instances(b, "add_fma", consts))
              for _, pragmas, b in _loops(body) if "PIPELINE" in pragmas and "requant(" in b]
    assert len(counts) == 1, counts
    (requants, adds), = counts
    assert requants == adds, (requants, adds)
    return requants


@pytest.mark.parametrize("array,lanes", [("2x8x8", 8), ("4x8x4", 8), ("3x8x4", 12), ("2x8x8", None)])
def test_epilogue_instantiates_its_lanes(tmp_path, testnet, array, lanes):
    """ENGINE.md section 1, "Epilogue lanes": the epilogue's pipelined loop unrolls E lanes, not PP x PO
    (--epilogue-lanes pins E below PP x PO: NC = 2 or 4 passes, and 3 x 8 with 12 lanes, whose passes
    split a pixel lane's channels); by default (E = PP x PO on this small net) one lane per output."""
    model = testnet("resnet")
    pin = ["--epilogue-lanes", str(lanes)] if lanes else []
    out = tmp_path / "out"
    assert cli.main(["build", str(model), "--dsp-budget", "400", "--array", array, *pin, "-o", str(out)]) == 0
    engine = json.loads((out / "plan.json").read_text())["engine"]
    pp, po = engine["pp"], engine["po"]
    assert engine["epilogue_lanes"] == (lanes or pp * po)
    assert _epilogue_lanes(out / "kernel") == engine["epilogue_lanes"]
    assert f"const int EPI_PASSES = {pp * po // engine['epilogue_lanes']};" in (out / "kernel" / "engine.h").read_text()


def test_epilogue_lanes_default_to_one_per_output(kernel):
    """An engine given without E (render_kernel) has one epilogue lane per output: PP x PO."""
    assert _epilogue_lanes(kernel) == ENGINE["pp"] * ENGINE["po"]
