"""cocotb bench: play a plan's invocation list on the RTL twin (hlsgen_tb_top).

The job file (``HLSGEN_SIM_JOB``, written by hlsgen.sim.verilator) names the
memory images of every sample and holds each invocation's register words. Per
sample: load the images in bulk, then per invocation write the registers that
changed, pulse start, wait for the rising edge of done and read the cycle
counter; finally dump the activation memory. Results go to the job's
``results`` file.
"""
import json
import os
import shutil

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer


async def _pulse(signal):
    signal.value = 1
    await Timer(1, unit="ns")
    signal.value = 0
    await Timer(1, unit="ns")


@cocotb.test()
async def play(dut):
    job = json.loads(open(os.environ["HLSGEN_SIM_JOB"]).read())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.reg_we.value = 0
    dut.start.value = 0
    dut.load.value = 0
    dut.dump.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    cycles = []
    for sample in job["samples"]:
        shutil.copyfile(sample["act_in"], "act_in.hex")
        shutil.copyfile(job["wgt_in"], "wgt_in.hex")
        await _pulse(dut.load)
        written = {}
        per = []
        for words in job["registers"]:
            await RisingEdge(dut.clk)
            for addr, value in enumerate(words):
                if written.get(addr) != value:
                    dut.reg_we.value = 1
                    dut.reg_addr.value = addr
                    dut.reg_wdata.value = value
                    written[addr] = value
                    await RisingEdge(dut.clk)
            dut.reg_we.value = 0
            dut.start.value = 1
            await RisingEdge(dut.clk)
            dut.start.value = 0
            await RisingEdge(dut.done)
            per.append(int(dut.cycles.value))
        await _pulse(dut.dump)
        shutil.copyfile("act_out.hex", sample["act_out"])
        cycles.append(per)
    with open(job["results"], "w") as f:
        json.dump({"cycles": cycles}, f)
