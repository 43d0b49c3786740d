"""The release report: what a data steward reads and signs before synthetic data leaves.

>>> # doctest: +SKIP
>>> report, figures = build_report(train=train, synthetic=syn, schema=schema,
...                                leakage=result.to_dict(), model=model.describe(),
...                                released=result.passed, holdout=holdout)
>>> write_report(Path("out"), report, figures)  # report.json + report.html

Sections, in order: verdict, pii_scan, ledger, leakage, fidelity, bias, diversity,
limits. The JSON holds the same figures as the page; the page is one self-contained
HTML file (inline CSS, images as data: URIs, no scripts). Neither ever contains a
value of a direct-identifier or free-text column, nor any row of real data.
"""

from synth.report.build import build_report, write_check_report, write_report
from synth.report.html import render_html

__all__ = ["build_report", "render_html", "write_check_report", "write_report"]
