"""The README's Python snippets use only names they define (issue 20: ``train_df`` and
``holdout_df`` were used undefined), attributes the package has, and files the
repository holds. Checked statically: the snippets fit models and write releases."""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_the_readme_has_python_snippets() -> None:
    assert len(SNIPPETS) >= 2


def _bound(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


@pytest.mark.parametrize("i", range(len(SNIPPETS)))
def test_every_name_is_defined_before_use(i: int) -> None:
    tree = ast.parse(SNIPPETS[i])
    bound = _bound(tree) | set(dir(builtins))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert used <= bound, f"snippet {i + 1} uses undefined names: {sorted(used - bound)}"
    # and each top-level name is bound by an earlier statement than its first use
    seen: set[str] = set(dir(builtins))
    for stmt in tree.body:
        loads = {
            n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        local = _bound(stmt) if isinstance(stmt, ast.For | ast.With) else set()
        comp = {
            t.id
            for n in ast.walk(stmt)
            if isinstance(n, ast.comprehension)
            for t in ast.walk(n.target)
            if isinstance(t, ast.Name)
        }
        missing = loads - seen - local - comp
        assert not missing, f"snippet {i + 1}: {sorted(missing)} used before assignment"
        seen |= _bound(stmt)


@pytest.mark.parametrize("i", range(len(SNIPPETS)))
def test_package_attributes_and_files_exist(i: int) -> None:
    tree = ast.parse(SNIPPETS[i])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for a in node.names:
                assert hasattr(module, a.name), (node.module, a.name)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("synth", "privacy")
        ):
            assert hasattr(importlib.import_module(node.value.id), node.attr), node.attr
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"(sample_data|schemas)/[\w./-]+", node.value)
        ):
            assert (ROOT / node.value).exists(), node.value


def test_the_api_the_readme_shows_is_documented() -> None:
    """Docstrings on Synthesizer.__init__, save, load and describe (and fit, sample), and
    ``help(synth.release)`` shows the real signature and its docstring (issue 20)."""
    import pydoc

    import synth

    for name in ("__init__", "save", "load", "describe", "fit", "sample"):
        doc = getattr(synth.Synthesizer, name).__doc__
        assert doc and len(doc.strip()) > 30, name
    page = pydoc.render_doc(synth.release, renderer=pydoc.plaintext)
    for param in ("data_path", "epsilon", "out_dir", "schema_path", "delta", "engine", "rows"):
        assert param in page, param
    assert "**kwargs" not in page and "*args" not in page
    assert (synth.release.__doc__ or "").strip()
