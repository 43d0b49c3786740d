"""Atomic outputs: write to a temporary sibling, then rename.

An interrupted run leaves either the previous file or nothing, never half a file. A
whole output folder replaces an earlier one by one atomic exchange of the two folders
(Linux ``renameat2(RENAME_EXCHANGE)``); where the kernel or file system lacks it, by two
renames whose interruption is undone on the spot (Ctrl-C) or at the next release into
the same place (a kill between them). One release at a time writes a folder: it holds
an exclusive lock on a hidden ``.NAME.lock`` file next to it (:func:`folder_lock`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
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


#: renameat2 flag: swap two existing paths atomically (linux/fs.h)
RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return rc == 0


def _backup(final: Path) -> Path:
    return final.with_name(f".{final.name}.old")


def recover(final: Path) -> None:
    """Undo a replacement that a kill cut between its two renames: the previous release,
    set aside as ``.NAME.old``, goes back to ``NAME``."""
    backup = _backup(final)
    if backup.is_dir() and not final.exists():
        os.replace(backup, final)


def _replace_folder(stage: Path, final: Path) -> None:
    """Put ``stage`` at ``final``: a reader sees the old folder or the new one, never none."""
    if not final.exists():
        os.replace(stage, final)
        return
    if exchange(stage, final):  # the stage now holds the old release
        shutil.rmtree(stage, ignore_errors=True)
        return
    backup = _backup(final)
    if backup.exists():
        shutil.rmtree(backup)
    os.replace(final, backup)
    try:
        os.replace(stage, final)
    except BaseException:
        os.replace(backup, final)  # Ctrl-C between the renames: the old release is back
        raise
    shutil.rmtree(backup, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(final: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Build a whole output folder in a hidden staging folder, then move it into place.

    ``final`` must not exist, or be empty, unless ``overwrite`` is given. On any error
    (including Ctrl-C) the staging folder is removed and ``final`` is untouched.
    """
    final = Path(final)
    recover(final)
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
        _replace_folder(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def lock_path(final: Path) -> Path:
    """The lock file of output folder ``final``: hidden, next to it."""
    final = Path(final)
    return final.parent / f".{final.name}.lock"


def _missing_parents(path: Path) -> list[Path]:
    """The folders above ``path`` that do not exist yet, deepest first."""
    missing: list[Path] = []
    probe = path.parent if str(path.parent) else Path(".")
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    return missing


def _acquire(lock: Path, final: Path) -> int:
    """Open ``lock`` and take its exclusive ``flock`` without waiting; its fd."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise OutputError(
                f"{lock.parent}: cannot write in output folder ({exc.strerror})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(
                f"another release is writing {final}; wait for it to end or choose "
                f"another folder (its lock: {lock})"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"{lock}: cannot lock the output folder ({exc.strerror})") from None
        # the holder before us may have removed the file between our open and our lock:
        # then we locked a file no one else can see, and must lock the one at the path
        try:
            if os.path.samestat(os.fstat(fd), os.stat(lock)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def folder_lock(final: Path) -> Iterator[None]:
    """Hold the exclusive lock on writing output folder ``final``, or fail at once.

    A second writer while the lock is held gets :class:`OutputError` (exit 5) before any
    work. The lock is ``flock`` on ``.NAME.lock`` next to ``final``: the kernel drops it
    when its holder dies, so a killed release leaves at most an empty, unlocked file that
    the next release takes over. The file is removed on the way out (error and Ctrl-C
    included), and so are the parent folders made for it when nothing else went in them.
    """
    final = Path(final)
    made = _missing_parents(final)
    try:
        _prepare_parent(final)
        lock = lock_path(final)
        fd = _acquire(lock, final)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(lock)
            os.close(fd)
    finally:
        for folder in made:  # deepest first; the first one in use stops the rest
            try:
                folder.rmdir()
            except OSError:
                break
