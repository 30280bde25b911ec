"""cocotb bench of the RTL kernel's control block (templates/rtl/hlsgen_control.v) over AXI4-Lite with
cocotbext-axi: the ap_ctrl_hs registers read back as UG1393 specifies, the arguments read back as
written and reach the kernel, one start per ap_start, the read-only cycle counts and status, the
interrupt. The block is the top; a stub kernel in Python answers it: busy for RUN cycles after each
start, then a one-cycle done with its cycle counts and status; it counts the starts."""
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

CTRL, GIE, IER, ISR, ARGS = 0x00, 0x04, 0x08, 0x0C, 0x10
NARGS = 10                    # act_rd, act_wr, wgt (64-bit), cmd_off, n_cmds, bank_step (64-bit)
STAT = ARGS + 4 * NARGS       # cycles, status, run cycles
AP_START, AP_DONE, AP_IDLE, AP_READY, AUTO_RESTART = 1, 2, 4, 8, 0x80


async def _rd(axil, addr):
    return int.from_bytes((await axil.read(addr, 4)).data, "little")


async def _wr(axil, addr, value):
    await axil.write(addr, int(value).to_bytes(4, "little"))


class StubEngine:
    def __init__(self, dut, run):
        self.dut, self.run, self.starts = dut, run, 0
        dut.busy.value = 0
        dut.done.value = 0
        dut.cycles.value = 0
        dut.status.value = 0
        dut.run_cycles.value = 0
        cocotb.start_soon(self._serve())

    async def _serve(self):
        dut = self.dut
        await RisingEdge(dut.ap_rst_n)     # the block's outputs are defined from reset on
        while True:
            await RisingEdge(dut.ap_clk)
            if int(dut.start.value):
                self.starts += 1
                dut.busy.value = 1
                await ClockCycles(dut.ap_clk, self.run)
                dut.busy.value = 0
                dut.cycles.value = self.run + self.starts
                dut.status.value = 1
                dut.run_cycles.value = self.run + 100
                dut.done.value = 1
                await RisingEdge(dut.ap_clk)
                dut.done.value = 0


@cocotb.test()
async def control_registers(dut):
    cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
    engine = StubEngine(dut, int(os.environ["RUN"]))
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False)
    dut.ap_rst_n.value = 0
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)
    # after reset: idle, nothing enabled, nothing pending
    assert await _rd(axil, CTRL) == AP_IDLE
    assert [await _rd(axil, a) for a in (GIE, IER, ISR)] == [0, 0, 0]
    # arguments: 64-bit addresses as two words, the command list, the bank step: read back as written
    args = [(0x9E37_79B9 * (i + 1)) & 0xFFFF_FFFF for i in range(NARGS)]
    for i, w in enumerate(args):
        await _wr(axil, ARGS + 4 * i, w)
    assert [await _rd(axil, ARGS + 4 * i) for i in range(NARGS)] == args
    assert int(dut.act_rd_addr.value) == args[0] | args[1] << 32
    assert int(dut.act_wr_addr.value) == args[2] | args[3] << 32
    assert int(dut.wgt_addr.value) == args[4] | args[5] << 32
    assert (int(dut.cmd_off.value), int(dut.n_cmds.value)) == (args[6], args[7])
    assert int(dut.bank_step.value) == args[8] | args[9] << 32
    # a byte-strobed write changes only its byte
    await axil.write(ARGS + 4 * 6 + 1, b"\x5A")
    assert await _rd(axil, ARGS + 4 * 6) == (args[6] & 0xFFFF00FF) | 0x5A00
    # interrupts on done and ready; start: ap_start holds until the engine is done
    await _wr(axil, GIE, 1)
    await _wr(axil, IER, 3)
    assert (await _rd(axil, GIE), await _rd(axil, IER)) == (1, 3)
    await _wr(axil, CTRL, AP_START)
    assert await _rd(axil, CTRL) == AP_START              # running: not idle, not done
    await RisingEdge(dut.interrupt)
    assert await _rd(axil, ISR) == 3
    assert await _rd(axil, CTRL) == AP_DONE | AP_IDLE | AP_READY
    assert await _rd(axil, CTRL) == AP_IDLE                # ap_done, ap_ready: clear on read
    assert engine.starts == 1
    # read-only after the arguments: the last run's cycles, the status, the run's cycles
    assert [await _rd(axil, STAT + 4 * i) for i in range(3)] == [engine.run + 1, 1, engine.run + 100]
    await _wr(axil, ISR, 1)                                # toggle on write
    assert await _rd(axil, ISR) == 2 and int(dut.interrupt.value) == 1
    await _wr(axil, ISR, 2)
    assert await _rd(axil, ISR) == 0 and int(dut.interrupt.value) == 0
    # auto_restart: the engine starts again after each done until the bit is cleared
    await _wr(axil, CTRL, AP_START | AUTO_RESTART)
    while engine.starts < 3:
        await RisingEdge(dut.ap_clk)
    await _wr(axil, CTRL, 0)
    await ClockCycles(dut.ap_clk, 3 * int(os.environ["RUN"]))
    assert await _rd(axil, CTRL) & (AP_START | AP_IDLE | AUTO_RESTART) == AP_IDLE
    assert engine.starts in (3, 4)
