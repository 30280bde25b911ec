"""Static units of the RTL engine alone in Verilator under cocotb (sim/hlsgen_units_cocotb.py): the
delay line and the MAC array, at a few parameter sets, checked in plain Python."""
from __future__ import annotations

import pytest

from hlsgen import package_data
from hlsgen.emit import rtl
from hlsgen.sim import verilator

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("unit,params,leaves", [
    ("hlsgen_delay", {"W": 8, "N": 1}, ()),
    ("hlsgen_delay", {"W": 13, "N": 11}, ()),
    ("hlsgen_mac_array", {"PP": 2, "PO": 4, "PI": 4}, ("hlsgen_mac_pair.v",)),
    ("hlsgen_mac_array", {"PP": 1, "PO": 2, "PI": 8}, ("hlsgen_mac_pair.v",)),
])
def test_unit_alone(tmp_path, unit, params, leaves):
    from cocotb_tools.runner import get_results, get_runner
    verilator.verilator_env()
    sources = [rtl.TEMPLATES / f"{unit}.v"] + [rtl.TEMPLATES / s for s in leaves]
    runner = get_runner("verilator")
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=unit, build_dir=str(tmp_path), parameters=params,
                 build_args=["-Wno-fatal"], always=True, log_file=str(tmp_path / "build.log"))
    env = {"UNIT": unit, **{k: str(v) for k, v in params.items()}}
    results = runner.test(hdl_toplevel=unit, test_module="hlsgen_units_cocotb", test_dir=str(package_data.testbench()),
                          build_dir=str(tmp_path), results_xml=str(tmp_path / "results.xml"), extra_env=env,
                          log_file=str(tmp_path / "sim.log"))
    total, failed = get_results(results)
    assert total >= 1 and failed == 0, (tmp_path / "sim.log").read_text()[-3000:]
