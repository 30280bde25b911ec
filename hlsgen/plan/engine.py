"""Engine configuration: the PO x PI MAC array, its buffers, ports and timing constants.

The planner picks (PP, PI, PO) by evaluating the cycle model of the whole network
for every candidate shape that fits the DSP budget (``planner.choose_engine``);
this module holds the configuration, the candidate shapes and the port
bandwidths derived from the target's memory banks and the clock.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources as importlib_resources

from ..errors import UserError
from .unit_costs import unit_cost

DEFAULT_DSP_SHARE = 0.6        # default budget: share of the user region's DSPs
BUFFER_MEMORY_SHARE = 0.5      # on-chip memory share for buffers, times (DSP share)^2
PORT_BYTES_MAX = 64            # 512-bit AXI data width
BURST_ALIGN = 64               # every weights.bin block and every map starts on 64 bytes
STORE_BYTES_MAX = 512          # resident weight store: widest line (4096 bits over 57 URAMs)
STORE_LATENCY = 4              # URAM read pipeline (address, cascade, output registers)
WEIGHTS_MODES = ("auto", "resident", "streamed")   # auto: resident when the store fits
ACTIVATIONS_MODES = ("auto", "on-chip", "off-chip")  # auto: on chip (PLRAM) when the target has it and they fit

# Timing constants (ENGINE.md section 5); the RTL twin uses the same values from plan.json.
TIMING = {
    "invocation_overhead": 32,   # control: register reads, start/done handshake
    "pipeline_latency": 12,      # MAC array + requant + write path, after the last pixel (one epilogue pass;
                                 # an engine whose epilogue takes NC passes adds NC - 1: Engine.set_epilogue_lanes)
    "act_rd_latency": 64,        # first byte of a read stream (DDR/HBM read latency)
    "wgt_latency": 64,
}


def load_targets() -> dict:
    text = importlib_resources.files("hlsgen").joinpath("data/targets.json").read_text()
    return json.loads(text)


def get_target(name: str) -> tuple:
    """(canonical name, target dict); UserError listing the known targets."""
    data = load_targets()
    key = data["aliases"].get(name, name)
    if key not in data["targets"]:
        known = ", ".join(sorted(list(data["targets"]) + list(data["aliases"])))
        raise UserError(f"--target {name}: unknown target (known: {known})")
    return key, data["targets"][key]


def macs_per_dsp(target: dict) -> int:
    return int(target["int8_macs_per_dsp"])


def default_dsp_budget(target: dict) -> int:
    return int(target["user"]["dsp"] * DEFAULT_DSP_SHARE)


def ports(target: dict, clock_mhz: float, store_bytes: int = 0, on_chip: bool = False) -> dict:
    """Port bandwidths in bytes/cycle (powers of two, ENGINE.md section 5). With three banks or
    more, activations live in two banks (``act_banks``) and wgt has a third: an invocation whose
    act_rd and act_wr use different banks gets a whole bank each (``bytes_per_cycle``), else they
    share one (``shared_bytes_per_cycle``). Fewer banks: one activation bank, shared; a target
    with a single bank shares it among all three.

    ``store_bytes`` > 0: weights resident in an on-chip store with lines of that many bytes;
    ``wgt`` (where conv weight blocks come from) is then the store, and ``preload`` is the
    DDR/HBM port that fills it once per model.

    ``on_chip``: the activations live in the compute unit's PLRAM (``target["plram"]``, the one of its
    SLR: ``memory.plram_id``), read and written at once at its AXI width (ENGINE.md section 3,
    "Activations on chip"); wgt then has the CU's first bank to itself."""
    mem = target["memory"]
    ids = mem.get("bank_ids", list(range(mem["banks"])))      # the banks this compute unit reaches
    bank = min(PORT_BYTES_MAX * 2, int(mem["gbps_per_bank"] * 1e9 / (clock_mhz * 1e6)))
    name = mem["vitis_bank"].format
    if on_chip:
        out = _plram_ports(target, name(i=ids[0]), pow2_floor(min(PORT_BYTES_MAX, bank)))
    else:
        act_share = 2 if len(ids) > 1 else 3
        act = pow2_floor(min(PORT_BYTES_MAX, bank // act_share))
        own = pow2_floor(min(PORT_BYTES_MAX, bank)) if len(ids) > 2 else act
        wgt = pow2_floor(min(PORT_BYTES_MAX, bank if len(ids) > 1 else bank // act_share))
        act_banks = [name(i=ids[0]), name(i=ids[1])] if len(ids) > 2 else [name(i=ids[0])]
        wgt_bank = name(i=ids[min(len(act_banks), len(ids) - 1)])
        assert len(act_banks) == 1 or ids[1] == ids[0] + 1, ids      # cu_layouts hands out consecutive banks
        act_sp = act_banks[0] if len(act_banks) == 1 else name(i=f"{ids[0]}:{ids[1]}")   # v++ sp: a bank or a range
        out = {
            "act_rd": {"bytes_per_cycle": own, "shared_bytes_per_cycle": act, "latency": TIMING["act_rd_latency"],
                       "banks": act_banks, "sp": act_sp},
            "act_wr": {"bytes_per_cycle": own, "shared_bytes_per_cycle": act, "latency": 0, "banks": act_banks},
            "wgt": {"bytes_per_cycle": wgt, "latency": TIMING["wgt_latency"], "bank": wgt_bank},
        }
    if store_bytes:
        out["preload"] = out["wgt"]
        out["wgt"] = {"bytes_per_cycle": store_bytes, "latency": STORE_LATENCY, "bank": "on-chip"}
    return out


def _plram_ports(target: dict, wgt_bank: str, wgt_bytes: int) -> dict:
    """ports' act_rd, act_wr (the CU's PLRAM, read and written at once) and wgt (WGT_BANK to itself)."""
    plram = target["plram"]
    name = plram["vitis_bank"].format(i=target["memory"].get("plram_id", 0))
    bpc = pow2_floor(min(PORT_BYTES_MAX, plram["axi_bytes"]))
    act = {"bytes_per_cycle": bpc, "shared_bytes_per_cycle": bpc, "banks": [name]}
    return {
        "act_rd": dict(act, latency=TIMING["act_rd_latency"], sp=name),
        "act_wr": dict(act, latency=0),
        "wgt": {"bytes_per_cycle": wgt_bytes, "latency": TIMING["wgt_latency"], "bank": wgt_bank},
    }


def plram_bytes(target: dict, act_bytes: int) -> int:
    """The PLRAM size that holds ACT_BYTES of activations: a power of two from the target's smallest
    PLRAM up; 0 when the target has no PLRAM or its largest is too small."""
    plram = target.get("plram")
    if not plram or act_bytes > plram["max_bytes"]:
        return 0
    size = plram["min_bytes"]
    while size < act_bytes:
        size *= 2
    return size


@dataclass
class Engine:
    """One engine configuration (plan.json ``engine``)."""
    pi: int                     # input lanes: bytes per word
    po: int                     # output lanes: accumulators, channels per group
    macs_per_dsp: int
    ports: dict
    in_buf_bytes: int = 0       # input tile buffer (rows of the input map)
    w_buf_bytes: int = 0        # two weight blocks (double buffer)
    w_store_bytes: int = 0      # resident weight store (all of weights.bin); 0: weights stream from DDR
    timing: dict = field(default_factory=lambda: dict(TIMING))
    pp: int = 1                 # pixel lanes: output pixels of a row computed at once, sharing the weights
    epilogue_tables: bool = True  # a table after a conv runs in its epilogue (table memory per output lane)
    epilogue_lanes: int = 0     # E: requantizers (and add units) of the epilogue; 0: one per output (PP x PO)
    act_mem_bytes: int = 0      # activations on chip: the PLRAM's size (URAM); 0: in DDR/HBM

    def __post_init__(self):
        if not self.epilogue_lanes:
            self.epilogue_lanes = self.pp * self.po

    @property
    def epi_passes(self) -> int:
        """NC: cycles the epilogue takes for a pixel group's PP x PO outputs, E of them per cycle."""
        return self.pp * self.po // self.epilogue_lanes

    def set_epilogue_lanes(self, lanes: int) -> None:
        """E = LANES (ENGINE.md section 1, "Epilogue lanes"): the pipeline latency grows by NC - 1."""
        assert epilogue_ok(self.pp, self.pi, self.po, lanes), (self.pp, self.pi, self.po, lanes)
        self.epilogue_lanes = lanes
        self.timing = dict(self.timing, pipeline_latency=TIMING["pipeline_latency"] + self.epi_passes - 1)

    @property
    def macs_per_cycle(self) -> int:
        return self.pp * self.pi * self.po

    def bpc(self, port: str, f: dict | None = None) -> int:
        """Bytes per cycle of PORT; for act_rd / act_wr in invocation F: a whole bank when it reads
        and writes different activation banks, else the shared figure."""
        p = self.ports[port]
        if f is not None and f["rd_bank"] == f["wr_bank"]:
            return p["shared_bytes_per_cycle"]
        return p["bytes_per_cycle"]

    @property
    def act_banks(self) -> int:
        return len(self.ports["act_rd"]["banks"])

    def words(self, channels: int) -> int:
        return -(-channels // self.pi)

    @property
    def resident(self) -> bool:
        return "preload" in self.ports

    @property
    def w_align(self) -> int:
        """Weight blocks start on a store line (resident) or a 64-byte burst."""
        return max(BURST_ALIGN, self.bpc("wgt")) if self.resident else BURST_ALIGN

    def to_json(self) -> dict:
        d = asdict(self)
        d["macs_per_cycle"] = self.macs_per_cycle
        d["weights"] = (f"resident: preloaded once into a {self.w_store_bytes}-byte on-chip store "
                        f"({self.bpc('wgt')}-byte lines, URAM)" if self.resident else "streamed from DDR per group")
        d["activations"] = (f"on chip: a {self.act_mem_bytes}-byte PLRAM ({self.ports['act_rd']['banks'][0]}, URAM)"
                            if self.act_mem_bytes else "in DDR/HBM")
        d["array"] = (f"{self.pp} x {self.po} x {self.pi} MAC array: PP={self.pp} input words (PI={self.pi} "
                      f"channels of PP adjacent output pixels at one kernel tap) times PO={self.po} output "
                      "channels per cycle, the weights shared by the PP pixels; reduction over (kh, kw, input "
                      "word) in time; output-stationary; the epilogue's "
                      f"E={self.epilogue_lanes} lanes (requantizer, add unit) take a pixel group's PP x PO outputs "
                      f"in {self.epi_passes} cycle(s)")
        return d


DSP_PER_REQUANT = unit_cost("hlsgen_requant")["dsp"]     # its 25 x 24-bit significand product
DSP_PER_ADD = unit_cost("hlsgen_add")["dsp"]             # its two 10 x 24-bit products


def mac_dsps(pi: int, po: int, per_dsp: int, pp: int = 1, add: bool = False, lanes: int = 0) -> int:
    """DSPs of the MAC array plus the epilogue: per epilogue lane (LANES; 0: one per output, PP x PO) a
    requantizer, and an add unit when the model has an add (ADD)."""
    lane = DSP_PER_REQUANT + (DSP_PER_ADD if add else 0)
    return -(-(pp * pi * po) // per_dsp) + lane * (lanes or pp * po)


def epilogue_ok(pp: int, pi: int, po: int, lanes: int) -> bool:
    """E epilogue lanes serve a PP x PO array: at least PI (the vector ops' PI lanes are lanes 0..PI-1),
    dividing PP x PO (a pixel group's outputs are whole passes)."""
    return lanes >= pi and (pp * po) % lanes == 0


def epilogue_choices(pp: int, pi: int, po: int) -> list:
    """Every E that epilogue_ok allows for the shape, ascending (the last: one lane per output)."""
    return [n for n in range(pi, pp * po + 1) if epilogue_ok(pp, pi, po, n)]


def is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def store_line(pi: int, po: int) -> int:
    """Line of the resident weight store: the MAC array's PO*PI weight bytes per cycle, 64..512; when
    PO*PI is not a power of two (PO is not), the largest power of two dividing it (a whole number of
    lines per weight row: the store's line stays a power of two, as its port widths are)."""
    row = pi * po
    line = row if is_pow2(row) else row & -row
    return min(STORE_BYTES_MAX, max(BURST_ALIGN, line))


PP_MAX = 8


SHAPE_RULE = (f"PI must be a power of two from 2 to 256, PO a multiple of PI up to 1024 whose weight row "
              f"(PO*PI bytes) is a whole number of 64-byte beats when PO is not a power of two, PP from 1 to {PP_MAX}")
PO_STEPS = (1, 3, 5, 6, 7)       # PO = PI x 2^k x one of these: powers of two and the multiples between them


def shape_ok(pp: int, pi: int, po: int) -> bool:
    """An engine shape the HLS kernel, the RTL twin and the tiled golden model build: PI a power of two
    (a word's bytes, the activation port's width), PO a multiple of PI (an output group fills whole
    words; when PO is not a power of two its weight row PO*PI is whole 64-byte beats), PP any lane
    count up to PP_MAX."""
    return (is_pow2(pi) and 2 <= pi <= 256 and 1 <= pp <= PP_MAX and pi <= po <= 1024 and po % pi == 0
            and (is_pow2(po) or (po * pi) % BURST_ALIGN == 0))


def candidates(dsp_budget: int, per_dsp: int, add: bool = False) -> list:
    """(PP, PI, PO) shapes that fit the DSP budget with their leanest epilogue (PI lanes; every
    power-of-two one: on a small model a smaller array can win, its rounding losses being smaller; the
    others, which exist to fill the budget, only when they use at least half of it); ADD: the model has
    an add (its lanes' DSPs count)."""
    out = []
    for pp in range(1, PP_MAX + 1):
        for lpi in range(1, 9):           # PI 2..256
            pi = 1 << lpi
            pos = sorted({pi * m << k for m in PO_STEPS for k in range(11) if pi * m << k <= 1024})
            for po in pos:
                need = mac_dsps(pi, po, per_dsp, pp, add, pi)
                pow2 = is_pow2(pp) and is_pow2(po)
                if need <= dsp_budget and shape_ok(pp, pi, po) and (pow2 or 2 * need >= dsp_budget):
                    out.append((pp, pi, po))
    return out


def buffer_budget_bytes(target: dict, dsp_budget: int) -> int:
    """On-chip bytes the buffers may take: a share of the user region that grows with the square
    of the DSP share (a small engine is meant for small parts and must tile)."""
    user = target["user"]
    onchip = user["bram36"] * 4608 + user["uram"] * 36864
    share = min(1.0, dsp_budget / user["dsp"])
    return int(onchip * BUFFER_MEMORY_SHARE * share * share)


def align(n: int, a: int = BURST_ALIGN) -> int:
    return -(-n // a) * a




def pow2_floor(n: int) -> int:
    return 1 << max(0, int(n).bit_length() - 1)
