"""The RTL kernel's AXI4-Lite control block (templates/rtl/hlsgen_control.v) driven by cocotbext-axi's
AXI4-Lite master in Icarus Verilog: ap_ctrl_hs and the UG1393 register layout (sim/hlsgen_control_cocotb.py)."""
from __future__ import annotations

import os
import shutil

import pytest

from hlsgen import package_data

pytestmark = pytest.mark.hw

RUN = 20


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")
def test_control_registers_over_axi4_lite(tmp_path, monkeypatch):
    import cocotbext.axi  # noqa: F401 - the test extra brings it; the bench drives the block with it
    from cocotb_tools.runner import get_runner
    sim = package_data.testbench()
    sources = [package_data.templates() / "rtl" / "hlsgen_control.v"]
    runner = get_runner("icarus")
    runner.build(sources=[str(s) for s in sources], hdl_toplevel="hlsgen_control", build_dir=str(tmp_path),
                 always=True, log_file=str(tmp_path / "build.log"))
    monkeypatch.setenv("RUN", str(RUN))
    results = runner.test(hdl_toplevel="hlsgen_control", test_module="hlsgen_control_cocotb",
                          test_dir=str(sim), build_dir=str(tmp_path), results_xml=str(tmp_path / "results.xml"),
                          extra_env={"RUN": str(RUN)}, log_file=str(tmp_path / "sim.log"))
    from cocotb_tools.runner import get_results
    total, failed = get_results(results)
    assert total == 1 and failed == 0, (tmp_path / "sim.log").read_text()[-3000:]
    assert os.path.isfile(results)
