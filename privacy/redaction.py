"""Free-text PII spans, found in batches on every core.

The fast path (:func:`analyze_fast`) drives the analyzer's own recognizers and context
enhancer itself, to skip work ``AnalyzerEngine.analyze`` does on every text although
it cannot change the outcome:

* a recognizer runs on a text only when the text passes the recognizer's *gate*, a
  cheap search for something every one of its patterns needs (an ``@`` for e-mail, a
  nine-digit shape for SSN, a street suffix for addresses, ...: :data:`GATES`);
* the tokenizer runs (batched, ``nlp.pipe``, the blank pipeline) only on texts where
  context can matter: one of the results' recognizers has a context word that occurs in
  the lower-cased text (Presidio's lemma enhancer matches context words as substrings of
  the surrounding lemmas, so a word absent from the text can never match);
* only those results go through Presidio's ``LemmaContextAwareEnhancer``, then the
  analyzer's own steps follow: score threshold, ``EntityRecognizer.remove_duplicates``;
* with the ``sm`` engine, spaCy's NER runs only on short windows around capitalised
  words that are neither English words nor gazetteer names and lie in no span found so
  far (:func:`privacy.recognizers.ner_names.ner_windows`): everywhere else its tags
  could change nothing. In one measurement on 1,500 benchmark notes (loaded box) NER on
  every text ran at 169 texts/s with PERSON recall 0.954, the windows at 320 texts/s
  with 0.946.

Without NER: same recognizers, same enhancer, same scores — ``tests/unit/test_redaction.py``
asserts the spans and scores equal ``BatchAnalyzerEngine``'s on the sample notes.

Texts are cut into chunks that run in a pool of worker processes (forked, so the
loaded analyzer is shared copy-on-write and nothing is loaded twice). Small inputs stay
in-process. Only offsets, entity types and scores travel between processes, never a value.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any, NamedTuple

from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import (
    ContextAwareEnhancer,
    LemmaContextAwareEnhancer,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from privacy.nlp import build_analyzer, build_nlp_engine
from privacy.recognizers import ENTITIES, TEXT_ONLY_ENTITIES
from privacy.recognizers.address import GATE as ADDRESS_GATE
from privacy.recognizers.driver_license import DriverLicenseRecognizer
from privacy.recognizers.names import NameLexiconRecognizer
from privacy.recognizers.ner_names import ner_windows
from privacy.recognizers.phone import FastPhoneRecognizer
from privacy.recognizers.place_context import GATE as PLACE_GATE
from privacy.recognizers.place_context import PlaceContextRecognizer

#: spans below this score are left alone in prose (weak patterns fire on ordinary numbers)
REDACT_MIN_SCORE = 0.4
REDACT_ENTITIES = [e for e in ENTITIES if e != "US_ZIP_CODE"] + TEXT_ONLY_ENTITIES
#: below this many texts a pool costs more than it saves
PARALLEL_MIN = 600
CHUNK = 400
PIPE_BATCH = 64


_I = re.IGNORECASE
#: recognizer name → a search every match of the recognizer needs (Presidio compiles
#: pattern recognizers with IGNORECASE, so the gates are case-blind too, except the
#: case-sensitive address recognizer's). No gate: the recognizer always runs.
GATES: dict[str, re.Pattern[str]] = {
    "UsSsnRecognizer": re.compile(r"\d{9}|\d{3}[- .]\d{2}[- .]\d{4}|\d{5}-\d{4}|\d{3}-\d{6}"),
    "CardNumberRecognizer": re.compile(r"\d{4}"),
    "AnyCaseIbanRecognizer": re.compile(r"[a-z]{2}\d{2}", _I),
    "DriverLicenseRecognizer": re.compile(r"lic|d\.?/?l", _I),
    "PlaceContextRecognizer": PLACE_GATE,
    "IpRecognizer": re.compile(r"\d\.\d|[0-9a-f]:|::", _I),
    "UrlRecognizer": re.compile(r"[a-z0-9.\-][.][a-z]", _I),
    "EmailRecognizer": re.compile("@"),
    "OfflineEmailRecognizer": re.compile("@"),
    "DateRecognizer": re.compile(r"\d"),
    "WrittenDateRecognizer": re.compile(r"\d{4}"),
    "NpiRecognizer": re.compile(r"[12]\d{9}"),
    "MedicalRecordNumberRecognizer": re.compile(r"\d{6}"),
    "UsZipRecognizer": re.compile(r"\d{5}"),
    "StreetAddressRecognizer": ADDRESS_GATE,
}
#: recognizers whose ``analyze`` never reads the NLP artifacts
_ARTIFACT_FREE = (
    PatternRecognizer,
    FastPhoneRecognizer,
    NameLexiconRecognizer,
    DriverLicenseRecognizer,
    PlaceContextRecognizer,
)
_ID = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY


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


class _Plan(NamedTuple):
    analyzer: AnalyzerEngine
    #: recognizers that never read the NLP artifacts
    recognizers: list[EntityRecognizer]
    gates: list[re.Pattern[str] | None]
    #: lower-cased one-word context words per recognizer id (a context word with a space
    #: can never be a substring of a single token's lemma)
    context: dict[str, tuple[str, ...]]
    #: recognizers that read spaCy's NER (run on :func:`ner_windows` only)
    ner: list[EntityRecognizer]
    #: the engine that tokenizes texts for context words (the blank one: no NER needed)
    context_engine: Any
    by_id: dict[str, EntityRecognizer]


@lru_cache(maxsize=2)
def _plan(kind: str | None = None) -> _Plan:
    analyzer = build_analyzer(kind)
    recs = analyzer.registry.get_recognizers(
        language="en", entities=REDACT_ENTITIES, all_fields=False
    )
    for r in recs:
        if not r.is_loaded:
            r.load()
            r.is_loaded = True
    free = [r for r in recs if isinstance(r, _ARTIFACT_FREE)]
    ner = [r for r in recs if not isinstance(r, _ARTIFACT_FREE)]
    engine = analyzer.nlp_engine
    if ner:
        engine = build_nlp_engine("blank")
        engine.load()
    return _Plan(
        analyzer=analyzer,
        recognizers=free,
        gates=[GATES.get(r.name) for r in free],
        context={
            r.id: tuple(w.lower() for w in (r.context or []) if " " not in w.strip()) for r in recs
        },
        ner=ner,
        context_engine=engine,
        by_id={r.id: r for r in recs},
    )


def _enhance(
    plan: _Plan, text: str, results: list[RecognizerResult], artifacts: NlpArtifacts
) -> list[RecognizerResult]:
    """Presidio's lemma context enhancement of ``results`` (fresh, so updated in place).

    The loop of ``LemmaContextAwareEnhancer.enhance_using_context`` with its own helpers
    for the surrounding words and the supportive-word match, minus its deep copy of the
    results and the explanation bookkeeping (the analyzer strips both before returning).
    Any other enhancer runs as is.
    """
    enhancer = plan.analyzer.context_aware_enhancer
    if type(enhancer) is not LemmaContextAwareEnhancer:
        return enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=artifacts, recognizers=plan.recognizers
        )
    tokens = [t.text for t in artifacts.tokens] if artifacts.tokens else []
    for r in results:
        rec = plan.by_id.get(r.recognition_metadata.get(_ID))
        if rec is None or not rec.context:
            continue
        if r.recognition_metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
            continue
        words = _surrounding_words(enhancer, artifacts, tokens, r.start)
        found = enhancer._find_supportive_word_in_context(
            words, rec.context, enhancer.context_matching_mode
        )
        if found != "":
            r.score += enhancer.context_similarity_factor
            r.score = max(r.score, enhancer.min_score_with_context_similarity)
            r.score = min(r.score, ContextAwareEnhancer.MAX_SCORE)
    return results


def _surrounding_words(
    enhancer: LemmaContextAwareEnhancer, artifacts: NlpArtifacts, tokens: list[str], start: int
) -> list[str]:
    """``LemmaContextAwareEnhancer._extract_surrounding_words`` on the token texts.

    Presidio's version walks the spaCy ``Doc`` for every result (a Python ``Token`` per
    step); its index search reads only each token's length, which the text has too.
    """
    if not tokens:
        return [""]
    index = enhancer._find_index_of_match_token("", start, tokens, artifacts.tokens_indices)
    back = enhancer._add_n_words_backward(
        index, enhancer.context_prefix_count, artifacts.lemmas, artifacts.keywords
    )
    forward = enhancer._add_n_words_forward(
        index, enhancer.context_suffix_count, artifacts.lemmas, artifacts.keywords
    )
    return list(set(back + forward))


def _spans(results: list[RecognizerResult]) -> list[Span]:
    results = [r for r in results if r.score >= REDACT_MIN_SCORE]
    results = EntityRecognizer.remove_duplicates(results)
    return [Span(r.start, r.end, r.entity_type, float(r.score)) for r in results]


def analyze_fast(texts: list[str], kind: str | None = None) -> list[list[Span]]:
    """Spans of each text (see module doc): as ``AnalyzerEngine.analyze`` gives them for
    the blank engine; with NER, the NER recognizers see only :func:`ner_windows`."""
    plan = _plan(kind)
    raw: list[list[RecognizerResult]] = []
    boost: list[list[RecognizerResult]] = []
    for text in texts:
        found, todo = _recognize(plan, text, None)
        raw.append(found)
        boost.append(todo)
    need = [i for i, todo in enumerate(boost) if todo]
    if need:
        piped = plan.context_engine.process_batch(
            [texts[i] for i in need], language="en", batch_size=PIPE_BATCH
        )
        for i, (_text, artifacts) in zip(need, piped, strict=True):
            raw[i].extend(_enhance(plan, texts[i], boost[i], artifacts))
    if plan.ner:
        _ner_pass(plan, texts, raw)
    return [_spans(r) for r in raw]


def _ner_pass(plan: _Plan, texts: list[str], raw: list[list[RecognizerResult]]) -> None:
    """Run spaCy's NER on the windows of each text where it can add a span, and the NER
    recognizers on its entities; their results join ``raw`` at the texts' offsets."""
    windows: list[tuple[int, int, int]] = []
    for i, text in enumerate(texts):
        covered = [(r.start, r.end) for r in raw[i] if r.score >= REDACT_MIN_SCORE]
        windows.extend((i, s, e) for s, e in ner_windows(text, covered))
    if not windows:
        return
    nlp = plan.analyzer.nlp_engine.nlp["en"]
    docs = nlp.pipe((texts[i][s:e] for i, s, e in windows), batch_size=PIPE_BATCH)
    for (i, s, e), doc in zip(windows, docs, strict=True):
        artifacts = NlpArtifacts(
            entities=list(doc.ents),
            tokens=doc,
            tokens_indices=[],
            lemmas=[],
            nlp_engine=None,
            language="en",
        )
        for rec in plan.ner:
            for r in rec.analyze(texts[i][s:e], REDACT_ENTITIES, artifacts):
                r.start += s
                r.end += s
                raw[i].append(r)


def _recognize(
    plan: _Plan, text: str, artifacts: Any
) -> tuple[list[RecognizerResult], list[RecognizerResult]]:
    """Results of the recognizers whose gate lets ``text`` through, split into those
    final as they are and those whose context words occur (to be enhanced)."""
    lower = text.lower()
    found: list[RecognizerResult] = []
    todo: list[RecognizerResult] = []
    for rec, gate in zip(plan.recognizers, plan.gates, strict=True):
        if gate is not None and gate.search(text) is None:
            continue
        res = rec.analyze(text=text, entities=REDACT_ENTITIES, nlp_artifacts=artifacts)
        if not res:
            continue
        ctx = plan.context[rec.id]
        for r in res:
            if r.recognition_metadata is None:
                r.recognition_metadata = {}
            r.recognition_metadata.setdefault(_ID, rec.id)
        (todo if ctx and any(w in lower for w in ctx) else found).extend(res)
    return found, todo


def _analyze_chunk(texts: list[str]) -> list[list[Span]]:
    return analyze_fast(texts)


def analyze_plain(texts: list[str]) -> list[list[Span]]:
    """The reference path: ``AnalyzerEngine.analyze`` on every text (used by tests)."""
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
    _plan()  # load before forking, so workers share it
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
