"""Section 8: what the synthetic table should not be trusted for."""

from __future__ import annotations

from typing import Any

from synth.report.page.markup import e


def limits(s: dict[str, Any], figures: dict[str, str]) -> str:
    items = "".join(f"<li>{e(p)}</li>" for p in s.get("points", []))
    return (
        '<p class="lede">What this synthetic table should not be trusted for, from the '
        f'measurements above.</p><ul class="limits">{items}</ul>'
    )
