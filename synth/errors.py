"""Errors with documented exit codes.

Every error the tool raises on purpose derives from :class:`StewardError`. Its
message names the file, the column and the problem, and never a value from the
data. The CLI maps each class to an exit code:

======  ===============================================================
code    meaning
======  ===============================================================
0       success (``check``/``release``: the leakage gate passed)
1       unexpected internal error (a bug: please report it)
2       bad input: missing/unreadable/empty file, malformed data or schema,
        or a table too large for the memory available
3       the leakage gate blocked the release
4       privacy budget impossible (epsilon/delta out of range, too few rows)
5       output cannot be written (not writable, already holds a release, or
        another release is writing it)
130     interrupted (Ctrl-C); nothing half-written is left behind
143     terminated (SIGTERM); cleaned up as after Ctrl-C
======  ===============================================================
"""

from __future__ import annotations


class StewardError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(StewardError):
    """A data file is missing, unreadable, empty or malformed."""

    exit_code = 2


class TooLargeError(InputError):
    """A table would not fit in the memory available (refused before reading it)."""


class SchemaError(InputError):
    """A schema file is invalid or contradicts the data."""


class BudgetError(StewardError):
    """The requested (epsilon, delta) cannot be met."""

    exit_code = 4


class OutputError(StewardError):
    """An output location cannot be written safely."""

    exit_code = 5


class ArtifactError(InputError):
    """A model artifact is truncated, tampered with or of an unknown version."""


class GateBlocked(StewardError):
    """The leakage gate blocked the release."""

    exit_code = 3
