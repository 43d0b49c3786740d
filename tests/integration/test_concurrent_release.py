"""Two real ``synth release`` processes into one folder at once (issue 20): the second
fails at once with exit 5 and writes nothing, the first completes, and only the first
says RELEASED.

Deterministic without timing: the first release is frozen (SIGSTOP) once it reports its
first stage, when it holds the folder's lock; the second runs to its end meanwhile; then
the first is resumed (SIGCONT). Waits are on states (a progress line, process exit),
each with a deadline that only turns a hang into a failure.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from support import SYNTH, sample_head

ROWS = 1500
DEADLINE = 600


def _lines(stream: object, out: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)
    out.put(None)


def test_a_second_release_into_the_same_folder_fails_while_the_first_runs(
    sample_path: Path, schema_path: Path, tmp_path: Path
) -> None:
    table = sample_head(sample_path, ROWS, tmp_path / "patients-small.csv")
    out = tmp_path / "release"
    cmd = [SYNTH, "release", str(table), "--schema", str(schema_path), "--epsilon", "1"]
    cmd += ["--out", str(out)]
    env = {**os.environ, "SYNTH_PROGRESS": "0", "COLUMNS": "500"}
    first = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env=env, text=True,
    )  # fmt: skip
    try:
        assert first.stderr is not None and first.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_lines, args=(first.stderr, lines), daemon=True).start()
        seen: list[str] = []
        while True:  # its first stage: the lock is taken before the table is read
            try:
                line = lines.get(timeout=DEADLINE)
            except queue.Empty:
                pytest.fail("the first release printed nothing:\n" + "".join(seen))
            if line is None:
                pytest.fail("the first release ended early:\n" + "".join(seen))
            seen.append(line)
            if line.startswith("✓"):
                break
        first.send_signal(signal.SIGSTOP)
        try:
            second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=DEADLINE)
        finally:
            first.send_signal(signal.SIGCONT)
        stdout = first.stdout.read()
        first.wait(timeout=DEADLINE)
        while (line := lines.get(timeout=DEADLINE)) is not None:
            seen.append(line)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    said = second.stdout + second.stderr
    assert second.returncode == 5, said
    assert "another release is writing" in said and "RELEASED" not in said
    assert "Traceback" not in said
    first_said = stdout + "".join(seen)
    assert first.returncode in (0, 3), first_said
    assert ("RELEASED" in first_said) == (first.returncode == 0)
    assert (out / "release.json").exists() and (out / "report.html").exists()
    # nothing of the second one: no other folder, no staging left
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "patients-small.csv",
        "release",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".staging")]
