"""Replacing a release folder: a reader finds the old release or the new one, never none.

The swap is one atomic exchange where the system has it; the two-rename fallback must
undo itself when interrupted between its renames (Ctrl-C), and a kill there (no clean-up
runs) is undone by the next release into the same place.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synth.errors import OutputError
from synth.io import atomic
from synth.io.atomic import staged_directory


def _old(out: Path) -> None:
    out.mkdir()
    (out / "release.json").write_text("old\n")


def _new_release(out: Path) -> None:
    with staged_directory(out, overwrite=True) as stage:
        (stage / "release.json").write_text("new\n")


def test_overwrite_replaces_the_release_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    _old(out)
    _new_release(out)
    assert (out / "release.json").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_the_swap_is_atomic_here(tmp_path: Path) -> None:
    """On this machine (Linux) the exchange is one renameat2 call: no moment without a
    release."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    assert atomic.exchange(a, b)
    assert (b / "x").read_text() == "a" and not (a / "x").exists()


def test_interrupt_between_the_fallback_renames_restores_the_old_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rel"
    _old(out)
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)  # no RENAME_EXCHANGE
    real = os.replace
    calls = {"n": 0}

    def replace(src: object, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the old release was set aside, before the new is in
            raise KeyboardInterrupt
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        _new_release(out)
    monkeypatch.setattr(atomic.os, "replace", real)
    assert (out / "release.json").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_a_kill_between_the_renames_is_undone_by_the_next_release(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    _old(out)
    os.replace(out, tmp_path / ".rel.old")  # the state a kill leaves: old set aside
    assert not out.exists()
    # restored, and so protected: a release without --overwrite refuses the folder
    with pytest.raises(OutputError, match="not empty"), staged_directory(out):
        pass
    assert (out / "release.json").read_text() == "old\n"
    _new_release(out)
    assert (out / "release.json").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


# -- one writer per folder (issue 20) --------------------------------------------------------


def _hold(out: Path) -> int:
    """Take the folder's lock as another release would (flock conflicts between two open
    files, in one process too)."""
    import fcntl

    fd = os.open(atomic.lock_path(out), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_a_second_writer_fails_at_once_and_leaves_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    fd = _hold(out)
    try:
        with (
            pytest.raises(OutputError, match="another release is writing .*rel"),
            atomic.folder_lock(out),
        ):
            pytest.fail("entered a folder another release holds")
        assert atomic.lock_path(out).exists()  # the holder's lock is not removed
        assert not out.exists()
    finally:
        os.close(fd)


def test_the_lock_is_removed_on_success_and_on_error(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    with atomic.folder_lock(out):
        assert atomic.lock_path(out).exists()
        _new_release(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]
    with pytest.raises(KeyboardInterrupt), atomic.folder_lock(out):
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_a_dead_holders_lock_file_is_taken_over(tmp_path: Path) -> None:
    """A killed release leaves its (empty) lock file, but the kernel dropped its lock."""
    out = tmp_path / "rel"
    os.close(_hold(out))  # closed: as when its holder died
    with atomic.folder_lock(out):
        _new_release(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_parents_made_for_the_lock_go_when_nothing_was_written(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic.folder_lock(tmp_path / "a" / "b" / "rel"):
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with atomic.folder_lock(tmp_path / "a" / "b" / "rel"):
        _new_release(tmp_path / "a" / "b" / "rel")
    assert (tmp_path / "a" / "b" / "rel" / "release.json").exists()
