"""hlsgen synth OUT: yosys synthesis estimate of the RTL twin, beside the analytic model.

Runs ``synth_xilinx -family xcup -flatten`` (UltraScale+, the Alveo cards' family)
on OUT/rtl/hlsgen_engine.v, counts LUT, FF, DSP, BRAM36 and URAM from the
netlist statistics and writes OUT/synth/resources.json plus a "Synthesis
estimate" section in OUT/report.md (replaced on every run) with the plan's
analytic resource model beside the measured figures.
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
from ..plan.planner import Plan
from ..util import atomic_file

TIMEOUT_S = 1800
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


def count(stat_text: str) -> dict:
    """Resources from the cell list of yosys ``stat`` (the last, top-level listing)."""
    res = dict.fromkeys(KEYS, 0)
    cells = {}
    for name, n in re.findall(r"^\s+(\w+)\s+(\d+)\s*$", stat_text, flags=re.M):
        cells[name] = int(n)
    for name, n in cells.items():
        if name in CELLS:
            key, amount = CELLS[name]
            res[key] += n * amount
    return res


def synthesize(project: Path) -> dict:
    """Run yosys on the project's engine; returns the measured resources and the run's facts."""
    plan = Plan.load(project)
    rtl.ensure(plan.data, project)
    out = project / "synth"
    out.mkdir(exist_ok=True)
    engine = project / "rtl" / "hlsgen_engine.v"
    script = (f"read_verilog {engine}; synth_xilinx -family xcup -top hlsgen_engine -flatten; "
              f"tee -o {out / 'stat.txt'} stat")
    t0 = time.perf_counter()
    try:
        with open(out / "yosys.log", "w") as log:
            subprocess.run(["yosys", "-q", "-p", script], stdout=log, stderr=subprocess.STDOUT,
                           check=True, timeout=TIMEOUT_S)
    except FileNotFoundError:
        raise UserError("yosys: not installed (scripts/setup.sh installs it)") from None
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"yosys did not finish in {TIMEOUT_S} s (see {out / 'yosys.log'})") from None
    except subprocess.CalledProcessError:
        raise RuntimeError(f"yosys failed (see {out / 'yosys.log'})") from None
    seconds = time.perf_counter() - t0
    measured = count((out / "stat.txt").read_text())
    e = plan.data["engine"]
    return {"tool": "yosys synth_xilinx -family xcup -flatten", "seconds": round(seconds, 1),
            "engine": {"pi": e["pi"], "po": e["po"]}, "yosys": measured, "model": plan.data["resources"]}


def table(r: dict) -> str:
    """The report section: analytic model beside yosys, per resource."""
    lines = [SECTION, "",
             f"{r['tool']} on rtl/hlsgen_engine.v (PO x PI = {r['engine']['po']} x {r['engine']['pi']}), "
             f"{r['seconds']} s. The analytic model is hlsgen.plan.resources (plan.json `resources`).", "",
             "| resource | analytic model | yosys | yosys / model |", "|---|---:|---:|---:|"]
    for k in KEYS:
        m, y = r["model"].get(k, 0), r["yosys"][k]
        ratio = f"{y / m:.2f}" if m else "-"
        lines.append(f"| {k} | {m} | {y:g} | {ratio} |")
    lines += ["", "DSP: the MAC array packs two int8 products per DSP48E2 and each requantizer takes two; "
              "every other product (fused add, pools, addresses) is built in fabric. "
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
    project = Path(args.project)
    if not (project / "plan.json").is_file():
        raise UserError(f"{project}: not a built project (no plan.json; run 'hlsgen build' first)")
    r = synthesize(project)
    with atomic_file(project / "synth" / "resources.json") as tmp:
        tmp.write_text(json.dumps(r, indent=1) + "\n")
    update_report(project, table(r))
    y, m = r["yosys"], r["model"]
    sys.stdout.write(f"{project}: yosys {y['dsp']:g} DSP (model {m['dsp']}), {y['lut']:g} LUT, {y['ff']:g} FF, "
                     f"{y['bram36']:g} BRAM36 in {r['seconds']} s; see report.md\n")
    return 0
