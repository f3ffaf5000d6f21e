"""After a crash: finish or undo what a writer left half-done across the three stores.

A writer marks a document pending before it touches the vector index and clears the mark after the
SQLite commit and the PDF copy. A mark left behind means it stopped in between: a document that reached
SQLite gets its vectors rebuilt from its stored chunks and its PDF copied; one that did not has its
vectors removed. Vectors of no stored document, stray .part copies and PDFs of removed documents go too.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from store.facts import FactStore
from store.vectors import VectorIndex


@dataclass(frozen=True)
class Finding:
    """One thing the check found, and what repair did (or would do) about it."""

    what: str  # finished | undone | orphan_vectors | stray_file | orphan_pdf | missing_pdf
    doc_id: str
    detail: str


def check(facts: FactStore, vectors: VectorIndex, pdfs: Path, repair: bool) -> list[Finding]:
    """What is inconsistent between the fact store, the vector index and the PDF archive; fixed if repair."""
    out: list[Finding] = []
    pending = facts.pending()
    for doc_id, source in pending:
        if facts.has_document(doc_id):
            if repair:
                vectors.delete_document(doc_id)
                vectors.add(facts.chunks(doc_id))
            target = pdfs / f"{doc_id}.pdf"
            copied = bool(source) and Path(source).is_file() and not target.exists()
            if copied and repair:
                copy_whole(Path(source), target)
            detail = "stored, but stopped before its vectors and PDF copy were done: vectors rebuilt from its chunks" + (
                ", PDF copied" if copied else "")
            out.append(Finding("finished", doc_id, detail))
        else:
            if repair:
                vectors.delete_document(doc_id)
            out.append(Finding("undone", doc_id, "stopped before reaching the fact store: its vectors are removed"))
        if repair:
            facts.clear_pending(doc_id)
    stored = {d.doc_id for d in facts.documents()}
    for doc_id in sorted(vectors.doc_ids() - stored - {d for d, _ in pending}):
        if repair:
            vectors.delete_document(doc_id)
        out.append(Finding("orphan_vectors", doc_id, "vectors of a document the fact store does not have: removed"))
    if pdfs.is_dir():
        for path in sorted(pdfs.glob("*.part")):
            if repair:
                path.unlink(missing_ok=True)
            out.append(Finding("stray_file", path.stem, f"{path.name}: an unfinished copy: removed"))
        for path in sorted(pdfs.glob("*.pdf")):
            if path.stem not in stored:
                if repair:
                    path.unlink(missing_ok=True)
                out.append(Finding("orphan_pdf", path.stem, f"{path.name}: the PDF of a removed document: removed"))
    for doc_id in sorted(stored):
        if not (pdfs / f"{doc_id}.pdf").exists():
            out.append(Finding("missing_pdf", doc_id, "no archived PDF (ingest the file again to show its pages)"))
    return out


@dataclass(frozen=True)
class Backend:
    """One configured store: where it is, whether it answers as this version needs, and what to do if not."""

    part: str  # facts | vectors
    where: str  # the SQLite file or PostgreSQL URL (no password); the Chroma folder or server URL
    ok: bool
    detail: str


def backends(facts: FactStore, vectors: VectorIndex) -> list[Backend]:
    """The fact store and the vector index as configured: reachable, migrated, holding the same chunks."""
    counts = facts.stats()
    version = facts.schema_version()
    latest = facts.schema_latest()
    migrated = version == latest
    out = [Backend("facts", str(facts.path), migrated,
                   f"schema {version}/{latest}, {counts['documents']} documents, {counts['facts']} facts, "
                   f"{counts['chunks']} chunks" + ("" if migrated else ": reopen with this version to migrate"))]
    try:
        held = vectors.count()
    except Exception as exc:  # a server gone away: say so, not a traceback
        return [*out, Backend("vectors", str(getattr(vectors, "path", "")), False, f"unreachable: {exc}")]
    embedder = getattr(getattr(vectors, "embedder", None), "name", "?")
    same = held == counts["chunks"]
    out.append(Backend("vectors", str(getattr(vectors, "path", "in memory")), same,
                       f"{held} chunks embedded by {embedder}" + ("" if same else (
                           f", the fact store has {counts['chunks']}: another embedder's index, or an unfinished "
                           "write (`budgetqa doctor --repair`; or ingest again with --force)"))))
    return out


def copy_whole(source: Path, target: Path) -> None:
    """Copy a PDF into the archive whole or not at all (a .part file until it is complete); kept if there."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
