"""Section 6: protected groups' shares and outcome rates, real vs synthetic."""

from __future__ import annotations

from typing import Any

from synth.report.common import fmt, num, pct, pp
from synth.report.page.markup import LEGEND, e, figure, pill, table


def bias(s: dict[str, Any], figures: dict[str, str]) -> str:
    tol = s.get("tolerances", {})
    lede = (
        f"Protected groups: their share of rows and, with a target, their outcome rate, real "
        f"vs synthetic. A group is flagged when its share moved by more than "
        f"{fmt(100 * (num(tol.get('share_points')) or 0))} percentage points or its rate by "
        f"more than {fmt(100 * (num(tol.get('rate_points')) or 0))} points. Groups with "
        f"fewer than about {fmt(tol.get('small_group_rows'))} real rows are marked small: "
        "there, DP noise dominates."
    )
    out = [f'<p class="lede">{lede}</p>']
    if s.get("note"):
        out.append(f'<p class="note">{e(s["note"])}</p>')
    for a in s.get("attributes", []):
        out.append(f"<h3>{e(a['column'])}</h3>")
        if a.get("skipped"):
            out.append(f'<p class="note">Skipped: {e(a["skipped"])}.</p>')
            continue
        has_rate = a.get("outcome") is not None
        head = ["group", "share real", "share synthetic", "change"]
        if has_rate:
            head += ["rate real", "rate synthetic", "change"]
        head.append("")
        rows, hl = [], []
        for g in a["groups"]:
            r = [
                e(g["group"]),
                pct(g["share_real"]),
                pct(g["share_synthetic"]),
                pp(g["share_diff"]),
            ]
            if has_rate:
                mean = str(a["outcome"]).startswith("mean ")
                r += (
                    [fmt(g.get("rate_real")), fmt(g.get("rate_synthetic")), fmt(g.get("rate_diff"))]
                    if mean
                    else [
                        pct(g.get("rate_real")),
                        pct(g.get("rate_synthetic")),
                        pp(g.get("rate_diff")),
                    ]
                )
            tags = [pill(f"{f} moved", "flag") for f in g["flags"]]
            if g.get("small"):
                tags.append(pill("small", "small"))
            if g.get("only_synthetic"):
                tags.append(pill("only in synthetic", "new"))
            r.append(" ".join(tags))
            rows.append(r)
            hl.append(bool(g["flags"]))
        out.append(
            f'<p class="note">Grouping: {e(a.get("grouping"))}'
            + (f"; outcome: {e(a['outcome'])}" if has_rate else "")
            + "</p>"
        )
        out.append(table(head, rows, numeric=set(range(1, len(head) - 1)), highlight=hl))
    out.append(
        figure(
            "bias",
            figures,
            f"{LEGEND} — group shares and outcome rates.",
            "group shares and outcome rates",
        )
    )
    return "".join(out)
