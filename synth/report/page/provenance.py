"""The provenance block on the first screen: what went in and came out, by SHA-256, with
the software that made it; the full hashes open below its one-line summary."""

from __future__ import annotations

from typing import Any

from synth.report.page.markup import e, table

#: hex digits of a hash shown in the summary line (the table below shows all 64)
SHORT = 12


def _code(h: Any) -> str:
    return f"<code>{e(h)}</code>"


def provenance(p: dict[str, Any] | None) -> str:
    if not p or not p.get("available"):
        return f'<p class="note" id="provenance">{e((p or {}).get("note", ""))}</p>'
    inputs = p.get("inputs") or []
    files = p.get("files") or {}
    pkg = p.get("package") or {}
    summary = []
    for i in inputs:
        summary.append(f"input {e(i.get('path'))} {_code(str(i.get('sha256'))[:SHORT])}…")
    for name in ("model.synth", "synthetic.csv"):
        if name in files:
            summary.append(f"{e(name)} {_code(str(files[name].get('sha256'))[:SHORT])}…")
    summary.append(f"{e(pkg.get('name'))} {e(pkg.get('version'))}")
    summary.append(f"{e(p.get('started_at'))} → {e(p.get('finished_at'))}")
    rows = [[e(f"input: {i.get('path')}"), _code(i.get("sha256"))] for i in inputs]
    sf = p.get("schema_file")
    if sf:
        rows.append([e(f"schema given: {sf.get('path')}"), _code(sf.get("sha256"))])
    rows += [[e(n), _code(f.get("sha256"))] for n, f in files.items()]
    deps = ", ".join(f"{e(k)} {e(v)}" for k, v in (p.get("dependencies") or {}).items())
    argv = " ".join(str(a) for a in p.get("argv") or []) or p.get("argv_note")
    nh = p.get("not_hashed") or {}
    return (
        '<details class="note provenance" id="provenance"><summary><b>Provenance</b> '
        f"(SHA-256): {' · '.join(summary)}</summary>"
        + table(["file", "SHA-256"], rows)
        + f"<p>Not hashed: {e(', '.join(nh.get('files', [])))}. {e(nh.get('note'))} "
        "<code>synth verify DIR</code> re-computes the hashes listed in release.json.</p>"
        f"<p>Command: <code>{e(argv)}</code></p><p>Privacy-relevant software: {deps}</p>"
        "</details>"
    )
