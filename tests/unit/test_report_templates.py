"""The report page is rendered by autoescaped Jinja2 templates: a column name, category or
note that holds markup reaches the page only escaped; the figures' base64 data are the
one value taken as is, and only when they are base64."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from synth.report import render_html
from synth.report.html import environment, render_section

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAAB"
    "JRU5ErkJggg=="
)


class _Tags(HTMLParser):
    """Every start tag and every attribute name the browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [a for a, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def _report(name: str) -> dict[str, Any]:
    """A report whose every free-text field that can come from the data holds ``name``."""
    col = {
        "column": name,
        "type": "categorical",
        "role": "quasi_identifier",
        "entity": name,
        "hipaa": name,
        "action": "keep",
        "generalise": name,
        "output": "modelled",
        "confidence": 0.9,
        "evidence": [f"column name {name}"],
    }
    metric = {
        "name": "dcr_share",
        "plain_name": name,
        "value": 0.6,
        "baseline": 0.5,
        "interval": [0.55, 0.65],
        "threshold": 0.55,
        "verdict": "block",
        "explanation": name,
    }
    return {
        "meta": {"dataset": name, "generated_at": "2026-01-01", "rows": {"synthetic": 10}},
        "verdict": {
            "released": False,
            "reason": f"blocked on {name}",
            "epsilon": {"spent": 0.5, "budget": 1.0},
            "delta": {"spent": 1e-6, "budget": 1e-5},
            "attention": [f"look at {name}"],
            "remedies": [
                {
                    "metric": "dcr_share",
                    "plain": name,
                    "causes": [name],
                    "remedies": [f"drop {name}"],
                }
            ],
            "not_covered": [name],
        },
        "provenance": {
            "available": True,
            "inputs": [{"path": name, "sha256": "ab" * 32}],
            "files": {name: {"sha256": "cd" * 32}},
            "argv": ["synth", name],
            "dependencies": {name: name},
        },
        "pii_scan": {
            "columns": [col],
            "roles": {name: 1},
            "free_text_entities": {name: 2},
            "surrogates": [name],
            "not_released": [{"column": name, "action": "drop", "why": name}],
        },
        "ledger": {
            "available": True,
            "charges": [
                {
                    "purpose": name,
                    "target": name,
                    "parameters": {"mechanism": name, "columns": [[name, name]]},
                    "epsilon_alone": 0.1,
                }
            ],
            "engine": name,
            "engine_reason": name,
            "training": {"selected": [[name]]},
            "domains": [{"column": name}],
        },
        "leakage": {
            "metrics": [metric],
            "columns_used": [name],
            "warnings": [name],
            "unit": {"column": name},
            "dcr_quantiles": {name: {name: 1.0}},
            "attacks": {
                "inference": [{"name": name, "knows": name}],
                "auxiliary_columns": [name],
                "not_attacked": [name],
            },
        },
        "fidelity": {
            "columns": [
                {
                    "column": name,
                    "kind": "categorical",
                    "tvd": 0.2,
                    "moved_values": [{"value": name, "share_real": 0.1, "share_synthetic": 0.2}],
                }
            ],
            "skipped": [{"column": name, "reason": name}],
            "constraints": [{"constraint": name, "violations_real": 0, "violations_synthetic": 0}],
            "marginals": {
                "association": {
                    "largest_differences": [
                        {
                            "columns": [name, name],
                            "v_real": 0.1,
                            "v_synthetic": 0.2,
                            "v_difference": 0.1,
                            "tvd": 0.1,
                        }
                    ]
                }
            },
            "tstr": {"skipped": name},
            "panels_note": name,
        },
        "bias": {
            "note": name,
            "attributes": [
                {
                    "column": name,
                    "grouping": name,
                    "outcome": name,
                    "groups": [
                        {
                            "group": name,
                            "share_real": 0.5,
                            "share_synthetic": 0.5,
                            "share_diff": 0.0,
                            "flags": [name],
                        }
                    ],
                }
            ],
        },
        "diversity": {
            "warnings": [name],
            "rare_categories": {
                "by_column": [
                    {"column": name, "rare_categories": 1, "in_synthetic": 1, "coverage": 1.0}
                ]
            },
            "tails": {
                "note": name,
                "by_column": [
                    {
                        "column": name,
                        "tail_share_real": 0.1,
                        "tail_share_synthetic": 0.1,
                        "std_ratio": 1.0,
                    }
                ],
            },
        },
        "limits": {"points": [name]},
    }


@pytest.mark.parametrize("name", [SCRIPT, IMG])
def test_markup_in_a_column_name_reaches_the_page_only_escaped(name: str) -> None:
    page = render_html(_report(name), {"marginals": PNG})
    assert name not in page
    parsed = _parse(page)
    assert "script" not in parsed.tags
    assert parsed.tags.count("img") == 1  # the figure, nothing injected
    assert "onerror" not in parsed.attrs
    # ...and the name is shown, as text, in every section that names it
    text = "".join(parsed.text)
    assert text.count(name) >= 30
    clean = render_html(_report("age"), {"marginals": PNG})
    assert _parse(clean).tags == parsed.tags  # the same elements, whatever the name


def test_every_section_renders_from_its_template() -> None:
    report = _report("age")
    for key in ("pii_scan", "ledger", "leakage", "fidelity", "bias", "diversity", "limits"):
        body = render_section(key, report[key], {})
        assert "age" in body and "{{" not in body and "{%" not in body, key


def test_only_base64_figures_are_taken_unescaped() -> None:
    page = render_html(_report("age"), {"marginals": PNG, "bias": PNG})
    assert page.count(f'src="data:image/png;base64,{PNG}"') == 2
    with pytest.raises(ValueError, match="not base64"):
        render_html(_report("age"), {"marginals": PNG[:20] + '"><script>x()</script>'})


def test_autoescape_is_on_for_every_template() -> None:
    env = environment()
    # links.html.j2 is the linked release's page, rendered by synth.linked_report
    names = [n for n in env.list_templates(extensions=["j2"]) if n != "links.html.j2"]
    assert {"page.html.j2", "verdict.html.j2", "macros.j2"} <= set(names)
    for n in names:
        assert env.autoescape is True or env.autoescape(n), n
    # a template's own source never builds markup from a value by hand
    for n in names:
        src = env.loader.get_source(env, n)[0]  # type: ignore[union-attr]
        assert "|safe" not in src.replace(" ", "") and "Markup(" not in src, n
        assert not re.search(r"autoescape\s+false", src), n


def test_a_missing_value_prints_as_a_dash() -> None:
    r = copy.deepcopy(_report("age"))
    r["verdict"]["reason"] = None
    assert '<p class="reason">—</p>' in render_html(r, {})
