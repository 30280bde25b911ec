"""Resource model of one engine configuration: DSP, LUT, FF, BRAM36, URAM.

DSP: the PP x PO x PI array with ``int8_macs_per_dsp`` MACs per DSP48E2, plus one 24x24
requant multiplier (2 DSPs) per epilogue lane (E lanes, ENGINE.md section 1), the add unit's two
10x24-bit products (2 DSPs) per epilogue lane when the model has an add, plus one per input lane for the
byte product of a map times a vector (only when the model has one). Memories: the input buffer (PI bytes
wide, one copy per pixel lane: PP reads per cycle) and the double-buffered weight blocks (PO*PI bytes wide) go to URAM
(72 x 4096) when deep, else BRAM36 (72 x 512); per-port AXI FIFOs take BRAM36. Resident
weights: the store (all of weights.bin, lines of the ``wgt`` port width) is URAM and
the buffers are BRAM36. Activations on chip: the PLRAM (its size, the act port's width) is URAM; it sits
in the platform's memory subsystem in the CU's SLR, and is counted with the CU.
LUT: per-MAC adder tree, plus the per-lane units the engine (templates/rtl/engine.v.j2)
instantiates, at the LUT counts yosys ``synth_xilinx -family xcup`` reports for each unit alone (each
unit's file states them, hlsgen.plan.unit_costs):
a requantizer (``hlsgen_requant``) and a quantized-add unit (``hlsgen_add``, fused residual and
standalone add) per epilogue lane (E), the latter only when the model has an add, and with E < PP x PO
the NC-way multiplexers in front of them (accumulator, scale, residual byte: 72 bits, a LUT6 per 4:1);
with average pooling in the model (the RTL generates its unit only then), a float-path tap
(``hlsgen_avg_tap``) and an output stage (``hlsgen_avg_out``) per input lane.
With a max pool outside a conv epilogue in the model (the RTL generates them only then), the max pool's
PP x PI lanes (``hlsgen_vector``): a 10-bit compare and select each, and their maxima delayed to the
epilogue's last stage (10 + NC - 1 registers of 10 bits).
FF, the rest of the vector unit and the control: first-order figures in the style of FINN's estimates.
"""
from __future__ import annotations

from .engine import Engine, mac_dsps
from .unit_costs import unit_cost

LUT_PER_MAC, FF_PER_MAC = 6, 10
# per-lane units: LUTs and DSPs each unit's file states beside its logic (hlsgen.plan.unit_costs; yosys
# synth_xilinx -family xcup on the unit alone, re-measured by hw_tests/test_unit_resources.py)
LUT_REQUANT = unit_cost("hlsgen_requant")["lut"]     # its significand product: the DSPs of engine.mac_dsps
LUT_ADD = unit_cost("hlsgen_add")["lut"]             # its two products: DSP_PER_ADD of engine.mac_dsps
LUT_AVG_TAP = unit_cost("hlsgen_avg_tap")["lut"]     # 11x24 fabric product, two round24
LUT_AVG_OUT = unit_cost("hlsgen_avg_out")["lut"]     # 35/8-bit divider, y_recip division, three round24
LUT_MUL, DSP_PER_MUL = unit_cost("hlsgen_mul")["lut"], unit_cost("hlsgen_mul")["dsp"]    # (a-za)*(b-zb) on a DSP
LUT_CTAB_LANE = 3 * 256 // 64 * 8   # epilogue table per output lane: 3 banks x 256 x 8 bits as 64x1 LUTRAMs
FF_PER_OUT_LANE = 450                               # requant and add pipeline registers
MUX_BITS = 32 + 32 + 8                              # an epilogue lane's inputs picked per pass (E < PP x PO)
FF_HOLD_PER_OUT = 32 + 10                           # held accumulator, collected output byte (E < PP x PO)
LUT_PER_IN_LANE, FF_PER_IN_LANE = 120, 160          # rest of the vector unit (max, sum), input mux
LUT_PER_MAX_LANE = 20                               # 10-bit compare and select (max pool lane)
LUT_FIXED, FF_FIXED = 25000, 40000                  # control, AXI-lite, 3 m_axi ports
BRAM_PER_PORT = 8


def _memory(width_bits: int, depth: int, uram: bool = True) -> dict:
    cols = -(-width_bits // 72)
    if uram and depth >= 2048:
        return {"uram": cols * -(-depth // 4096), "bram36": 0}
    return {"uram": 0, "bram36": cols * -(-depth // 512)}


def lane_luts(e: Engine, avgpool: bool = False, add: bool = True, maxpool: bool = False) -> int:
    """LUTs of the per-lane units: requantizer per epilogue lane, add unit per epilogue lane when the
    model has an add (ADD), their pass multiplexers; the average-pool tap and output stage per input
    lane when the model has an average pool (AVGPOOL); the max pool's PP x PI lanes with MAXPOOL."""
    lanes = e.epilogue_lanes
    mux = MUX_BITS * -(-(e.epi_passes - 1) // 3) * lanes
    return ((LUT_REQUANT + (LUT_ADD if add else 0)) * lanes + mux + LUT_PER_IN_LANE * e.pi
            + (LUT_PER_MAX_LANE * e.pp * e.pi if maxpool else 0)
            + ((LUT_AVG_TAP + LUT_AVG_OUT) * e.pi if avgpool else 0))


def estimate(e: Engine, avgpool: bool = False, add: bool = True, table: int = 0, mul: bool = False,
             ctab: bool = False, maxpool: bool = False) -> dict:
    """Resources of engine E; AVGPOOL / ADD / MAXPOOL: the model has an average pool / an add (or clip) /
    a max pool outside a conv epilogue, so the engine builds that unit; TABLE: table words of the largest table layer (0: no table memory;
    else PI lane memories of TABLE x 256 bytes, one read port each); MUL: the model multiplies a map by a
    per-channel vector (a ``hlsgen_mul`` per input lane); CTAB: a table runs in a conv's epilogue (three
    banks of 256 bytes per output lane, read in the lane's cycle: distributed RAM)."""
    in_buf = _memory(8 * e.pi, -(-e.in_buf_bytes // e.pi), not e.resident)
    in_buf = {k: v * e.pp for k, v in in_buf.items()}
    w_buf = _memory(8 * e.pi * e.po, -(-e.w_buf_bytes // (e.pi * e.po)), not e.resident)
    line = e.bpc("wgt")
    store = store_urams(line, e.w_store_bytes) if e.resident else 0
    macs = e.macs_per_cycle
    return {
        "dsp": mac_dsps(e.pi, e.po, e.macs_per_dsp, e.pp, add, e.epilogue_lanes) + (DSP_PER_MUL * e.pi if mul else 0),
        "lut": LUT_FIXED + LUT_PER_MAC * macs + lane_luts(e, avgpool, add, maxpool) + (LUT_MUL * e.pi if mul else 0)
        + (LUT_CTAB_LANE * e.pp * e.po if ctab else 0),
        "ff": FF_FIXED + FF_PER_MAC * macs + FF_PER_OUT_LANE * e.epilogue_lanes + FF_PER_IN_LANE * e.pi
        + (10 * (10 + e.epi_passes - 1) * e.pp * e.pi if maxpool else 0)
        + (FF_HOLD_PER_OUT * e.pp * e.po + 32 * e.po if e.epi_passes > 1 else 0),
        "bram36": in_buf["bram36"] + w_buf["bram36"] + 3 * BRAM_PER_PORT
        + (e.pi * _memory(8, table * 256, False)["bram36"] if table else 0),
        "uram": in_buf["uram"] + w_buf["uram"] + store + plram_urams(e),
    }


def units_used(invocations) -> dict:
    """The optional units the engine builds for INVOCATIONS (``estimate``'s keywords; the RTL builds the
    same): the average-pool float path when an avgpool runs, the max pool's pixel lanes when a max pool
    runs outside a conv, the add unit when an add (standalone or fused, or a standalone clip) runs, the
    tables' memory (``table``: table words of the largest table layer, 0: none), the multiplier of a map by
    a per-channel vector when a mul runs, the epilogue's tables (``ctab``) when a conv runs a table."""
    return {"avgpool": any(inv.kind == "avgpool" for inv in invocations),
            "maxpool": any(inv.kind == "maxpool" for inv in invocations),
            "add": any(inv.kind == "add" or (inv.kind == "conv" and inv["add_en"]) for inv in invocations),
            "table": max([inv["t_words"] for inv in invocations if inv.kind == "table"], default=0),
            "mul": any(inv.kind == "mul" for inv in invocations),
            "ctab": any(inv.kind == "conv" and inv["tab_en"] for inv in invocations)}


def store_urams(line: int, nbytes: int) -> int:
    """URAMs (72 x 4096) of the resident weight store: NBYTES in lines of LINE bytes."""
    return -(-8 * line // 72) * -(-nbytes // (line * 4096))


def plram_urams(e: Engine) -> int:
    """URAMs of the PLRAM holding the activations on chip (MEMORY_PRIMITIVE URAM, the act port's width)."""
    if not e.act_mem_bytes:
        return 0
    width = e.bpc("act_rd")
    return _memory(8 * width, e.act_mem_bytes // width)["uram"]


def misfit(res: dict, user: dict) -> list:
    """Resources over the target's user region, as 'name used/available'."""
    return [f"{k} {res[k]}/{user[k]}" for k in ("dsp", "lut", "ff", "bram36", "uram") if res[k] > user[k]]
