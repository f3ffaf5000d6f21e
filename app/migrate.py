"""Copy a data folder's stores into other ones (an embedded home into PostgreSQL and a Chroma server), then check it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from app.doctor import copy_whole
from app.service import Service

SAMPLE_QUESTIONS = 12  # answers compared between the two copies after the counts


@dataclass
class MigrationReport:
    """What was copied, and whether the copy answers as the original does."""

    documents: int = 0
    skipped: int = 0  # already in the target, with the same content
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # what → (source, target)
    answers_compared: int = 0
    answers_differing: list[str] = field(default_factory=list)  # the questions answered otherwise

    @property
    def ok(self) -> bool:
        """Every count equal and every sampled answer the same."""
        return all(a == b for a, b in self.counts.values()) and not self.answers_differing


def migrate(source: Service, target: Service, progress: Callable[[str, int, int], None] | None = None,
            sample: int = SAMPLE_QUESTIONS, seed: int = 0) -> MigrationReport:
    """Copy every document (facts, chunks, vectors, PDF copy) and review mark of source into target; verify."""
    report = MigrationReport()
    docs = source.documents()
    with target._writer():  # the target's write lock: another writer waits, a crash is repaired as an ingest's
        for n, doc in enumerate(docs, 1):
            if progress:
                progress(doc.file_name, n, len(docs))
            have = target.facts_store.get_document(doc.doc_id)
            if have is not None and have.fact_count == doc.fact_count and have.chunk_count == doc.chunk_count:
                report.skipped += 1
                continue
            chunks = source.facts_store.chunks(doc.doc_id)
            # The same order as an ingest: marked, vectors, facts (one transaction), PDF copy, mark cleared.
            target.facts_store.mark_pending(doc.doc_id, str(source.pdf_path(doc.doc_id) or ""))
            target.vectors.delete_document(doc.doc_id)
            target.vectors.add(chunks)
            target.facts_store.add_document(doc, source.facts_store.facts(doc.doc_id), chunks)
            pdf = source.pdf_path(doc.doc_id)
            if pdf is not None:
                copy_whole(pdf, target.settings.pdfs_path / pdf.name)
            target.facts_store.clear_pending(doc.doc_id)
            report.documents += 1
        for review in source.facts_store.reviews().values():
            target.facts_store.set_review(review.finding_key, review.doc_id, review.mark, review.note)
    target.asker.forget()
    report.counts = _counts(source, target, [d.doc_id for d in docs])
    for question in _sample_questions(source, sample, seed):
        a, b = source.ask(question), target.ask(question)
        report.answers_compared += 1
        if (a.status, a.answer) != (b.status, b.answer):
            report.answers_differing.append(question)
    return report


def _counts(source: Service, target: Service, ids: list[str]) -> dict[str, tuple[int, int]]:
    """(in the source, of those in the target) for the source's documents only: the target may hold others."""
    held = {d.doc_id for d in target.documents()}
    with_vectors = target.vectors.doc_ids()
    return {
        "documents": (len(ids), len(held.intersection(ids))),
        "facts": (sum(len(source.facts_store.facts(i)) for i in ids), sum(len(target.facts_store.facts(i)) for i in ids)),
        "chunks": (sum(len(source.facts_store.chunks(i)) for i in ids),
                   sum(len(target.facts_store.chunks(i)) for i in ids)),
        "documents with vectors": (len(source.vectors.doc_ids().intersection(ids)), len(with_vectors.intersection(ids))),
        "reviews": (len(source.facts_store.reviews()), len(set(source.facts_store.reviews()) & set(target.facts_store.reviews()))),
    }


def _sample_questions(service: Service, n: int, seed: int) -> list[str]:
    """Questions about a random sample of stored figures, as staff would type them (unit, year, row, column)."""
    facts = [f for f in service.facts_store.facts() if f.row_label and f.column]
    docs = {d.doc_id: d for d in service.documents()}
    rng = random.Random(seed)
    picked = rng.sample(facts, min(n, len(facts)))
    return [f"{docs[f.doc_id].unit_name}{docs[f.doc_id].year or ''}年{f.row_label}{f.column}是多少？" for f in picked]
