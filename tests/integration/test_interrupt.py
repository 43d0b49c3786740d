"""Ctrl-C and kill in the middle of a real ``synth release`` (issue #7, item 1).

The release is a subprocess of the ``synth`` console script on a small table. Once it
reports that fitting has started (the staging folder exists by then) it gets SIGINT or
SIGKILL. Afterwards the output location must hold either nothing (fresh target) or the
previous release byte for byte (``--overwrite`` over an old release):

* SIGINT: exit code 130, one ``interrupted`` line, and no staging folder left behind;
* SIGTERM: the same clean-up, exit code 143 (128 + 15);
* SIGKILL: no clean-up can run, so only the on-disk state is checked: the target is
  absent or untouched, and whatever is left is a hidden ``.*.staging`` folder that no one
  can take for a release, and the hidden ``.NAME.lock`` file (empty, its lock gone with the
  process: the next release takes it over).

The harness does not depend on how pytest was started: the child gets SIGINT's default
disposition back (a background job of a non-interactive shell inherits it ignored, and a
Python started with SIGINT ignored installs no Ctrl-C handler), the wait for the signal
point has a deadline of its own (a silent, hung child fails the test instead of blocking
it), it waits on states (a progress line, the staging folder), never on a fixed sleep,
and the child is killed in ``finally`` whatever the test's outcome.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from support import SYNTH, sample_head

ROWS = 1500
#: seconds the release may take to reach the fit before the test gives up (not a budget of
#: the release: a deadline so that a hung child fails instead of blocking the suite)
DEADLINE = 600


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> Path:
    return sample_head(
        sample_path, ROWS, tmp_path_factory.mktemp("interrupt") / "patients-small.csv"
    )


def _tree(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }


def _old_release(out: Path) -> None:
    out.mkdir()
    (out / "synthetic.csv").write_text("a,b\n1,2\n")
    (out / "release.json").write_text('{"passed": true}\n')
    (out / "report.html").write_text("<html>old</html>\n")


def _default_sigint() -> None:
    """In the child, before exec: SIGINT back to its default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _lines(stream: object, out: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        out.put(line)
    out.put(None)


def _start_and_signal(
    table: Path,
    schema: Path,
    out: Path,
    sig: signal.Signals,
    overwrite: bool,
    env_extra: dict[str, str] | None = None,
) -> tuple[int, str]:
    cmd = [SYNTH, "release", str(table), "--schema", str(schema), "--epsilon", "1"]
    cmd += ["--out", str(out), "--engine", "dpsgd", *(["--overwrite"] if overwrite else [])]
    env = {**os.environ, "SYNTH_PROGRESS": "0", **(env_extra or {})}  # plain "✓ stage" lines
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        preexec_fn=_default_sigint,
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + DEADLINE
        while True:  # the first stage inside the fit: the staging folder exists by then
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("the release printed nothing within the deadline:\n" + "".join(seen))
            if line is None:
                pytest.fail("the release ended before it could be interrupted:\n" + "".join(seen))
            seen.append(line)
            if "private domains" in line:
                break
        staging = [p for p in out.parent.iterdir() if p.name.endswith(".staging")]
        assert staging and proc.poll() is None, "".join(seen)
        proc.send_signal(sig)
        stdout = proc.stdout.read()
        proc.wait(timeout=DEADLINE)
        rest: list[str] = []
        while (line := lines.get(timeout=DEADLINE)) is not None:
            rest.append(line)
        return proc.returncode, "".join(seen + rest) + stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _leftovers(parent: Path) -> list[str]:
    """Entries of ``parent`` a person would take for output: anything not hidden."""
    return sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize(
    ("sig", "exit_code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["ctrl-c", "sigterm"],
)
@pytest.mark.parametrize("overwrite", [False, True], ids=["fresh-target", "over-old-release"])
def test_ctrl_c_leaves_old_state_or_nothing(
    table: Path,
    schema_path: Path,
    tmp_path: Path,
    overwrite: bool,
    sig: signal.Signals,
    exit_code: int,
) -> None:
    """SIGTERM (a supervisor, ``kill``, a container stop) cleans up as Ctrl-C does."""
    out = tmp_path / "release"
    if overwrite:
        _old_release(out)
    before = _tree(out)
    code, output = _start_and_signal(table, schema_path, out, sig, overwrite)
    assert code == exit_code, output
    lines = [line for line in output.splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "Traceback" not in output, output
    assert out.exists() == overwrite
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == (["release"] if overwrite else [])


def test_sigterm_removes_a_compressed_inputs_copy(
    table: Path, schema_path: Path, tmp_path: Path
) -> None:
    """A .csv.gz input is decompressed into a private folder under TMPDIR: SIGTERM in the
    middle of the release removes it with the staging folder (issue 20)."""
    import gzip

    data = tmp_path / "in" / "patients-small.csv.gz"
    data.parent.mkdir()
    data.write_bytes(gzip.compress(table.read_bytes()))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "release"
    code, output = _start_and_signal(
        data, schema_path, out, signal.SIGTERM, False, {"TMPDIR": str(tmpdir)}
    )
    assert code == 143, output
    assert not out.exists() and list(tmpdir.iterdir()) == []


@pytest.mark.parametrize("overwrite", [False, True], ids=["fresh-target", "over-old-release"])
def test_kill_leaves_old_state_or_nothing(
    table: Path, schema_path: Path, tmp_path: Path, overwrite: bool
) -> None:
    out = tmp_path / "release"
    if overwrite:
        _old_release(out)
    before = _tree(out)
    code, _ = _start_and_signal(table, schema_path, out, signal.SIGKILL, overwrite)
    assert code == -signal.SIGKILL
    assert out.exists() == overwrite
    assert _tree(out) == before
    assert _leftovers(tmp_path) == (["release"] if overwrite else [])
    # a staging folder, and the lock file whose lock the kernel dropped with the process
    hidden = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    staging = [p for p in hidden if p.name != ".release.lock"]
    assert all(p.name.startswith(".release.") and p.name.endswith(".staging") for p in staging)
    assert all(not (p / "release.json").exists() for p in staging)
