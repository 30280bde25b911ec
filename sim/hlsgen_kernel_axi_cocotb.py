"""cocotb bench of the RTL kernel (OUT/rtl/hlsgen_rtl.v) as its own top, with cocotbext-axi on every
interface: an AxiLiteMaster drives s_axi_control as XRT would (arguments, the command list's offset and
length, ap_start, polling ap_done), AxiRamRead on m_axi_act_rd and AxiRamWrite on m_axi_act_wr share one
activation memory, AxiRamRead serves m_axi_wgt (weights.bin and the command list). The job file
(``HLSGEN_SIM_JOB``) names the memory images (.npy) and the runs (command offset, count); per run the
bench records the cycles and run-cycles registers and checks the status register; at the end it saves
the activation memory."""
import json
import mmap
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiRamRead, AxiRamWrite, AxiReadBus, AxiWriteBus

CTRL, ARGS, CMD, N, STAT = 0x00, 0x10, 0x28, 0x2C, 0x38
AP_START, AP_DONE = 1, 2


async def _rd(axil, addr):
    return int.from_bytes((await axil.read(addr, 4)).data, "little")


async def _wr(axil, addr, value):
    await axil.write(addr, int(value).to_bytes(4, "little"))


def _bus(cls, dut, prefix):
    """cocotbext-axi's bus of PREFIX without the optional signals the kernel does not have (IDs, user,
    cache...): left as None attributes they would be driven as if present."""
    bus = cls.from_prefix(dut, prefix)
    for channel in vars(bus).values():
        for name, value in list(vars(channel).items()):
            if value is None:
                delattr(channel, name)
    return bus


def _memory(image):
    m = mmap.mmap(-1, len(image))
    m.write(image.tobytes())
    return m


@cocotb.test()
async def kernel_over_axi(dut):
    with open(os.environ["HLSGEN_SIM_JOB"]) as f:
        job = json.load(f)
    act_image, wgt_image = np.load(job["act_in"]), np.load(job["wgt_in"])
    act, wgt = _memory(act_image), _memory(wgt_image)
    cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, dut.ap_rst_n,
                         reset_active_level=False)
    AxiRamRead(_bus(AxiReadBus, dut, "m_axi_act_rd"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False,
               size=len(act_image), mem=act)
    AxiRamWrite(_bus(AxiWriteBus, dut, "m_axi_act_wr"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False,
                size=len(act_image), mem=act)
    AxiRamRead(_bus(AxiReadBus, dut, "m_axi_wgt"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False,
               size=len(wgt_image), mem=wgt)
    dut.ap_rst_n.value = 0
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)
    for i in range(6):                        # act_rd, act_wr, wgt: every buffer at address 0
        await _wr(axil, ARGS + 4 * i, 0)
    cycles, run_cycles = [], []
    for offset, n in job["runs"]:
        await _wr(axil, CMD, offset)
        await _wr(axil, N, n)
        await _wr(axil, CTRL, AP_START)
        while not await _rd(axil, CTRL) & AP_DONE:
            await ClockCycles(dut.ap_clk, 8)
        cycles.append(await _rd(axil, STAT))
        assert await _rd(axil, STAT + 4) == 0, f"run {len(cycles) - 1}: a write was lost"
        run_cycles.append(await _rd(axil, STAT + 8))
    act.seek(0)
    np.save(job["act_out"], np.frombuffer(act.read(len(act_image)), np.uint8))
    with open(job["results"], "w") as f:
        json.dump({"cycles": cycles, "run_cycles": run_cycles}, f)
