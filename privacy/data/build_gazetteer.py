"""Rebuild the name gazetteer and the English word list in this folder (run by hand, once).

Sources (see NOTICE.md): the US Census Bureau's 1990 name files (public domain; as
shipped in the PyPI sdist of ``names==0.3.0``: dist.male.first, dist.female.first,
dist.all.last) and SCOWL's American English word list (Debian package ``wamerican``,
permissive licence). Output, lower-cased, one entry a line, sorted:

* ``given_names.txt``: 5,163 given names;
* ``family_names.txt``: 88,799 family names;
* ``english_words.txt``: lower-case English words (what tells "Will", "Hope", "Patient"
  or "Monday" — all of them 1990 census surnames — from a name met alone).

    python privacy/data/build_gazetteer.py NAMES_SDIST_DIR /usr/share/dict/american-english
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _census(path: Path) -> set[str]:
    return {line.split()[0].lower() for line in path.read_text().splitlines() if line.strip()}


def main(names_dir: str, words_file: str) -> None:
    src = Path(names_dir)
    given = _census(src / "dist.male.first") | _census(src / "dist.female.first")
    family = _census(src / "dist.all.last")
    words = {
        w
        for w in Path(words_file).read_text(encoding="utf-8", errors="ignore").splitlines()
        if re.fullmatch(r"[a-z]{2,}", w)
    }
    for name, items in (
        ("given_names.txt", given),
        ("family_names.txt", family),
        ("english_words.txt", words),
    ):
        (HERE / name).write_text("\n".join(sorted(items)) + "\n")
        print(name, len(items))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
