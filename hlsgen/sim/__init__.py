"""Simulators of a built project: csim (the generated HLS C++ compiled with g++) and
verilator (the RTL twin under cocotb)."""
