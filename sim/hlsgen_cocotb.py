"""cocotb bench: play a plan's invocation list on the RTL twin (hlsgen_tb_top), or on the RTL kernel
(hlsgen_kernel_tb: one kernel run of one command each, the commands in its weight memory).

The job file (``HLSGEN_SIM_JOB``, written by hlsgen.sim.verilator) names the
memory images of every sample and holds each invocation's register words (the
plan's preload list, played once before the first frame, then the frame's
invocations). Per sample: load the images in bulk, then per invocation hand the register image
to the top's host (it writes the words that changed over the register bus and
starts the engine), wait for the rising edge of done and read the cycle
counter; finally dump the activation memory. Results go to the job's
``results`` file.
"""
import json
import os
import shutil

import cocotb
from cocotb.triggers import First, RisingEdge, Timer


async def _pulse(signal):
    signal.value = 1
    await Timer(1, unit="ns")
    signal.value = 0
    await Timer(1, unit="ns")


@cocotb.test()
async def play(dut):
    job = json.loads(open(os.environ["HLSGEN_SIM_JOB"]).read())
    # one integer per invocation: its register words, word 0 in the low bits
    images = [sum(w << (32 * i) for i, w in enumerate(words)) for words in job["registers"]]
    preload = [sum(w << (32 * i) for i, w in enumerate(words)) for words in job["preload"]]
    dut.host_go.value = 0
    dut.load.value = 0
    dut.dump.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    cycles, preload_cycles = [], []
    for s, sample in enumerate(job["samples"]):
        shutil.copyfile(sample["act_in"], "act_in.hex")
        shutil.copyfile(job["wgt_in"], "wgt_in.hex")
        await _pulse(dut.load)
        per = []
        runs = list(range(len(preload))) if s == 0 else []      # resident weights: preload once per model
        runs += range(len(preload), len(preload) + len(images))
        for k in runs:
            if job.get("kernel"):          # the RTL kernel: a run of command k (its list in the weight memory)
                dut.host_cmd.value = job["commands"][k]
                dut.host_n.value = 1
            else:                          # the engine: command k's register image
                dut.host_regs.value = (preload + images)[k]
            dut.host_go.value = 1
            await RisingEdge(dut.clk)
            dut.host_go.value = 0
            ended = RisingEdge(dut.done)    # a run that never ends fails instead of hanging the simulator
            if await First(ended, Timer(job.get("run_limit_ns", 10 ** 8), unit="ns")) is not ended:
                raise AssertionError(f"run {k}: not done within {job.get('run_limit_ns', 10 ** 8)} ns")
            per.append(int(dut.cycles.value))
            if job.get("kernel"):          # the RTL kernel's status register: no write lost
                assert int(dut.status.value) == 0, f"invocation {len(per) - 1}: status {int(dut.status.value)}"
        if s == 0:
            preload_cycles, per = per[:len(preload)], per[len(preload):]
        await _pulse(dut.dump)
        shutil.copyfile("act_out.hex", sample["act_out"])
        cycles.append(per)
    with open(job["results"], "w") as f:
        json.dump({"cycles": cycles, "preload": preload_cycles}, f)
