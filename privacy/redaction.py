"""Free-text PII spans, found in batches on every core.

Texts are cut into chunks; each chunk goes through spaCy's ``nlp.pipe`` once (batched
tokenisation / NER) and then through the analyzer's recognizers with the ready NLP
artifacts. Chunks run in a pool of worker processes (forked, so the loaded analyzer is
shared copy-on-write and nothing is loaded twice). Small inputs stay in-process.

Only offsets, entity types and scores travel between processes, never a value.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

from privacy.nlp import build_analyzer
from privacy.recognizers import ENTITIES

#: spans below this score are left alone in prose (weak patterns fire on ordinary numbers)
REDACT_MIN_SCORE = 0.4
REDACT_ENTITIES = [e for e in ENTITIES if e != "US_ZIP_CODE"]
#: below this many texts a pool costs more than it saves
PARALLEL_MIN = 600
CHUNK = 400
PIPE_BATCH = 64


class Span(NamedTuple):
    start: int
    end: int
    entity: str
    score: float


def _workers(n_jobs: int | None) -> int:
    if n_jobs is not None:
        return max(1, n_jobs)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _analyze_chunk(texts: list[str]) -> list[list[Span]]:
    analyzer = build_analyzer()
    engine = analyzer.nlp_engine
    out: list[list[Span]] = []
    for text, artifacts in engine.process_batch(texts, language="en", batch_size=PIPE_BATCH):
        res = analyzer.analyze(
            str(text),
            language="en",
            entities=REDACT_ENTITIES,
            nlp_artifacts=artifacts,
            score_threshold=REDACT_MIN_SCORE,
        )
        out.append([Span(r.start, r.end, r.entity_type, float(r.score)) for r in res])
    return out


def analyze_texts(
    texts: Sequence[str],
    *,
    n_jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[list[Span]]:
    """PII spans of every text (empty texts give no spans), in input order."""
    build_analyzer()  # load before forking, so workers share it
    items = [str(t) for t in texts]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    jobs = _workers(n_jobs)
    out: list[list[Span]] = []
    done = 0
    if jobs == 1 or len(items) < PARALLEL_MIN or "fork" not in mp.get_all_start_methods():
        results = map(_analyze_chunk, chunks)
        for part in results:
            out.extend(part)
            done += len(part)
            if progress is not None:
                progress("redacting free text", done, len(items))
        return out
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
        for part in pool.map(_analyze_chunk, chunks):
            out.extend(part)
            done += len(part)
            if progress is not None:
                progress("redacting free text", done, len(items))
    return out


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: the longest (then highest-scoring) wins an overlap."""
    chosen: list[Span] = []
    for s in sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.start)):
        if all(s.end <= c.start or s.start >= c.end for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)


def replace_spans(text: str, spans: list[Span]) -> str:
    """``text`` with every span replaced by ``<ENTITY>`` (presidio-anonymizer's tag form)."""
    out, pos = [], 0
    for s in resolve(spans):
        out.append(text[pos : s.start])
        out.append(f"<{s.entity}>")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
