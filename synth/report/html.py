"""One self-contained HTML page: inline CSS, images as data: URIs, no scripts, no fetches."""

from __future__ import annotations

from html import escape
from typing import Any

from synth.report.page.bias import bias
from synth.report.page.diversity import diversity
from synth.report.page.fidelity import fidelity
from synth.report.page.frame import FOOTER, meta_line, signature
from synth.report.page.leakage import leakage
from synth.report.page.ledger import ledger
from synth.report.page.limits import limits
from synth.report.page.markup import section
from synth.report.page.pii_scan import pii_scan
from synth.report.page.verdict import verdict
from synth.report.style import CSS

#: the page may load nothing: images are data: URIs, styles are inline, scripts are refused
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

SECTIONS: list[tuple[str, str]] = [
    ("verdict", "Verdict"),
    ("pii_scan", "PII scan"),
    ("ledger", "Privacy ledger"),
    ("leakage", "Leakage check"),
    ("fidelity", "Fidelity"),
    ("bias", "Bias"),
    ("diversity", "Diversity"),
    ("limits", "Limits"),
]


def render_html(report: dict[str, Any], figures: dict[str, str]) -> str:
    """The report as one HTML page (print-friendly; nothing loaded from the network)."""
    meta = report.get("meta", {})
    name = escape(str(meta.get("dataset", "dataset")))
    renderers = {
        "pii_scan": pii_scan,
        "ledger": ledger,
        "leakage": leakage,
        "fidelity": fidelity,
        "bias": bias,
        "diversity": diversity,
        "limits": limits,
    }
    toc = "".join(
        f'<a href="#{key}">{i}. {escape(title)}</a>'
        for i, (key, title) in enumerate(SECTIONS, start=1)
    )
    body = [verdict(report.get("verdict", {}), report), f'<nav class="toc">{toc}</nav>']
    for i, (key, title) in enumerate(SECTIONS[1:], start=2):
        if key in report:
            body.append(section(key, i, title, renderers[key](report[key], figures)))
    status = "RELEASED" if report.get("verdict", {}).get("released") else "BLOCKED"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{status} · release report · {name}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header class="top">
<div class="kicker">steward-synth · synthetic data release report</div>
<h1>{name}</h1>
<div class="meta">{meta_line(meta)}</div>
</header>
{"".join(body)}
{signature()}
<footer>{escape(FOOTER)}</footer>
</main>
</body>
</html>
"""
