"""One self-contained HTML page: inline CSS, images as data: URIs, no scripts, no fetches.

The page is rendered from the Jinja2 templates in ``synth/report/templates`` (shipped as
package data, loaded from the installed package; nothing is fetched) with autoescaping on:
every value from the report, column names included, reaches the page escaped. The only
values marked safe are the figures' base64 PNG data, checked to be base64 first.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from synth.report.common import STD_RATIO_HIGH, STD_RATIO_WARN, fixed, fmt, num, pct, pp
from synth.report.remedies import RERUN
from synth.schema.io import REVIEWED

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

_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")


def png(data: str) -> Markup:
    """A figure's base64 PNG data, the one value the page takes unescaped: it is checked
    to hold base64 characters only, so it cannot close the attribute it sits in."""
    if not isinstance(data, str) or not _BASE64.fullmatch(data):
        raise ValueError("a report figure is not base64 data")
    return Markup(data)


def words(v: Any) -> str:
    """A parameter in words: marginals as 'age × sex', per-column values as 'age: 5',
    lists comma-separated (plain text; the template escapes it)."""
    if isinstance(v, float):
        return fmt(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {words(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        if v and all(isinstance(x, list) for x in v):
            return "[" + "; ".join(" × ".join(str(i) for i in x) for x in v) + "]"
        return "[" + ", ".join(words(x) for x in v) + "]"
    return str(v)


def words_pairs(d: dict[str, Any]) -> str:
    """'k = v' pairs, comma-separated, each value in words."""
    return ", ".join(f"{k} = {words(v)}" for k, v in d.items())


def _none_as_dash(value: Any) -> Any:
    """What ``{{ x }}`` prints: a missing value (None) as a dash, like the numbers' '—'."""
    return "—" if value is None else value


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("synth.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_none_as_dash,
    )
    env.filters.update(
        fmt=fmt, fixed=fixed, pct=pct, pp=pp, num=num, png=png, words=words, words_pairs=words_pairs
    )
    env.globals.update(
        CSP=CSP,
        REVIEWED=REVIEWED,
        RERUN=RERUN,
        STD_RATIO_WARN=STD_RATIO_WARN,
        STD_RATIO_HIGH=STD_RATIO_HIGH,
    )
    return env


def render_html(report: dict[str, Any], figures: dict[str, str]) -> str:
    """The report as one HTML page (print-friendly; nothing loaded from the network)."""
    page = environment().get_template("page.html.j2")
    return page.render(report=report, figures=figures, sections=SECTIONS)


def render_section(key: str, section: dict[str, Any], figures: dict[str, str]) -> str:
    """One section's body alone (``key`` as in ``SECTIONS``, not the verdict), e.g. to test it."""
    if key not in dict(SECTIONS) or key == "verdict":
        raise ValueError(f"no section template for {key!r}")
    tpl = environment().get_template(f"{key}.html.j2")
    return tpl.render(s=section, figures=figures, report={key: section})
