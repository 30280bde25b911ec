"""plan.json, weights.bin and report.md of a built project: Plan, written and read here only.

A Plan is plain data: ``data`` (what plan.json holds, typed: plan_types.PlanData), ``weights``
(weights.bin) and ``report`` (report.md). Everything downstream (tiled golden, emitters, RTL
test bench) reads ``data``; nothing reads the IR again. ``Plan.load`` refuses a plan.json
of another format, a damaged one (a key missing, unknown or of the wrong type), or another engine
register map, in one line naming the file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from .plan_types import PlanData


@dataclass
class Plan:
    data: PlanData
    weights: bytes
    report: str
    seconds: float = 0.0     # planning time (not written)

    def write(self, folder) -> Path:
        """Write plan.json, weights.bin and report.md into FOLDER (created, contents replaced)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plan.json").write_text(json.dumps(self.data.to_json(), indent=1) + "\n")
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
        data = PlanData.from_json(data, path)
        wpath = folder / "weights.bin"
        try:
            weights = wpath.read_bytes()
        except OSError as e:
            raise UserError(f"{wpath}: {e.strerror.lower() if e.strerror else 'unreadable'}; "
                            "rebuild with 'hlsgen build'") from None
        if len(weights) != data.weights_bytes:
            raise UserError(f"{wpath}: {len(weights):,} bytes, plan.json says {data.weights_bytes:,} "
                            "(truncated or from another build); rebuild with 'hlsgen build'")
        report = (folder / "report.md").read_text() if (folder / "report.md").exists() else ""
        return cls(data, weights, report)

