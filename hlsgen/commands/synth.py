"""hlsgen synth OUT: yosys synthesis estimate of the RTL twin, beside the analytic model.

Runs ``synth_xilinx -family xcup`` (UltraScale+, the Alveo cards' family) on
OUT/rtl/hlsgen_engine.v and its units hierarchically: the per-lane units (``LANE_UNITS``, the ones
the analytic model counts) get the ``keep_hierarchy`` attribute, so ``-flatten`` flattens each lane
unit's own submodules into it and the engine's other units (control, buffers, the arrays around the
lane units) into the top, but every distinct lane unit (every parameter set) is synthesized once,
and ``stat -top hlsgen_engine`` counts the engine as the top's own cells plus each unit's cells
times its instance count. A fully flattened run had not finished in 25 minutes: it sits in
``share`` (SAT-based resource sharing, synth_xilinx's coarse step), which compares the like cells
of every flattened unit instance with each other. Nothing is optimized across a unit's
boundary (a constant on a unit's port is not folded into it); the units are the ones the
analytic LUT model was measured on, each synthesized alone.

LUT, FF, DSP, BRAM36 and URAM are counted from the netlist statistics, per module and for the
whole engine; OUT/synth/resources.json gets both, OUT/report.md a "Synthesis estimate" section
(replaced on every run) with the plan's analytic resource model beside the totals and the
per-module table.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from ..emit import rtl
from ..errors import UserError
from ..plan.plan_file import Plan
from ..util import atomic_file, record

TOP = "hlsgen_engine"
# the engine's per-lane units: synthesized once each, counted by instances (the analytic LUT model's units)
LANE_UNITS = ("hlsgen_mac_pair", "hlsgen_requant", "hlsgen_add", "hlsgen_mul", "hlsgen_avg_tap", "hlsgen_avg_out",
              "hlsgen_f32_parts")
TIMEOUT_S = 1800
PROGRESS_S = 30                 # a progress line on stderr at most this often
TOOL = "yosys synth_xilinx -family xcup -flatten, the top's units kept (each synthesized once)"
SECTION = "## Synthesis estimate (yosys)"
# netlist cell -> (resource, amount); LUTRAM cells count the LUTs they occupy
CELLS = {
    **{f"LUT{i}": ("lut", 1) for i in range(1, 7)},
    **{c: ("ff", 1) for c in ("FDRE", "FDSE", "FDCE", "FDPE")},
    "DSP48E2": ("dsp", 1), "DSP48E1": ("dsp", 1),
    "RAMB36E2": ("bram36", 1), "RAMB18E2": ("bram36", 0.5), "RAMB36E1": ("bram36", 1), "RAMB18E1": ("bram36", 0.5),
    "URAM288": ("uram", 1),
    "RAM64M": ("lut", 4), "RAM32M": ("lut", 4), "RAM32M16": ("lut", 8), "RAM64M8": ("lut", 8),
    "RAM64X1D": ("lut", 2), "RAM32X1D": ("lut", 2), "RAM128X1D": ("lut", 4), "RAM256X1D": ("lut", 8),
    "RAM64X1S": ("lut", 1), "RAM32X1S": ("lut", 1), "SRL16E": ("lut", 1), "SRLC32E": ("lut", 1),
}
KEYS = ("lut", "ff", "dsp", "bram36", "uram")
_CELL = re.compile(r"^\s+(\S+)\s+(\d+)\s*$")
_SECTION = re.compile(r"^=== (.+) ===\s*$")
_STAMP = re.compile(r"^\[[\d.]+\] ")                 # yosys -t time stamps
_LTP = re.compile(r"Longest topological path in (\S+) \(length=(\d+)\)")


def resources(cells: dict) -> dict:
    """LUT, FF, DSP, BRAM36, URAM of a cell list {cell type: count}."""
    res = dict.fromkeys(KEYS, 0)
    for name, n in cells.items():
        if name in CELLS:
            key, amount = CELLS[name]
            res[key] += n * amount
    return res


def parse_stat(text: str) -> tuple[dict, dict]:
    """The cell lists of yosys ``stat``: ({module: {cell type: count}} of each module's own cells,
    {cell type: count} of the ``design hierarchy`` section, {} when there is none)."""
    sections, name, cells = {}, None, None
    for line in text.splitlines():
        line = _STAMP.sub("", line)
        m = _SECTION.match(line)
        if m:
            name, cells = m.group(1), None
            sections[name] = {}
        elif name is not None and line.strip().startswith("Number of cells:"):
            cells = sections[name]
        elif cells is not None:
            c = _CELL.match(line)
            if c:
                cells[c.group(1)] = int(c.group(2))
            elif line.strip():
                cells = None
    total = sections.pop("design hierarchy", {})
    return sections, total


def instances(modules: dict, top: str) -> dict:
    """How often each module stands in the design below TOP (TOP: once)."""
    memo = {}

    def below(name: str) -> dict:            # instances in one instance of NAME, NAME included
        if name not in memo:
            n = {name: 1}
            for cell, k in modules[name].items():
                if cell in modules:
                    for sub, j in below(cell).items():
                        n[sub] = n.get(sub, 0) + k * j
            memo[name] = n
        return memo[name]

    return below(top)


def count(stat_text: str, top: str = TOP, ltp_text: str = "") -> tuple[dict, list]:
    """Resources of the engine and per module from yosys ``stat -top TOP`` text: (total, rows);
    a row is {module, instances, <resource>: per instance, path: its longest path in LTP_TEXT,
    yosys ``ltp`` output (0: not measured)}. The total is yosys's design-hierarchy count; it must
    equal the sum of the rows times their instances."""
    modules, hier = parse_stat(stat_text)
    if top not in modules:
        raise RuntimeError(f"yosys stat lists no module {top}")
    n = instances(modules, top)
    paths = {m: int(k) for m, k in _LTP.findall(ltp_text)}
    rows = [{"module": name, "instances": n[name], **resources(modules[name]), "path": paths.get(name, 0)}
            for name in sorted(n)]
    summed = {k: sum(r[k] * r["instances"] for r in rows) for k in KEYS}
    total = resources(hier) if hier else summed
    if total != summed:
        raise RuntimeError(f"yosys stat: hierarchy total {total} differs from the modules' sum {summed}")
    return total, rows


def _stage(log: Path) -> str:
    """The pass yosys is in, from the end of its log (and the module, for ABC)."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, 2) - 65536))
            tail = f.read().decode(errors="replace")
    except OSError:
        return ""
    passes = re.findall(r"^(?:\[[\d.]+\] )?[\d.]+ Executing (\S+) pass", tail, flags=re.M)
    mods = re.findall(r"^(?:\[[\d.]+\] )?[\d.]+ Extracting gate netlist of module `\\?([^']+)'", tail, flags=re.M)
    stage = passes[-1] if passes else ""                 # "": none in the log's last 64 KiB
    return f"{stage} ({mods[-1]})" if stage == "ABC" and mods else stage


def run_yosys(script: str, log: Path, timeout: float = TIMEOUT_S, progress=sys.stderr) -> float:
    """Run yosys on SCRIPT, its log to LOG; a progress line at most every PROGRESS_S seconds.
    Returns the wall time in seconds."""
    t0 = time.perf_counter()
    last, stage = t0, "read_verilog"
    try:
        proc = subprocess.Popen(["yosys", "-q", "-t", "-l", str(log), "-p", script],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise UserError("yosys: not installed (scripts/setup.sh installs it)") from None
    try:
        while True:
            try:
                _, err = proc.communicate(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                now = time.perf_counter()
                if now - t0 > timeout:
                    proc.kill()
                    proc.communicate()
                    raise RuntimeError(f"yosys did not finish in {timeout:.0f} s (see {log})") from None
                if progress is not None and now - last >= PROGRESS_S:
                    last, stage = now, _stage(log) or stage
                    progress.write(f"synth: {now - t0:.0f} s, yosys in {stage}\n")
                    progress.flush()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        first = next((ln for ln in (err or "").splitlines() if "ERROR" in ln), "")
        raise RuntimeError(f"yosys failed{': ' + _STAMP.sub('', first.strip()) if first else ''} (see {log})")
    return time.perf_counter() - t0


def synth_verilog(verilog, out: Path, top: str = TOP, keep=None, progress=sys.stderr) -> tuple[float, dict, list]:
    """synth_xilinx on VERILOG (a file or a list of files) with the modules named in KEEP (None: TOP's
    direct submodules) kept as modules (each synthesized once, its own submodules flattened into it)
    and TOP flattened around them; OUT gets yosys.log, stat.txt and ltp.txt. Returns (seconds, total,
    rows) as ``count``, each row with ``path``: the cells on the module's longest combinational path
    (yosys ``ltp -noff``; a kept unit counts as one cell of the module around it)."""
    out.mkdir(parents=True, exist_ok=True)
    stat, ltp = out / "stat.txt", out / "ltp.txt"
    stat.unlink(missing_ok=True)
    ltp.unlink(missing_ok=True)
    files = " ".join(str(v) for v in ([verilog] if isinstance(verilog, (str, Path)) else verilog))
    kept = f"{top}/t:* %M" if keep is None else " ".join(keep)
    script = (f"read_verilog {files}; hierarchy -top {top}; "
              f"setattr -mod -set keep_hierarchy 1 {kept}; "               # the units stay modules
              f"synth_xilinx -family xcup -top {top} -flatten; "          # ... their insides are flattened
              f"tee -o {stat} stat -top {top}; tee -o {ltp} ltp -noff")
    seconds = run_yosys(script, out / "yosys.log", progress=progress)
    total, rows = count(stat.read_text(), top, ltp.read_text())
    return seconds, total, rows


def synthesize(project: Path, progress=sys.stderr) -> dict:
    """Run yosys on the project's engine; returns the measured resources and the run's facts."""
    plan = Plan.load(project)
    rtl.ensure(plan.data, project)
    seconds, total, rows = synth_verilog(rtl.engine_sources(project), project / "synth", keep=LANE_UNITS,
                                         progress=progress)
    e = plan.data.engine
    return {"tool": TOOL, "seconds": round(seconds, 1),
            "engine": {"pp": e.pp, "po": e.po, "pi": e.pi},
            "yosys": total, "model": plan.data.resources, "modules": rows}


def table(r: dict) -> str:
    """The report section: analytic model beside yosys, per resource, then yosys per module."""
    lines = [SECTION, "",
             f"{r['tool']} on rtl/{TOP}.v and its units ({' x '.join(k.upper() for k in r['engine'])} = "
             f"{' x '.join(str(v) for v in r['engine'].values())}), "
             f"{r['seconds']} s. The analytic model is hlsgen.plan.resources (plan.json `resources`).", "",
             "| resource | analytic model | yosys | yosys / model |", "|---|---:|---:|---:|"]
    for k in KEYS:
        m, y = r["model"].get(k, 0), r["yosys"][k]
        ratio = f"{y / m:.2f}" if m else "-"
        lines.append(f"| {k} | {m} | {y:g} | {ratio} |")
    lines += ["", "Per module (each synthesized once; its own cells, without those of the modules it "
              "instantiates; the engine total is the sum of instances x own cells). Longest path: the cells "
              "on the module's longest combinational path after synth_xilinx (yosys ltp -noff; LUTs, carry "
              "chains, muxes, DSPs; a kept unit is one cell of the module around it), a figure of how "
              "credible the clock is, not a timing result:", "",
              "| module | instances | " + " | ".join(KEYS) + " | longest path |",
              "|---|---:|" + "---:|" * (len(KEYS) + 1)]
    for row in r.get("modules", []):
        lines.append(f"| {row['module']} | {row['instances']} | "
                     + " | ".join(f"{row[k]:g}" for k in KEYS) + f" | {row['path']} |")
    dsp_mods = [f"{row['module']} ({row['instances']} x {row['dsp']:g})"
                for row in r.get("modules", []) if row["dsp"]]
    lines += ["", f"DSPs by module: {', '.join(dsp_mods) or 'none'}. "
              "The model: the MAC array packs two int8 products per DSP48E2, each requantizer takes two, each "
              "add unit two (its 10x24-bit products) and each mul unit one; every other product (pools, "
              "addresses) is built in fabric. "
              "LUT counts LUT1..LUT6 and LUTRAM/SRL cells (not MUXF7-9 or carry chains). "
              "LUT/FF/BRAM come from an FPGA-agnostic RTL twin (buffers as plain arrays) and are indicative.", ""]
    return "\n".join(lines)


def update_report(project: Path, section: str) -> None:
    path = project / "report.md"
    text = path.read_text() if path.exists() else ""
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        nxt = rest.find("\n## ")
        text = head + section + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with atomic_file(path) as tmp:
        tmp.write_text(text)


def main(args) -> int:
    project = Path(args.project).resolve()
    r = synthesize(project)
    with atomic_file(project / "synth" / "resources.json") as tmp:
        tmp.write_text(json.dumps(r, indent=1) + "\n")
    record(project, [project / "synth"])
    update_report(project, table(r))
    y, m = r["yosys"], r["model"]
    sys.stdout.write(f"{project}: yosys {y['dsp']:g} DSP (model {m['dsp']}), {y['lut']:g} LUT, {y['ff']:g} FF, "
                     f"{y['bram36']:g} BRAM36 in {r['seconds']} s; see report.md\n")
    return 0
