"""RTL emitter: the Verilog twin of the engine (templates/rtl/ -> OUT/rtl/).

The engine is generated for one plan: its PP x PO x PI array, port widths, timing
constants, buffer depths (the largest any invocation of the plan needs), the optional
units of plan ``engine.units`` (add, average pool; the fused-pool row buffer when a conv
has ``pool_k``) and the register file of ``hlsgen.plan.invocation.REGISTERS``. ``config(plan_data)``
holds every number the Verilog and the simulation top are built from.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from .. import package_data
from ..errors import UserError
from ..util import atomic_file
from ..plan.engine import epilogue_ok, is_pow2
from ..plan.invocation import (CMD_BYTES, KIND_CODES, REGISTERS, REGISTER_BYTES, REGISTER_OFFSETS, Invocation,
                               command_offset)
from ..plan.plan_types import PlanData
from ..plan.resources import units_used

TEMPLATES = package_data.templates() / "rtl"
ENGINE_FILE = "hlsgen_engine.v"     # the generated top of the engine
ENGINE_UNITS = ("hlsgen_sequencer.v", "hlsgen_delay.v", "hlsgen_act_buf.v", "hlsgen_wgt_buf.v", "hlsgen_tables.v",
                "hlsgen_mac_array.v", "hlsgen_vector.v", "hlsgen_epilogue.v", "hlsgen_writer.v", "hlsgen_mac_pair.v", "hlsgen_requant.v", "hlsgen_round24.v", "hlsgen_to_int.v", "hlsgen_f32_parts.v",
                "hlsgen_add.v", "hlsgen_mul_fabric.v", "hlsgen_mul.v", "hlsgen_umul.v", "hlsgen_plus_zy.v",
                "hlsgen_avg_tap.v", "hlsgen_avg_out.v", "hlsgen_div_sig.v", "hlsgen_div_sig_recip.v")
# the engine's static units (one module each, copied beside it, all of them: a plan without an optional
# unit leaves its file unused); ENGINE.md section 5 names them
KERNEL = "hlsgen_rtl"                 # the RTL kernel's name: its top module, kernel.xml, the .xo
KERNEL_FILE = KERNEL + ".v"
KERNEL_UNITS = ("hlsgen_control.v", "hlsgen_walker.v", "hlsgen_axi_rd.v", "hlsgen_axi_wr.v",
                "hlsgen_store.v")     # static, copied beside it


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _stream_bytes(inv: Invocation, pi: int) -> int:
    """Bytes of an invocation's act_rd stream (ENGINE.md section 5)."""
    if inv.kind == "add":
        return 2 * inv["words"] * pi
    if inv.kind == "preload":
        return 0
    if inv.kind == "mul":      # the vector, then the rows
        return (inv["in_cw"] + (inv["iy1"] - inv["iy0"]) * inv["in_w"] * inv["in_cw"]) * pi
    n = (inv["iy1"] - inv["iy0"]) * inv["in_w"] * inv["in_cw"] * pi
    if inv.kind == "conv" and inv["add_en"]:
        n += (inv["oy1"] - inv["oy0"]) * inv["out_w"] * inv["out_words"] * pi
    return n


def config(data: PlanData) -> dict:
    """Engine configuration for the templates and the simulation top, from plan.json data."""
    e = data.engine
    pi, po, pp = e.pi, e.po, e.pp
    ports, timing = e.ports, e.timing
    br, bw, bo = (int(ports[p]["bytes_per_cycle"]) for p in ("act_rd", "wgt", "act_wr"))
    lr, lw = int(ports["act_rd"]["latency"]), int(ports["wgt"]["latency"])
    for what, v in (("PI", pi), ("act_rd bytes_per_cycle", br), ("wgt bytes_per_cycle", bw),
                    ("act_rd shared_bytes_per_cycle", int(ports["act_rd"].get("shared_bytes_per_cycle", br)))):
        if not is_pow2(v):
            raise UserError(f"plan.json: the RTL twin needs {what} a power of two (got {v})")
    if po % pi or po < 2:
        raise UserError(f"plan.json: the RTL twin needs PO a multiple of PI (PO={po}, PI={pi})")
    if min(lr, lw) < 2:
        raise UserError("plan.json: the RTL twin needs port latencies of at least 2 cycles")
    lanes = e.epilogue_lanes
    if not epilogue_ok(pp, pi, po, lanes):
        raise UserError(f"plan.json: the RTL twin needs epilogue_lanes at least PI dividing PP x PO (got {lanes})")
    nc = pp * po // lanes
    if int(timing["pipeline_latency"]) < 12 + nc - 1:
        raise UserError(f"plan.json: the RTL twin's epilogue needs pipeline_latency >= {12 + nc - 1}")
    if bw > 64 and (po * pi) % bw:
        raise UserError(f"plan.json: the RTL twin needs wgt bytes_per_cycle <= 64 or dividing PO*PI (got {bw})")
    pre = ports.get("preload", {"latency": 0, "bytes_per_cycle": 1})
    invs = data.invocations
    stream = max([_stream_bytes(i, pi) for i in invs] + [pi])
    taps = max([i["k"] * i["k"] * i["tap_cw"] for i in invs if i.kind == "conv"] + [1])
    brs = int(ports["act_rd"].get("shared_bytes_per_cycle", br))
    bos = int(ports["act_wr"].get("shared_bytes_per_cycle", bo))
    al, wl = max(pi, brs), max(po * pi, bw)     # buffer line bytes
    # optional units: plan.json engine.units (what the resource model counts); plans without it
    # (hand-built invocation lists) build what their invocations use
    need = units_used(invs)
    units = {"maxpool": need["maxpool"], **(e.units or need)}     # (plans from before the max pool lanes)
    missing = [u for u in ("add", "avgpool", "maxpool", "mul", "table") if need[u] and not units.get(u)]
    if missing:
        raise UserError(f"plan.json: an invocation needs the {missing[0]} unit but engine.units.{missing[0]} is false")
    pooled = [i["out_w"] for i in invs if i.kind == "conv" and i["pool_k"]]
    return {
        "name": data.target,
        "pp": pp, "pi": pi, "po": po, "nwo": po // pi, "br": br, "bw": bw, "bo": bo, "lr": lr, "lw": lw,
        "e_lanes": lanes, "nc": nc, "cwr": max(_cdiv(pp * po, bo), nc), "cwrs": max(_cdiv(pp * po, bos), nc),
        "brs": brs, "rates": sorted({br, brs}),
        "banks": "rd_bank" in REGISTER_OFFSETS,
        "pl": int(timing["pipeline_latency"]), "ov": int(timing["invocation_overhead"]),
        "al": al, "wl": wl, "cl": _cdiv(8 * po, bw),
        "kind_codes": dict(KIND_CODES),
        "add": bool(units["add"]), "avgpool": bool(units["avgpool"]), "maxpool": bool(units["maxpool"]),
        "mul": bool(need["mul"]), "table": bool(need["table"]), "tbytes": need["table"] * pi * 256, "ctab": need["ctab"],
        "pool": bool(pooled), "pool_w": max(pooled + [1]),
        "pre_lat": int(pre["latency"]), "pre_bpc": int(pre["bytes_per_cycle"]),
        "abuf_lines": _cdiv(stream, al) + 1,
        "wlines": _cdiv(taps * po * pi, wl),
        "reg_words": REGISTER_BYTES // 4,
        "reg_addr_bits": max(1, (REGISTER_BYTES // 4 - 1).bit_length()),
        "registers": [{"name": f.name, "bits": f.bits, "signed": f.signed, "words": f.words,
                       "word": REGISTER_OFFSETS[f.name] // 4} for f in REGISTERS],
        "act_size": data.act_bytes + 64 * pi,
        "wgt_size": command_offset(max(data.weights_bytes, 64)) + 64 * bw
                    + CMD_BYTES * (len(invs) + len(data.preload)),    # the command list after weights.bin
    }


def render(cfg: dict) -> str:
    return _env().get_template("engine.v.j2").render(**cfg)


def _pow2_dividing(values, cap: int) -> int:
    """The largest power of two <= CAP dividing every value."""
    u = cap
    while u > 1 and any(v % u for v in values):
        u //= 2
    return u


def kernel_config(data: PlanData, cfg: dict | None = None) -> dict:
    """The RTL kernel's configuration (templates/rtl/kernel.v.j2): the engine's, plus the AXI masters'
    widths, units and FIFO depths, the command list and (resident weights) the store."""
    cfg = dict(cfg or config(data))
    invs = data.invocations
    resident = bool(data.preload)
    # the wgt master (DDR): the command list, and the weight blocks or (resident) the preload's fill
    ddr_bw, ddr_lat = (cfg["pre_bpc"], cfg["pre_lat"]) if resident else (cfg["bw"], cfg["lw"])
    act = [i.fields.get(f, 0) for i in invs for f in ("in_addr", "out_addr", "add_addr", "a_addr", "b_addr")]
    # what the wgt master reads: the commands, and the store's lines (resident) or the weight blocks
    blocks = [cfg["bw"]] if resident else [i[f] for i in invs if i.kind in ("conv", "table")
                                           for f in ("w_addr", "w_group_bytes")]
    u_act = _pow2_dividing(act, min(cfg["pi"], cfg["brs"], cfg["br"]))
    u_wgt = _pow2_dividing(blocks + [CMD_BYTES, command_offset(data.weights_bytes)], ddr_bw)
    bl_act, bl_wgt = min(16, 4096 // cfg["br"]), min(16, 4096 // ddr_bw)

    def depth(units_per_beat, bl, lat):      # room for two bursts and the read-ahead of the latency
        need = max(2 * bl, lat) * units_per_beat
        return 1 << (need - 1).bit_length()
    cfg.update(kernel=KERNEL, u_act=u_act, u_wgt=u_wgt, bl_act=bl_act, bl_wgt=bl_wgt, cmd_bytes=CMD_BYTES,
               rd_bank_word=REGISTER_OFFSETS["rd_bank"] // 4, wr_bank_word=REGISTER_OFFSETS["wr_bank"] // 4,
               w_lines_word=REGISTER_OFFSETS["w_lines"] // 4, resident=resident, ddr_bw=ddr_bw, ddr_lat=ddr_lat,
               store_lines=max(1, _cdiv(data.weights_bytes, cfg["bw"])),
               depth_act=depth(cfg["br"] // u_act, bl_act, cfg["lr"]),
               depth_wgt=depth(ddr_bw // u_wgt, bl_wgt, ddr_lat), depth_wr=256,
               masters=[{"port": "m_axi_act_rd", "bytes": cfg["br"], "read": True},
                        {"port": "m_axi_act_wr", "bytes": cfg["bo"], "read": False},
                        {"port": "m_axi_wgt", "bytes": ddr_bw, "read": True}])
    return cfg


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_kernel(kcfg: dict) -> str:
    return _env().get_template("kernel.v.j2").render(**kcfg)


def kernel_args(kcfg: dict) -> list:
    """kernel.xml's arguments: the HLS kernel's, in its order (the host sets them by index)."""
    args = [{"name": m, "qualifier": 1, "port": "m_axi_" + m, "size": 8, "offset": 0x10 + 8 * i, "type": "void*"}
            for i, m in enumerate(("act_rd", "act_wr", "wgt"))]
    return args + [{"name": "cmd_off", "qualifier": 0, "port": "s_axi_control", "size": 4, "offset": 0x28, "type": "uint"},
                   {"name": "n_cmds", "qualifier": 0, "port": "s_axi_control", "size": 4, "offset": 0x2C, "type": "uint"},
                   {"name": "bank_step", "qualifier": 0, "port": "s_axi_control", "size": 8, "offset": 0x30,
                    "type": "ulong"}]


def hw_files(data: PlanData, kcfg: dict) -> dict:
    """hw/kernel.xml and hw/package_xo.tcl of the RTL kernel."""
    from .hls import BANNER
    from ..plan.engine import get_target
    ctx = dict(kcfg, banner=BANNER, args=kernel_args(kcfg), part=get_target(data.target)[1]["device"]["part"],
               sources=[KERNEL_FILE, ENGINE_FILE] + list(ENGINE_UNITS) + list(KERNEL_UNITS))
    env = _env()
    return {"kernel.xml": env.get_template("kernel.xml.j2").render(**ctx),
            "package_xo.tcl": env.get_template("package_xo.tcl.j2").render(**ctx)}


def engine_sources(folder) -> list:
    """The engine's Verilog files in a project FOLDER: the generated top, the static units."""
    rtl = Path(folder) / "rtl"
    return [rtl / ENGINE_FILE] + [rtl / u for u in ENGINE_UNITS]


def kernel_sources(folder) -> list:
    """The RTL kernel's Verilog files in a project FOLDER: the generated top, the engine's, the kernel's units."""
    rtl = Path(folder) / "rtl"
    return [rtl / KERNEL_FILE] + engine_sources(folder) + [rtl / u for u in KERNEL_UNITS]


def _rtl_files(data: PlanData, kernel: bool) -> tuple:
    """(configuration, {file name in rtl/: text}) of plan DATA: the engine and its static units, and with
    KERNEL the RTL kernel's top and the static units it instantiates (the configuration is then
    ``kernel_config``'s)."""
    cfg = config(data)
    files = {ENGINE_FILE: render(cfg), **{u: (TEMPLATES / u).read_text() for u in ENGINE_UNITS}}
    if kernel:
        cfg = kernel_config(data, cfg)
        files[KERNEL_FILE] = render_kernel(cfg)
        files.update({u: (TEMPLATES / u).read_text() for u in KERNEL_UNITS})
    return cfg, files


def emit(plan, folder, kernel: bool = True) -> Path:
    """Write OUT/rtl/hlsgen_engine.v and its units for PLAN (a hlsgen.plan Plan) into FOLDER; KERNEL: also the RTL
    kernel (OUT/rtl/hlsgen_rtl.v and the static units it instantiates, hw/kernel.xml, hw/package_xo.tcl)."""
    out = Path(folder) / "rtl"
    out.mkdir(parents=True, exist_ok=True)
    cfg, files = _rtl_files(plan.data, kernel)
    for name, text in files.items():
        (out / name).write_text(text)
    if kernel:
        hw = Path(folder) / "hw"
        hw.mkdir(parents=True, exist_ok=True)
        for name, text in hw_files(plan.data, cfg).items():
            (hw / name).write_text(text)
    return out / ENGINE_FILE


def ensure(data: PlanData, folder, write: bool = False, kernel: bool = False) -> dict:
    """The engine configuration of plan DATA (KERNEL: the RTL kernel's, ``kernel_config``), with FOLDER/rtl/
    holding its engine (KERNEL: and the RTL kernel's files): in a built project a missing or edited file is
    a one-line error naming it, never silently replaced; WRITE (a scratch folder of a test harness, which
    has no rtl/ of its own) writes them when missing or stale."""
    cfg, files = _rtl_files(data, kernel)
    for name, text in files.items():
        path = Path(folder) / "rtl" / name
        current = path.read_text() if path.is_file() else None
        if current != text and not write:
            why = "missing" if current is None else "differs from what plan.json gives (edited, or another hlsgen)"
            how = "'hlsgen build'" if name == ENGINE_FILE or name in ENGINE_UNITS else "'hlsgen build --kernel both' (or rtl)"
            raise UserError(f"{path}: {why}; rebuild with {how}")
        if current != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_file(path) as tmp:
                tmp.write_text(text)
    return cfg
