"""A Ctrl-C or SIGTERM that Python swallows on the way still stops the command."""

from __future__ import annotations

import os
import signal

import pytest
import typer

from synth.cli.common import progress_display, run


class _Finalised:
    """Its finalizer receives a signal: Python raises the signal's exception inside
    ``__del__``, prints "Exception ignored" and goes on (the ``regex`` module's finalizers
    did this to a release's Ctrl-C, 4 runs in 40)."""

    def __init__(self, sig: signal.Signals) -> None:
        self.sig = sig

    def __del__(self) -> None:
        os.kill(os.getpid(), self.sig)
        for _ in range(100_000):  # the handler runs here, inside the finalizer
            pass


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_lost_in_a_finalizer_stops_the_command_at_its_next_progress_report(
    sig: signal.Signals, code: int
) -> None:
    reached: list[str] = []

    def body() -> int:
        with progress_display() as progress:
            _Finalised(sig)  # collected at once; its finalizer swallows the interrupt
            reached.append("after the finalizer")
            progress("a stage", 1, 1)
            reached.append("after the progress report")
        return 0

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with pytest.raises(typer.Exit) as stopped:
        run(body)
    assert stopped.value.exit_code == code
    assert reached == ["after the finalizer"]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_command_without_a_signal_runs_to_its_end() -> None:
    with pytest.raises(typer.Exit) as done:
        run(lambda: 0)
    assert done.value.exit_code == 0
