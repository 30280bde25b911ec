"""Resource model of one engine configuration: DSP, LUT, FF, BRAM36, URAM.

DSP: the PO x PI array with ``int8_macs_per_dsp`` MACs per DSP48E2, plus one 24x24
requant multiplier (2 DSPs) per output lane. Memories: the input buffer (PI bytes
wide) and the double-buffered weight blocks (PO*PI bytes wide) go to URAM
(72 x 4096) when deep, else BRAM36 (72 x 512); per-port AXI FIFOs take BRAM36. Resident
weights: the store (all of weights.bin, lines of the ``wgt`` port width) is URAM and
the buffers are BRAM36.
LUT/FF: per-MAC adder-tree and pipeline registers, per-lane epilogue, fixed control
(first-order figures in the style of FINN's estimates; synthesis will differ).
"""
from __future__ import annotations

from .engine import Engine, mac_dsps

LUT_PER_MAC, FF_PER_MAC = 6, 10
LUT_PER_OUT_LANE, FF_PER_OUT_LANE = 350, 450       # requant, fused add, clamp
LUT_PER_IN_LANE, FF_PER_IN_LANE = 120, 160          # vector unit, input mux
LUT_FIXED, FF_FIXED = 25000, 40000                  # control, AXI-lite, 3 m_axi ports
BRAM_PER_PORT = 8


def _memory(width_bits: int, depth: int, uram: bool = True) -> dict:
    cols = -(-width_bits // 72)
    if uram and depth >= 2048:
        return {"uram": cols * -(-depth // 4096), "bram36": 0}
    return {"uram": 0, "bram36": cols * -(-depth // 512)}


def estimate(e: Engine) -> dict:
    in_buf = _memory(8 * e.pi, -(-e.in_buf_bytes // e.pi), not e.resident)
    w_buf = _memory(8 * e.pi * e.po, -(-e.w_buf_bytes // (e.pi * e.po)), not e.resident)
    line = e.bpc("wgt")
    store = -(-8 * line // 72) * -(-e.w_store_bytes // (line * 4096)) if e.resident else 0
    macs = e.pi * e.po
    return {
        "dsp": mac_dsps(e.pi, e.po, e.macs_per_dsp),
        "lut": LUT_FIXED + LUT_PER_MAC * macs + LUT_PER_OUT_LANE * e.po + LUT_PER_IN_LANE * e.pi,
        "ff": FF_FIXED + FF_PER_MAC * macs + FF_PER_OUT_LANE * e.po + FF_PER_IN_LANE * e.pi,
        "bram36": in_buf["bram36"] + w_buf["bram36"] + 3 * BRAM_PER_PORT,
        "uram": in_buf["uram"] + w_buf["uram"] + store,
    }


def misfit(res: dict, user: dict) -> list:
    """Resources over the target's user region, as 'name used/available'."""
    return [f"{k} {res[k]}/{user[k]}" for k in ("dsp", "lut", "ff", "bram36", "uram") if res[k] > user[k]]
