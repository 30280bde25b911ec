"""Small helpers shared by the stages: the user's files kept safe, progress.

Output folders.  Every folder hlsgen writes carries a manifest (``.hlsgen-manifest.json``) listing the
files hlsgen wrote there.  ``output_dir(OUT)`` writes a new content beside OUT and moves it in only
when everything was written; OUT may be replaced only when it is new, empty or carries a manifest,
and then only the files the manifest lists (and those of manifests nested in it) are removed: a
user's own files in it, or a working directory below it, stay.  Any other non-empty folder is
refused with one line naming it.  Commands that add files to a built folder later (simulation,
synthesis) list them with ``record``.

Output files.  A single file named by the user (``--output Y.npy``, ``-o model.onnx``) is written by
``output_file``: a file already there is replaced only when hlsgen wrote it and nobody changed it
since (a small record of the files hlsgen wrote, with their size and modification time, kept in
the user's state folder: ``$HLSGEN_STATE_DIR``, else ``$XDG_STATE_HOME/hlsgen``, else
``~/.local/state/hlsgen``).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .errors import UserError

MANIFEST = ".hlsgen-manifest.json"


# -- output folders ---------------------------------------------------------------------------

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _manifest_files(folder: Path) -> list | None:
    """The relative paths FOLDER's manifest lists, or None when it has none (or an unreadable one)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text())
        files = doc["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, list):
        return None
    safe = []
    for f in files:
        p = Path(str(f))
        if p.is_absolute() or ".." in p.parts or not p.parts:
            continue              # a manifest only ever speaks of its own folder
        safe.append(p.as_posix())
    return safe


def owned(folder) -> set:
    """Every file below FOLDER that hlsgen wrote: its manifest's files and those of the manifests
    nested in it (a project inside a comparison), as paths relative to FOLDER."""
    folder = Path(folder)
    files = _manifest_files(folder)
    if files is None:
        return set()
    out = set(files) | {MANIFEST}
    for f in files:
        p = Path(f)
        if p.name == MANIFEST and len(p.parts) > 1:
            out |= {(p.parent / g).as_posix() for g in owned(folder / p.parent)}
    return out


def _write_manifest(folder: Path, files) -> None:
    from . import __version__
    doc = {"written_by": f"hlsgen {__version__}",
           "note": "files hlsgen wrote here; hlsgen removes only these when it writes this folder again",
           "files": sorted(set(files) - {MANIFEST})}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, folder / MANIFEST)


def _files_below(folder: Path) -> list:
    """Relative paths of every file (and link) below FOLDER."""
    out = []
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.append(Path(os.path.relpath(os.path.join(root, name), folder)).as_posix())
    return out


def check_writable_folder(out) -> None:
    """Refuse OUT unless it is new, an empty folder, or a folder hlsgen wrote (one line naming it)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and _manifest_files(out) is None:
        raise UserError(f"{out}: folder is not empty and was not written by hlsgen (no {MANIFEST}); "
                        "give a new or empty folder")


@contextlib.contextmanager
def output_dir(out: str | os.PathLike):
    """Yield a temporary folder beside OUT; on success its files move into OUT, replacing only what
    hlsgen wrote there before; on failure it is removed and OUT is left as it was."""
    out = Path(out)
    check_writable_folder(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.hlsgen-", dir=parent))
        os.chmod(tmp, 0o777 & ~_umask())     # mkdtemp makes it owner-only; the result is a plain folder
    except OSError as e:
        raise UserError(f"{out}: cannot write here ({e.strerror})") from None
    try:
        yield tmp
        _write_manifest(tmp, _files_below(tmp))
        check_writable_folder(out)            # again: the folder may have changed while we worked
        if out.exists():
            _merge(tmp, out)
        else:
            os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _merge(new: Path, out: Path) -> None:
    """Move NEW's files into OUT: hlsgen's old files there are replaced or removed, nothing else is touched."""
    old = owned(out)
    incoming = _files_below(new)
    for rel in incoming:                       # refuse before changing anything
        dest = out / rel
        if (dest.exists() or dest.is_symlink()) and rel not in old and rel != MANIFEST:
            raise UserError(f"{dest}: exists and was not written by hlsgen; move it away or give another folder")
        for p in Path(rel).parents:
            d = out / p
            if str(p) != "." and (d.is_file() or d.is_symlink()) and p.as_posix() not in old:
                raise UserError(f"{d}: exists and was not written by hlsgen; move it away or give another folder")
    _write_manifest(out, old | set(incoming))  # a crash from here on leaves every file of ours listed
    for rel in incoming:
        if rel == MANIFEST:
            continue
        dest = out / rel
        for p in reversed(Path(rel).parents):  # an old file of ours where a folder goes now
            d = out / p
            if str(p) != "." and (d.is_file() or d.is_symlink()):
                d.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new / rel, dest)
    stale = old - set(incoming) - {MANIFEST}
    for rel in sorted(stale, key=lambda r: -r.count("/")):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            (out / rel).unlink()
    _remove_empty_parents(out, stale)
    _write_manifest(out, incoming)


def _remove_empty_parents(root: Path, rels) -> None:
    """Remove the folders that held the files RELS when nothing is left in them (never ROOT, never the
    working directory)."""
    cwd = Path.cwd().resolve()
    dirs = {p for rel in rels for p in Path(rel).parents if str(p) != "."}
    for d in sorted(dirs, key=lambda p: -len(p.parts)):
        path = root / d
        if path.resolve() != cwd:
            with contextlib.suppress(OSError):
                path.rmdir()                   # only when empty


def claim_folder(out) -> Path:
    """OUT as a folder hlsgen fills file by file (a resumable sweep): new, empty or hlsgen's (one line
    naming it otherwise); created with an empty manifest when new.  Each file written goes to
    ``record``."""
    out = Path(out)
    check_writable_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"{out}: cannot write here ({e.strerror})") from None
    if _manifest_files(out) is None:
        _write_manifest(out, [])
    return out


def record(folder, paths) -> None:
    """List PATHS (files hlsgen just wrote below FOLDER) in FOLDER's manifest; a folder without a
    manifest (not written by hlsgen build) is left as it is."""
    folder = Path(folder)
    files = _manifest_files(folder)
    if files is None:
        return
    add = set()
    for p in paths:
        p = Path(p)
        below = [p] if p.is_file() else [p / f for f in _files_below(p)] if p.is_dir() else []
        for f in below:
            with contextlib.suppress(ValueError):
                add.add(Path(os.path.relpath(f, folder)).as_posix())
    if not add <= set(files):
        _write_manifest(folder, set(files) | add)


def is_owned(folder, path) -> bool:
    """PATH (below FOLDER) is a file hlsgen wrote there."""
    try:
        rel = Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:
        return False
    return rel in owned(folder)


# -- output files -------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """Yield a temporary path beside PATH; renamed onto PATH on success, removed on failure.

    For files inside hlsgen's own folders; a path the user names goes through ``output_file``."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a file path")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    except OSError as e:
        raise UserError(f"{path}: cannot write here ({e.strerror})") from None
    os.fchmod(fd, 0o666 & ~_umask())         # mkstemp makes it owner-only; the result is a plain file
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _state_dir() -> Path:
    if os.environ.get("HLSGEN_STATE_DIR"):
        return Path(os.environ["HLSGEN_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "hlsgen"


@contextlib.contextmanager
def _written_record():
    """The record of files hlsgen wrote (path -> [size, mtime_ns]), locked while in use; None when the
    state folder cannot be written."""
    folder = _state_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(folder / "written.lock", "a")
    except OSError:
        yield None
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            doc = json.loads((folder / "written.json").read_text())
            if not isinstance(doc, dict):
                doc = {}
        except (OSError, ValueError):
            doc = {}
        yield doc
        if len(doc) > 20000:                   # forget the oldest files first
            for key in list(doc)[: len(doc) - 20000]:
                del doc[key]
        with contextlib.suppress(OSError):
            tmp = folder / "written.json.tmp"
            tmp.write_text(json.dumps(doc))
            os.replace(tmp, folder / "written.json")


def _stamp(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def check_output_file(path, option: str = "") -> Path:
    """PATH, once sure hlsgen may write it: new, or a file hlsgen wrote and nobody changed since.
    OPTION (e.g. '--output') is named in the error."""
    path = Path(path)
    label = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise UserError(f"{label}: is a folder, expected a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{label}: the folder {parent} does not exist")
    if path.exists() or path.is_symlink():
        with _written_record() as doc:
            ours = doc is not None and path.is_file() and not path.is_symlink() \
                and doc.get(str(path.resolve())) == _stamp(path)
        if not ours:
            raise UserError(f"{label}: exists and was not written by hlsgen (or was changed since); "
                            "remove it or give another path")
    return path


@contextlib.contextmanager
def output_file(path: str | os.PathLike, option: str = ""):
    """``atomic_file`` for a path the user names: refuses to replace a file hlsgen did not write."""
    path = check_output_file(path, option)
    with atomic_file(path) as tmp:
        yield tmp
    with _written_record() as doc:
        if doc is not None:
            doc.pop(str(path.resolve()), None)           # re-inserted: the newest entry (pruned last)
            doc[str(path.resolve())] = _stamp(path)


# -- progress -----------------------------------------------------------------------------------

class Progress:
    """Progress of a long step on stderr: a tqdm bar on a terminal; otherwise a plain line at most
    every 30 seconds and one when done."""

    EVERY = 30.0

    def __init__(self, total: int, label: str, stream=None):
        self._total = max(int(total), 1)
        self.label = label
        self.n = 0
        self.stream = stream or sys.stderr
        self.t0 = self._last = time.monotonic()
        self.bar = None
        if self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=self._total, desc=label, file=self.stream, leave=False,
                            bar_format="{desc}: {percentage:3.0f}%|{bar:25}| {n}/{total}{postfix}")

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, n: int) -> None:
        """The number of steps, when it is known only once the work has started."""
        self._total = max(int(n), 1)
        if self.bar is not None:
            self.bar.total = self._total
            self.bar.refresh()

    def update(self, k: int = 1, note: str = "") -> None:
        self.n += k
        if self.bar is not None:
            self.bar.set_postfix_str(note[:40], refresh=False)
            self.bar.update(k)
            return
        now = time.monotonic()
        if now - self._last >= self.EVERY and self.n < self.total:
            self.stream.write(f"{self.label}: {self.n}/{self.total}{' (' + note + ')' if note else ''}\n")
            self.stream.flush()
            self._last = now

    def close(self, done: bool = True) -> None:
        """End the bar; DONE: say how long it took (not when the work failed: its error says why)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if done:
            self.stream.write(f"{self.label}: done in {time.monotonic() - self.t0:.1f} s\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(done=exc_type is None)


def require(module: str, extra: str, what: str) -> None:
    """A one-line error naming the pip command unless MODULE (of the package's EXTRA) is installed."""
    import importlib.util
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UserError(f"{what} needs the '{extra}' extra ({module.split('.')[0]} is not installed): "
                        f"pip install 'hlsgen[{extra}]'")
