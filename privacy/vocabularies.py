"""Public vocabularies: value sets a steward would declare for a column holding only them.

A column whose values are all in one of these sets (spelled exactly as in the data) gets
the **whole** set as its public category list in the draft, not the values seen: the
list says nothing about the rows beyond which spelling the column uses (like its type),
and the fit then spends no budget discovering a yes/no column's two values, and keeps a
rare one.

>>> public_vocabulary(["No", "Yes"]), public_vocabulary(["F"]), public_vocabulary(["x", "y"])
(['No', 'Yes'], ['F', 'M'], None)
"""

from __future__ import annotations

from collections.abc import Iterable

VOCABULARIES: tuple[tuple[str, ...], ...] = (
    ("F", "M"),
    ("Female", "Male"),
    ("female", "male"),
    ("FEMALE", "MALE"),
    ("N", "Y"),
    ("No", "Yes"),
    ("no", "yes"),
    ("NO", "YES"),
    ("False", "True"),
    ("false", "true"),
    ("FALSE", "TRUE"),
)


def public_vocabulary(values: Iterable[str]) -> list[str] | None:
    """The vocabulary that holds every value (as a list), or None."""
    seen = {str(v) for v in values}
    if not seen:
        return None
    for vocab in VOCABULARIES:
        if seen <= set(vocab):
            return list(vocab)
    return None
