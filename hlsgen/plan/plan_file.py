"""plan.json, weights.bin and report.md of a built project: Plan, written and read here only.

A Plan is plain data: ``data`` (what plan.json holds), ``weights`` (weights.bin)
and ``report`` (report.md). Everything downstream (tiled golden, emitters, RTL
test bench) reads ``data``; nothing reads the IR again. ``Plan.load`` refuses a plan.json
of another format, a damaged one, or another engine register map, in one line naming the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .invocation import Invocation, register_map_json


@dataclass
class Plan:
    data: dict
    weights: bytes
    report: str
    seconds: float = 0.0     # planning time (not written)

    @property
    def invocations(self) -> list:
        return [Invocation.from_json(d) for d in self.data["invocations"]]

    def write(self, folder) -> Path:
        """Write plan.json, weights.bin and report.md into FOLDER (created, contents replaced)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plan.json").write_text(json.dumps(self.data, indent=1) + "\n")
        (folder / "weights.bin").write_bytes(self.weights)
        (folder / "report.md").write_text(self.report)
        return folder

    @classmethod
    def load(cls, folder) -> "Plan":
        """The plan of a built project; a missing, truncated or edited plan.json or weights.bin is a
        one-line error naming the file."""
        folder = Path(folder)
        if not folder.is_dir():
            raise UserError(f"{folder}: no such folder (give the folder written by 'hlsgen build')")
        path = folder / "plan.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise UserError(f"{path}: missing; {folder} is not a built project (run 'hlsgen build')") from None
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise UserError(f"{path}: damaged ({type(e).__name__}); rebuild with 'hlsgen build'") from None
        if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
            found = data.get("format", "none") if isinstance(data, dict) else "none"
            raise UserError(f"{path}: plan format {found}, this hlsgen reads format {PLAN_FORMAT} (written by another "
                            "hlsgen); rebuild with 'hlsgen build'")
        missing = [k for k in PLAN_KEYS if k not in data]
        if missing:
            raise UserError(f"{path}: damaged (no {missing[0]!r}); rebuild with 'hlsgen build'")
        if data["registers"] != register_map_json():
            raise UserError(f"{path}: its engine register map is not this hlsgen's (written by another hlsgen); "
                            "rebuild with 'hlsgen build'")
        try:
            for inv in data["invocations"] + data["preload"]:
                Invocation.from_json(inv)
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(f"{path}: damaged invocation ({type(e).__name__}: {e}); "
                            "rebuild with 'hlsgen build'") from None
        wpath = folder / "weights.bin"
        try:
            weights = wpath.read_bytes()
        except OSError as e:
            raise UserError(f"{wpath}: {e.strerror.lower() if e.strerror else 'unreadable'}; "
                            "rebuild with 'hlsgen build'") from None
        if len(weights) != data["weights_bytes"]:
            raise UserError(f"{wpath}: {len(weights):,} bytes, plan.json says {data['weights_bytes']:,} "
                            "(truncated or from another build); rebuild with 'hlsgen build'")
        report = (folder / "report.md").read_text() if (folder / "report.md").exists() else ""
        return cls(data, weights, report)


# plan.json's format: raised whenever a reader would misread an older file (a key's meaning, the layout of
# weights.bin or of the activation memory); Plan.load refuses any other.
PLAN_FORMAT = 2

# What every reader of plan.json relies on (Plan.load checks them before anything runs).
PLAN_KEYS = ("target", "clock_mhz", "engine", "resources", "total_cycles", "fps", "macs", "macs_live",
             "compute_units",
             "act_bytes", "weights_bytes", "inputs", "outputs", "host", "layers", "tensors", "invocations",
             "preload", "registers")
