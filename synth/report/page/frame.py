"""The page around the sections: the header's meta line, the steward sign-off box and
the footer notice.
"""

from __future__ import annotations

from typing import Any

from synth.report.common import fmt
from synth.report.page.markup import e

FOOTER = (
    "This report contains aggregate statistics of the real data. Share it only with "
    "people allowed to see them."
)


def meta_line(meta: dict[str, Any]) -> str:
    parts = [f"generated {e(meta.get('generated_at'))}"]
    if meta.get("tool_version"):
        parts.append(f"steward-synth {e(meta['tool_version'])}")
    rows = meta.get("rows", {})
    if rows.get("training_estimate") is not None:
        parts.append(f"≈ {fmt(rows['training_estimate'])} training rows (DP estimate)")
    parts.append(f"{fmt(rows.get('synthetic'))} synthetic rows")
    return " · ".join(parts)


def signature() -> str:
    return (
        '<section class="card" id="signoff"><h2>Steward sign-off</h2>'
        '<p class="lede">I have reviewed this report and the release decision above.</p>'
        '<div class="sign"><div>Name</div><div>Signature</div><div>Date</div></div>'
        "</section>"
    )
