"""cocotb test bench and simulation-only Verilog (package data: installed as hlsgen.testbench)."""
