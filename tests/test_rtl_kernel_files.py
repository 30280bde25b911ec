"""The RTL kernel's build files (hlsgen build --kernel): kernel.xml describes the HLS kernel's arguments
in the same order at the control block's offsets, package_xo.tcl packages the Verilog hlsgen wrote, the
Makefile and connectivity link either kernel, and a plan the RTL kernel cannot run is refused clearly."""
from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from hlsgen import cli
from hlsgen.emit import rtl
from hlsgen.examples import testnets

from testkit import hlsgen, one_line_error


@pytest.fixture(scope="module")
def streamed(testnet, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rtl_kernel_files")
    model = testnet("resnet", prune=0.5)
    out = tmp / "out"
    assert cli.main(["build", str(model), "--dsp-budget", "32", "--weights", "streamed", "-o", str(out)]) == 0
    return model, out


def _hls_arguments(project) -> list:
    """The HLS kernel's parameters, in order, from kernel/engine.cpp's signature."""
    text = (project / "kernel" / "engine.cpp").read_text()
    start = text.index('extern "C" void hlsgen_engine(')
    sig = text[start:text.index(") {", start)]
    return [re.split(r"[\s*&]+", p.strip())[-1] for p in sig.split("(", 1)[1].split(",")]


def test_kernel_xml_has_the_hls_kernels_arguments(streamed):
    _, out = streamed
    kernel = ET.parse(out / "hw" / "kernel.xml").getroot().find("kernel")
    assert kernel.get("name") == rtl.KERNEL and kernel.get("hwControlProtocol") == "ap_ctrl_hs"
    args = kernel.find("args").findall("arg")
    assert [a.get("name") for a in args] == _hls_arguments(out)          # the host sets them by index
    assert [int(a.get("id")) for a in args] == list(range(len(args)))
    for a, off in zip(args[:3], (0x10, 0x18, 0x20)):                    # 64-bit buffer addresses
        assert (a.get("addressQualifier"), int(a.get("offset"), 16), int(a.get("size"), 16)) == ("1", off, 8)
        assert a.get("port") == "m_axi_" + a.get("name")
    # the command list and the bank step at the control block's offsets, in the host's argument sizes
    assert [(a.get("name"), int(a.get("offset"), 16), int(a.get("size"), 16), a.get("port")) for a in args[3:]] == [
        ("cmd_off", 0x28, 4, "s_axi_control"), ("n_cmds", 0x2C, 4, "s_axi_control"),
        ("bank_step", 0x30, 8, "s_axi_control")]
    control = (out / "rtl" / "hlsgen_control.v").read_text()
    assert "0x28 cmd_off, 0x2C n_cmds" in control and "0x30 bank_step" in control
    # the ports are the top module's, with its data widths
    top = (out / "rtl" / rtl.KERNEL_FILE).read_text()
    for p in kernel.find("ports").findall("port"):
        if p.get("mode") == "master":
            width = int(p.get("dataWidth"))
            assert re.search(rf"input\s+wire \[{width - 1}:0\] {p.get('name')}_rdata", top), p.get("name")


def test_package_script_and_makefile_link_the_rtl_kernel(streamed):
    """package_xo.tcl packages exactly the Verilog files hlsgen wrote; `make -n hw KERNEL_FLOW=rtl` runs it
    through Vivado and links with connectivity_rtl.cfg; the default flow stays the HLS kernel."""
    _, out = streamed
    hw = out / "hw"
    tcl = (hw / "package_xo.tcl").read_text()
    files = re.findall(r"\.\./rtl/(\S+\.v)", tcl)
    assert sorted(files) == sorted(p.name for p in rtl.kernel_sources(out))
    assert all((out / "rtl" / f).is_file() for f in files)
    assert f"-kernel_name {rtl.KERNEL}" in tcl and "-kernel_xml kernel.xml" in tcl
    conn = (hw / "connectivity_rtl.cfg").read_text()
    cus = json.loads((out / "plan.json").read_text())["compute_units"]
    names = [f"{rtl.KERNEL}_{i + 1}" for i in range(len(cus))]
    assert f"nk={rtl.KERNEL}:{len(cus)}:{'.'.join(names)}\n" in conn
    for name, cu in zip(names, cus):      # each CU in its SLR, its ports on the banks the plan gave it
        for line in (f"sp={name}.act_rd:{cu['act_sp']}", f"sp={name}.act_wr:{cu['act_sp']}",
                     f"sp={name}.wgt:{cu['wgt_bank']}", f"slr={name}:{cu['slr']}"):
            assert line + "\n" in conn
    rtl_flow = subprocess.run(["make", "-n", "-C", str(hw), "hw", "KERNEL_FLOW=rtl", "PLATFORM=p"],
                              capture_output=True, text=True)
    assert rtl_flow.returncode == 0, rtl_flow.stderr
    assert "vivado -mode batch" in rtl_flow.stdout and "--config connectivity_rtl.cfg" in rtl_flow.stdout
    hls_flow = subprocess.run(["make", "-n", "-C", str(hw), "hw", "PLATFORM=p"], capture_output=True, text=True)
    assert "v++ -c" in hls_flow.stdout and "--config connectivity.cfg" in hls_flow.stdout
    assert "vivado" not in hls_flow.stdout


def test_kernel_option(testnet, tmp_path):
    """--kernel: both (default) writes the HLS and the RTL kernel, also for resident weights (the RTL
    kernel then has the on-chip store); hls leaves the RTL kernel out; an unknown value is refused in one
    line, nothing written."""
    model = testnet("chain")
    one_line_error(hlsgen("build", model, "--kernel", "verilog", "-o", tmp_path / "v"), "--kernel verilog")
    assert not (tmp_path / "v").exists()
    assert hlsgen("build", model, "-o", tmp_path / "b").returncode == 0
    assert (tmp_path / "b" / "rtl" / rtl.KERNEL_FILE).is_file() and (tmp_path / "b" / "hw" / "kernel.xml").is_file()
    assert "hlsgen_store" in (tmp_path / "b" / "rtl" / rtl.KERNEL_FILE).read_text()      # resident: the store
    assert hlsgen("build", model, "--kernel", "hls", "-o", tmp_path / "h").returncode == 0
    assert not (tmp_path / "h" / "hw" / "kernel.xml").exists() and not (tmp_path / "h" / "rtl" / rtl.KERNEL_FILE).exists()
    assert (tmp_path / "h" / "rtl" / rtl.ENGINE_FILE).is_file()          # the twin is simulated all the same
    np.save(tmp_path / "x.npy", testnets.random_input(model, n=1))
    one_line_error(hlsgen("simulate", tmp_path / "h", "--engine", "rtl-kernel", "--input", tmp_path / "x.npy",
                          "--output", tmp_path / "y.npy"), rtl.KERNEL_FILE, "--kernel both")
    assert not (tmp_path / "y.npy").exists()
