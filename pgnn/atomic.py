"""Atomic output files: write to a unique temporary file in the target folder, then `os.replace` it.

The temporary name comes from `tempfile.mkstemp` (created with O_EXCL, mode 0600, never a fixed `<out>.tmp`), so
a symlink planted beside the target is neither followed nor overwritten; `os.replace` swaps the directory entry of
the target itself (a symlink at the target is replaced, the file it pointed to is left alone). A reader never sees
a half-written file and a crash leaves the old file intact.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from pgnn.errors import PgnnError


def check_writable(path: str | Path, what: str = "output file") -> Path:
    """Raise PgnnError unless `path` can be written as a file: its folder exists and is writable, and `path`
    is not a folder. Call it before a long computation whose result goes to `path`."""
    path = Path(path).expanduser()
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise PgnnError(f"{path}: is a folder; give a file name for the {what}")
    if not parent.is_dir():
        raise PgnnError(f"{path}: folder {parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PgnnError(f"{path}: folder {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK) and not path.is_symlink():
        raise PgnnError(f"{path}: exists and is not writable")
    return path


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """`with atomic_open(path) as fh: fh.write(...)`: `path` appears complete when the block ends without an
    exception, and is untouched otherwise. mode "w" (text) or "wb" (bytes)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically (unique temp file in the same folder + os.replace)."""
    with atomic_open(path, "w", encoding=encoding) as fh:
        fh.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically (unique temp file in the same folder + os.replace)."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
