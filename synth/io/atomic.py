"""Atomic outputs: write to a temporary sibling, then rename.

An interrupted run leaves either the previous file or nothing, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from synth.errors import OutputError


def _prepare_parent(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{parent}: cannot create output folder ({exc.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{parent}: output folder is not writable")


def _mkstemp(path: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # e.g. root in a read-only or virtual file system
        raise OutputError(
            f"{path.parent}: cannot write in output folder ({exc.strerror})"
        ) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    _prepare_parent(path)
    fd, tmp = _mkstemp(path)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what a plain open() would
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place on success."""
    path = Path(path)
    _prepare_parent(path)
    fd, tmp = _mkstemp(path)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_directory(final: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Build a whole output folder in a hidden staging folder, then move it into place.

    ``final`` must not exist, or be empty, unless ``overwrite`` is given. On any error
    (including Ctrl-C) the staging folder is removed and ``final`` is untouched.
    """
    final = Path(final)
    if final.exists():
        if not final.is_dir():
            raise OutputError(f"{final}: output path exists and is not a folder")
        if any(final.iterdir()) and not overwrite:
            raise OutputError(
                f"{final}: output folder is not empty (it may hold an earlier release); "
                "choose a new folder or pass --overwrite"
            )
    _prepare_parent(final)
    try:
        stage = Path(
            tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".staging", dir=final.parent)
        )
    except OSError as exc:
        raise OutputError(
            f"{final.parent}: cannot write in output folder ({exc.strerror})"
        ) from None
    os.chmod(stage, 0o777 & ~_umask())
    try:
        yield stage
        if final.exists():
            backup = final.with_name(f".{final.name}.old")
            if backup.exists():
                shutil.rmtree(backup)
            os.replace(final, backup)
            os.replace(stage, final)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
