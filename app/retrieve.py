"""Hybrid retrieval of passages: Chinese lexical search and vectors, fused by reciprocal rank."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from store.facts import FactStore
from store.models import Chunk
from store.vectors import VectorIndex

RRF_K = 60  # the usual constant: ranks matter, raw scores from different indexes do not mix


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several ranked id lists, best first."""
    scores: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] += 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


TERM_BONUS = 0.02  # a passage that names the subject verbatim outranks one that only resembles it
POOL_WIDENING = 40  # times k: how far down the lexical and vector lists a search for one kind may go
SECTION_BONUS = 0.02  # a definition question prefers the glossary (名词解释)
DEFINES_BONUS = 0.015  # "人员经费主要包括…", "项目支出：是指…": the passage that defines the subject
GLOSSARY = "名词解释"


SCOPED_CHUNKS = 5000  # a scope this small is ranked among its own chunks, fetched by id: no metadata filter


def _vector_scope(store: FactStore, doc_ids: Sequence[str]) -> dict[str, list[str]]:
    """How a vector search is narrowed to doc_ids: by the scope's own chunks, which the fact store names
    (Chroma's where filter costs hundreds of ms at 500k chunks); by the filter for a large scope; not at all
    when every document is in scope."""
    wanted = list(dict.fromkeys(doc_ids))
    if len(wanted) == store.document_count():
        return {}
    ids = store.chunk_ids(wanted)
    return {"ids": ids} if len(ids) <= SCOPED_CHUNKS else {"doc_ids": wanted}


def search(text: str, store: FactStore, vectors: VectorIndex | None, doc_ids: Sequence[str],
           k: int = 8, kinds: Sequence[str] | None = None, terms: Sequence[str] = (),
           prefer_section: str | None = None, extra: Sequence[Chunk] = (),
           prefer_text: re.Pattern | None = None) -> list[tuple[Chunk, float]]:
    """The k passages best matching text within doc_ids (scope narrows before any search), re-ranked
    by the subject terms they contain and, for definitions, by the section they stand in."""
    narrowed = _vector_scope(store, doc_ids) if vectors else {}
    for pool in (k * 5, k * POOL_WIDENING):
        # table rows outnumber prose many times over: when only prose is wanted, look further down the lists
        lexical = [c.chunk_id for c, _ in store.search_chunks(text, k=pool, doc_ids=list(doc_ids))]
        vector = [cid for cid, _ in vectors.query(text, k=pool, **narrowed)] if vectors else []
        fused = dict(rrf([lexical, vector]))
        chunks = {c.chunk_id: c for c in store.get_chunks(list(fused))}
        if not kinds or sum(c.kind in kinds for c in chunks.values()) >= k:
            break
    for c in extra:  # e.g. the whole glossary: short, and worth considering wherever the search ranked it
        chunks.setdefault(c.chunk_id, c)
    out = []
    for cid, chunk in chunks.items():
        if kinds and chunk.kind not in kinds:
            continue
        body = chunk.text.replace(" ", "")
        score = fused.get(cid, 0.0) + TERM_BONUS * sum(1 for t in terms if t and t in body)
        score += DEFINES_BONUS * sum(1 for t in terms if t and re.search(rf"{re.escape(t)}[^。]{{0,16}}?(主要包括|包括|是指|指|：)", body))
        in_glossary = GLOSSARY in str(chunk.metadata.get("headings", ""))
        if prefer_text and prefer_text.search(body):  # e.g. the passage that says which units a budget covers
            score += SECTION_BONUS
        if prefer_section and prefer_section in str(chunk.metadata.get("headings", "")):
            score += SECTION_BONUS
        elif in_glossary and not prefer_section:
            score -= SECTION_BONUS  # a reason or a duty is not in the glossary
        out.append((chunk, score))
    out.sort(key=lambda cs: cs[1], reverse=True)
    return out[:k]
