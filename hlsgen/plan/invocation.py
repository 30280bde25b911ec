"""Engine invocations: the control interface, as plain data (ENGINE.md section 4).

An invocation is one run of the engine: the host (or the RTL test bench) writes
its fields as registers, starts the engine and waits for done.  This module is
the single source of the register map: the HLS kernel's ``s_axilite`` scalar
arguments and the RTL register file are generated from ``REGISTERS``.

Register map: register 0 is ``kind`` (``KIND_CODES``), then every field of every
kind, each name once, in first-appearance order over ``KINDS`` (conv, maxpool,
avgpool, gavgpool, add, preload, table, mul).  Each register occupies ``words`` consecutive 32-bit
words (little-endian halves for 64-bit fields); ``REGISTER_OFFSETS`` gives the
byte offset of each one from the start of the register file.  Fields an
invocation's kind does not use are written as 0.

Each field has a width and a signedness: values are checked against them when
an invocation is built, so a plan that validates always fits the hardware.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UserError


@dataclass(frozen=True)
class Field:
    name: str
    bits: int
    signed: bool = False
    doc: str = ""

    @property
    def words(self) -> int:
        """32-bit register words the field occupies."""
        return (self.bits + 31) // 32

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1


def _u(name, bits, doc=""):
    return Field(name, bits, False, doc)


def _s(name, bits, doc=""):
    return Field(name, bits, True, doc)


ADDR = 32   # byte addresses in the activation memory and in weights.bin
DIM = 16    # rows, columns, words
Q = 10      # an 8-bit value or zero point, signed or unsigned (-128..255)

_MAP_IN = (
    _u("in_addr", ADDR, "byte address of pixel (0, 0) of the input map"),
    _u("in_h", DIM, "input map height (rows outside 0..in_h-1 are padding)"),
    _u("in_w", DIM, "input map width in pixels"),
    _u("in_cw", DIM, "words per input pixel"),
    _u("iy0", DIM, "first input row loaded into the input buffer"),
    _u("iy1", DIM, "one past the last input row loaded"),
    _u("oy0", DIM, "first output row computed"),
    _u("oy1", DIM, "one past the last output row computed"),
    _u("out_addr", ADDR, "byte address of pixel (0, 0) of the output map"),
    _u("out_w", DIM, "output map width in pixels"),
)
_WINDOW = (
    _u("k", 4, "square kernel size (1..15)"),
    _u("stride", 4, "stride (both axes)"),
    _u("pad_t", 4, "top padding rows"),
    _u("pad_l", 4, "left padding columns"),
)
_QUANT = (
    _s("zx", Q, "input zero point (padding value)"),
    _s("zy", Q, "output zero point"),
    _s("lo", Q, "output clamp, low"),
    _s("hi", Q, "output clamp, high"),
    _u("in_signed", 1, "input bytes are int8 (else uint8)"),
)

# The exact add (requant.add_consts), shared by the fused residual add and the standalone add.
_ADD_CONSTS = (
    _s("add_ma", 64, "add: ra in units 2^-add_sh (requant.add_consts; term a = the conv result)"),
    _s("add_mb", 64, "add: rb in units of the inner grid (term b = the residual byte)"),
    _s("add_k", 64, "add: k (zero points, zy) in units of the inner grid"),
    _u("add_wsh", 6, "add: inner grid / outer grid exponent"),
    _s("add_sh", 8, "add: -exponent of the outer grid"),
)

# The output map's words per pixel and this layer's first word in it (a concat's slice).
_OUT_SLICE = (
    _u("out_cw", DIM, "words per output pixel in the output map (all channels of the map)"),
    _u("out_c0w", DIM, "first word of this layer's channels in an output pixel (concat offset)"),
)

CONV = _MAP_IN + _OUT_SLICE + (
    _u("out_words", DIM, "words of this layer's channels per output pixel (ceil(Cout/PI))"),
) + _WINDOW + (
    _u("groups", DIM, "number of PO output-channel groups"),
    _u("tap_cw", DIM, "input words per tap: in_cw, or the window of a grouped (depthwise) conv"),
    _u("cw_step", DIM, "group g's window starts at input word g*cw_step (0: every group reads all in_cw)"),
    _u("w_addr", ADDR, "byte address of group 0's block in weights.bin"),
    _u("w_group_bytes", ADDR, "bytes from one group's block to the next"),
) + _QUANT + (
    _u("out_signed", 1, "output bytes are int8 (else uint8)"),
    _u("add_en", 1, "fused residual add in the epilogue"),
    _u("add_addr", ADDR, "byte address of pixel (0, 0) of the residual map (out_words words/pixel)"),
    _u("add_signed", 1, "residual bytes are int8 (else uint8)"),
) + _ADD_CONSTS + (
    _s("add_lo", Q, "add output clamp, low"),
    _s("add_hi", Q, "add output clamp, high"),
    _u("tab_en", 1, "fused table: after the requantization (and add), each output byte through its channel's "
                    "table (PO rows of 256 bytes after the constants of the group's block)"),
    _u("pool_k", 4, "fused max pool, window = stride = pool_k, no padding (0: none): the conv computes "
                    "rows oy0..oy1-1 and columns 0..out_w*pool_k-1, output pixel (oy/pool_k, ox/pool_k)"),
)

POOL = _MAP_IN + _WINDOW + (
    _u("scale", 32, "float32 bits: gavgpool requantization scale; avgpool input scale; mul scale ratio"),
    _u("y_scale", 32, "float32 bits: avgpool output scale"),
    _u("y_recip", 32, "avgpool: floor(2^51 / significand of y_scale) (requant.y_recip)"),
) + _QUANT + (
    _u("count", 32, "avgpool divisor: k*k, or 0 = the taps inside the map (count_include_pad=0)"),
)

ADD = (
    _u("a_addr", ADDR, "byte address of operand a"),
    _u("b_addr", ADDR, "byte address of operand b"),
    _u("out_addr", ADDR, "byte address of the output"),
    _u("words", ADDR, "words to process (pixels x words per pixel)"),
) + _ADD_CONSTS + (
    _s("lo", Q, "output clamp, low"),
    _s("hi", Q, "output clamp, high"),
    _u("a_signed", 1, "a bytes are int8"),
    _u("b_signed", 1, "b bytes are int8"),
)

TABLE = _MAP_IN + _OUT_SLICE + _WINDOW + (
    _u("w_addr", ADDR, "byte address of the tables in weights.bin"),
    _u("w_group_bytes", ADDR, "bytes of the tables (t_words x PI x 256)"),
    _u("t_words", DIM, "table words: 1 = one set of PI lane tables for every word, else one per word (in_cw)"),
    _u("in_signed", 1, "input bytes are int8 (else uint8)"),
)

MUL = _MAP_IN + _WINDOW + (
    _u("b_addr", ADDR, "byte address of operand b"),
    _u("scale", 32, "float32 bits: gavgpool requantization scale; avgpool input scale; mul scale ratio"),
    _s("zb", Q, "mul: zero point of the per-channel vector b"),
) + _QUANT + (
    _u("b_signed", 1, "b bytes are int8"),
)

PRELOAD = (
    _u("w_lines", ADDR, "resident weights: store lines to fill from weights.bin (once per model)"),
)

BANKS = (   # two activation banks: the host binds act_rd / act_wr to these per invocation
    _u("rd_bank", 1, "activation bank act_rd reads (input, residual, add operands)"),
    _u("wr_bank", 1, "activation bank act_wr writes"),
)

KINDS = {"conv": CONV + BANKS, "maxpool": POOL + BANKS, "avgpool": POOL + BANKS, "gavgpool": POOL + BANKS,
         "add": ADD + BANKS, "preload": PRELOAD, "table": TABLE + BANKS,
         "mul": MUL + BANKS}
KIND_CODES = {"conv": 1, "maxpool": 2, "avgpool": 3, "gavgpool": 4, "add": 5, "preload": 6, "table": 7, "mul": 8}
KIND_NAMES = {code: kind for kind, code in KIND_CODES.items()}


def _register_map():
    regs, seen = [_u("kind", 4, "KIND_CODES")], {"kind"}
    for fields in KINDS.values():
        for f in fields:
            if f.name in seen:
                other = next(r for r in regs if r.name == f.name)
                assert (other.bits, other.signed) == (f.bits, f.signed), f.name
                continue
            seen.add(f.name)
            regs.append(f)
    return tuple(regs)


REGISTERS = _register_map()
REGISTER_BY_NAME = {f.name: f for f in REGISTERS}


def _offsets():
    off, out = 0, {}
    for f in REGISTERS:
        out[f.name] = off
        off += 4 * f.words
    return out, off


REGISTER_OFFSETS, REGISTER_BYTES = _offsets()
# per kind, its fields with their ranges, and their names (an invocation checks its fields against them;
# the planner makes tens of thousands of invocations while it compares engines)
_CHECKS = {kind: tuple((f, f.name, f.lo, f.hi) for f in fields) for kind, fields in KINDS.items()}
_NAMES = {kind: frozenset(f.name for f in fields) for kind, fields in KINDS.items()}


@dataclass
class Invocation:
    """One engine run: ``layer`` (IR layer name), ``kind``, and the kind's fields (ints)."""
    layer: str
    kind: str
    fields: dict

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown invocation kind {self.kind!r}")
        extra = self.fields.keys() - _NAMES[self.kind]
        if extra:
            raise ValueError(f"{self.kind} invocation has no field(s) {sorted(extra)}")
        full, get = {}, self.fields.get
        for f, name, lo, hi in _CHECKS[self.kind]:
            v = int(get(name, 0))
            if not lo <= v <= hi:
                raise UserError(f"layer {self.layer}: {self.kind} field {name}={v} does not fit "
                                f"{'signed' if f.signed else 'unsigned'} {f.bits} bits")
            full[name] = v
        self.fields = full

    def __getitem__(self, name):
        return self.fields[name]

    def registers(self) -> list:
        """Values in ``REGISTERS`` order (kind code first, unused fields 0)."""
        vals = dict(self.fields, kind=KIND_CODES[self.kind])
        return [vals.get(f.name, 0) for f in REGISTERS]

    def register_words(self) -> list:
        """The register file as 32-bit unsigned words (two's complement, low word first)."""
        words = []
        for f, v in zip(REGISTERS, self.registers()):
            v &= (1 << (32 * f.words)) - 1
            words.extend((v >> (32 * i)) & 0xFFFFFFFF for i in range(f.words))
        return words

    def to_json(self) -> dict:
        return {"layer": self.layer, "kind": self.kind, **self.fields}

    @classmethod
    def from_json(cls, d: dict) -> "Invocation":
        d = dict(d)
        return cls(layer=d.pop("layer"), kind=d.pop("kind"), fields=d)


# The command list (ENGINE.md section 4): the kernel reads each invocation's register file from the wgt
# buffer, where the host puts the list after weights.bin: command i is the register words of invocation
# i, CMD_BYTES apart from COMMANDS_ALIGN-byte aligned ``command_offset``.
CMD_BYTES = 256
COMMANDS_ALIGN = 64
assert REGISTER_BYTES <= CMD_BYTES


def command_offset(weights_bytes: int) -> int:
    """Byte offset of the command list in the wgt buffer (after weights.bin)."""
    return -(-weights_bytes // COMMANDS_ALIGN) * COMMANDS_ALIGN


def command_words(invocations) -> list:
    """The commands of INVOCATIONS, CMD_BYTES // 4 words each (the register words, then zeros)."""
    out = []
    for inv in invocations:
        words = inv.register_words()
        out.extend(words + [0] * (CMD_BYTES // 4 - len(words)))
    return out


def weight_memory(weights: bytes, invocations) -> bytes:
    """The weight buffer's image: WEIGHTS (weights.bin), zeros up to ``command_offset``, then the commands of
    INVOCATIONS (the preload's first, then a frame's)."""
    words = command_words(invocations)
    return weights.ljust(command_offset(len(weights)), b"\0") + b"".join(w.to_bytes(4, "little") for w in words)


def register_map_json() -> list:
    """The register map as data (for emitters and plan.json)."""
    return [{"name": f.name, "bits": f.bits, "signed": f.signed, "offset": REGISTER_OFFSETS[f.name],
             "kinds": [k for k, fs in KINDS.items() if any(g.name == f.name for g in fs)] or list(KINDS),
             "doc": f.doc} for f in REGISTERS]
