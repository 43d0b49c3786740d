"""HTML building blocks shared by the report's sections: escaping, tables, pills,
figures, key-value lists, tiles and the numbered section card. Every value is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any


def e(x: Any) -> str:
    return escape("—" if x is None else str(x))


def table(
    head: list[str],
    rows: list[list[str]],
    *,
    numeric: set[int] | None = None,
    highlight: list[bool] | None = None,
    foot: list[str] | None = None,
    css: str = "",
) -> str:
    """``head`` is plain text; cells are HTML. ``numeric`` holds right-aligned column indices."""
    numeric = numeric or set()

    def cls(i: int) -> str:
        return ' class="n"' if i in numeric else ""

    th = "".join(f"<th{cls(i)}>{e(h)}</th>" for i, h in enumerate(head))
    body = []
    for r, cells in enumerate(rows):
        hl = ' class="hl"' if highlight and highlight[r] else ""
        body.append(
            f"<tr{hl}>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(cells)) + "</tr>"
        )
    tf = ""
    if foot:
        tf = (
            "<tfoot><tr>"
            + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(foot))
            + "</tr></tfoot>"
        )
    klass = f' class="{e(css)}"' if css else ""
    return (
        f'<div class="tablewrap"><table{klass}><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody>{tf}</table></div>"
    )


def pill(text: Any, kind: str | None = None) -> str:
    k = escape(str(kind if kind is not None else text)).replace(" ", "_")
    return f'<span class="pill {k}">{e(text)}</span>'


def figure(fig_id: str, figures: dict[str, str], caption: str, alt: str) -> str:
    data = figures.get(fig_id)
    if not data:
        return ""
    return (
        f'<figure><img alt="{e(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


LEGEND = (
    '<span class="legend"><i style="background:var(--real)"></i>real (training)'
    '<i style="background:var(--synth)"></i>synthetic</span>'
)


def section(key: str, no: int, title: str, body: str) -> str:
    return (
        f'<section class="card" id="{e(key)}"><h2><span class="secno">{no}</span>'
        f"{e(title)}</h2>{body}</section>"
    )


def kv(pairs: list[tuple[str, str]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def tile(k: str, v: str, s: str = "", bar: float | None = None) -> str:
    b = ""
    if bar is not None:
        width = max(0.0, min(1.0, bar)) * 100
        b = f'<div class="bar"><span style="width:{width:.1f}%"></span></div>'
    return (
        f'<div class="tile"><div class="k">{e(k)}</div><div class="v">{v}</div>'
        f'<div class="s">{s}</div>{b}</div>'
    )
