"""Small helpers shared by the stages: atomic outputs, progress."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .errors import UserError


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike):
    """Yield a temporary folder beside OUT; on success it replaces OUT, on failure it is removed.

    Nothing half-written is left behind: OUT either keeps its old content or gets the new one.
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except OSError as e:
        raise UserError(f"{out}: cannot write here ({e.strerror})") from None
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{out}: exists and is not a folder")
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
        os.rename(out, old / "x")
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """Yield a temporary path beside PATH; renamed onto PATH on success, removed on failure."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a file path")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    except OSError as e:
        raise UserError(f"{path}: cannot write here ({e.strerror})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal, else sparse lines)."""

    def __init__(self, total: int, label: str, stream=None):
        self.total = max(int(total), 1)
        self.label = label
        self.n = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()
        self._last_pct = -1

    def update(self, k: int = 1, note: str = "") -> None:
        self.n += k
        pct = min(100, 100 * self.n // self.total)
        if self.tty:
            bar = "#" * (pct // 4) + "." * (25 - pct // 4)
            self.stream.write(f"\r{self.label} [{bar}] {pct:3d}% {note[:40]:<40}")
            self.stream.flush()
        elif pct // 25 != self._last_pct // 25 or self.n == self.total:
            self.stream.write(f"{self.label}: {pct}%\n")
        self._last_pct = pct

    def close(self) -> None:
        dt = time.monotonic() - self.t0
        if self.tty:
            self.stream.write(f"\r{self.label} done in {dt:.1f} s{' ' * 60}\n")
        else:
            self.stream.write(f"{self.label}: done in {dt:.1f} s\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
