"""ingest_file: one PDF → document, facts and chunks in all three stores, or nothing at all."""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.chunks import table_chunks, text_chunks
from ingest.facts import Groups, table_facts
from ingest.metadata import read_metadata
from ingest.overlap import conflicts, same_content
from ingest.pages import page_labels
from ingest.pdf import Page, PdfFile
from ingest.prose import prose_facts
from ingest.tables import read_tables
from ingest.text import paragraphs, table_notes
from store import lexical
from store.errors import BadInputError
from store.facts import FactStore
from store.models import Chunk, Document, Fact
from store.vectors import VectorIndex

PARSER_VERSION = "2"  # bump when facts or chunks change shape: files read by an older one are read again
PARSED_BY = "parser:"  # store setting per document: the PARSER_VERSION that read it
READ_AGAIN = "read again: the stored copy was read by an older version of budgetqa"

ProgressFn = Callable[[int, int], None]  # (pages done, pages in all)


@dataclass(frozen=True)
class Parsed:
    """Everything one PDF yields, before anything is stored."""

    document: Document
    facts: tuple[Fact, ...]
    chunks: tuple[Chunk, ...]
    seconds: float


@dataclass(frozen=True)
class IngestReport:
    """What happened to one file: ingested, skipped as already loaded, or failed with a reason."""

    path: str
    status: str  # ingested | skipped | failed
    document: Document | None = None
    seconds: float = 0.0
    error: str = ""
    code: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


def sha256_of(path: Path) -> str:
    """The document id: sha256 of the file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _text_pages(pages: list[Page]) -> tuple[list[int], list[int]]:
    scanned = [p.number for p in pages if p.char_count == 0 and p.image_count > 0]
    blank = [p.number for p in pages if p.char_count == 0 and p.image_count == 0]
    return scanned, blank


# Chinese documents print no Latin-1 letters or private-use glyphs: many of them mean fonts without a Unicode
# map (a re-rendering that dropped ToUnicode), whose names and labels cannot be read right.
_ODD = re.compile(r"[\u00c0-\u024f\ue000-\uf8ff\ufffd]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
GARBLED_SHARE = 0.02


def _garbled_pages(pages: list[Page]) -> list[int]:
    """Pages whose text has more than a trace of characters no Chinese disclosure prints."""
    out = []
    for p in pages:
        text = "".join(line.text for line in p.lines) + "".join(c.text for t in p.tables for row in t.rows for c in row if c)
        cjk, odd = len(_CJK.findall(text)), len(_ODD.findall(text))
        if odd >= 5 and odd > GARBLED_SHARE * max(cjk, 1):
            out.append(p.number)
    return out


def _ranges(numbers: list[int]) -> str:
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(parts)


def parse_file(path: Path, progress: ProgressFn | None = None, doc_id: str | None = None) -> Parsed:
    """Read and understand one PDF (no store is touched); raises BadInputError with the reason."""
    started = time.perf_counter()
    path = Path(path)
    pages: list[Page] = []
    with PdfFile(path) as pdf:  # opened first: a missing or unreadable file fails here with its reason
        doc_id = doc_id or sha256_of(path)
        total = pdf.info.pages
        for page in pdf.pages():
            pages.append(page)
            if progress:
                progress(len(pages), total)
    scanned, blank = _text_pages(pages)
    if len(scanned) + len(blank) == len(pages):
        what = "scanned pages without a text layer" if scanned else "no text on any page"
        raise BadInputError(str(path), f"{what} (pages {_ranges(scanned or blank)}): OCR is needed first", "scanned")
    warnings: list[str] = []
    if scanned:
        which = f"page {_ranges(scanned)} is a scanned image" if len(scanned) == 1 else f"pages {_ranges(scanned)} are scanned images"
        warnings.append(f"{which} without text: OCR them to include their figures")

    if garbled := _garbled_pages(pages):
        warnings.append(f"the text of {'page' if len(garbled) == 1 else 'pages'} {_ranges(garbled)} is garbled (its "
                        "fonts do not map to Unicode, as after some re-renderings): names and labels there may be "
                        "misread; load the original PDF")
    tables = read_tables(pages)
    meta = read_metadata(pages, tables, path.name)
    groups: dict[tuple, Groups] = {}  # a table printed over pages as several blocks keeps its open groups
    facts: list[Fact] = [f for i, t in enumerate(tables)
                         for f in table_facts(doc_id, i, t, groups.setdefault((t.title, t.columns), {}))]
    paras = paragraphs(pages, tables)
    facts += prose_facts(doc_id, paras, meta.unit_name)
    known = [t for t in tables if t.kind != "其他表"]
    if not known:
        warnings.append("no recognisable budget table: only its text was ingested")
    warnings += meta.warnings
    scope = {"doc_id": doc_id, "unit_name": meta.unit_name, "year": meta.year or 0, "doc_kind": meta.kind}
    tables, prose = table_notes(tables, paras)
    chunks = text_chunks(doc_id, scope, prose) + table_chunks(doc_id, scope, tables, facts)
    document = Document(
        doc_id=doc_id,
        file_name=path.name,
        unit_name=meta.unit_name,
        year=meta.year,
        kind=meta.kind,  # type: ignore[arg-type]
        scope=meta.scope,  # type: ignore[arg-type]
        pages=len(pages),
        title=meta.title,
        table_count=len(tables),
        fact_count=len(facts),
        chunk_count=len(chunks),
        warnings=tuple(warnings),
        identity_source=meta.identity_source,  # type: ignore[arg-type]
        page_labels=page_labels(pages),
    )
    return Parsed(document, tuple(facts), tuple(chunks), time.perf_counter() - started)


Archiver = Callable[[Path, str], None]  # (source PDF, doc_id): keep a copy of the PDF


def store_parsed(parsed: Parsed, facts_store: FactStore, vectors: VectorIndex, source: Path | None = None,
                 archive: Archiver | None = None) -> None:
    """Write a parsed document to the vector index, the fact store and the PDF archive; on failure restore.

    A pending mark spans the three writes: a process killed in between leaves it for `doctor --repair`
    (run by the next writer), which finishes or undoes the document."""
    doc_id = parsed.document.doc_id
    previous = facts_store.chunks(doc_id) if facts_store.has_document(doc_id) else []
    facts_store.mark_pending(doc_id, str(source or ""))
    try:
        vectors.delete_document(doc_id)
        vectors.add(parsed.chunks)
        facts_store.add_document(parsed.document, parsed.facts, parsed.chunks)  # one transaction
    except BaseException:
        # The SQLite transaction rolled back by itself; put the vector index back as it was.
        vectors.delete_document(doc_id)
        if previous:
            vectors.add(previous)
        facts_store.clear_pending(doc_id)
        raise
    # Recorded with the stored document, before the copy: a writer killed now leaves it for repair, not for a re-read
    facts_store.set_setting(PARSED_BY + doc_id, PARSER_VERSION)
    if archive and source:
        archive(source, doc_id)
    facts_store.clear_pending(doc_id)


def stored_as(facts_store: FactStore, doc_id: str) -> str:
    """"current" when the store holds the document as this parser version read it, "older" when an earlier one
    read it (it is read again), "" when the store does not hold it."""
    if not facts_store.has_document(doc_id):
        return ""
    return "current" if facts_store.get_setting(PARSED_BY + doc_id) == PARSER_VERSION else "older"


Parser = Callable[..., Parsed]  # (path, progress, doc_id) → Parsed: parse_file, or ingest.sandbox.parse_sandboxed


def ingest_file(path: Path, facts_store: FactStore, vectors: VectorIndex, force: bool = False,
                progress: ProgressFn | None = None, parse: Parser = parse_file,
                archive: Archiver | None = None) -> IngestReport:
    """Ingest one file; idempotent by sha256 unless force; bad input becomes a failed report."""
    started = time.perf_counter()
    try:
        doc_id = sha256_of(Path(path)) if Path(path).is_file() else ""
        stored = stored_as(facts_store, doc_id) if doc_id and not force else ""
        if stored == "current":
            existing = facts_store.get_document(doc_id)
            return IngestReport(str(path), "skipped", existing, 0.0, "already loaded (same sha256); use --force to redo it",
                                "duplicate")
        parsed = parse(Path(path), progress, doc_id or None)
        checked = against_loaded(parsed, facts_store, Path(path), force)
        if isinstance(checked, IngestReport):
            return checked
        store_parsed(checked, facts_store, vectors, Path(path), archive)
    except BadInputError as exc:
        return IngestReport(str(path), "failed", None, time.perf_counter() - started, exc.reason, exc.code)
    return IngestReport(str(path), "ingested", checked.document, time.perf_counter() - started,
                        warnings=(*checked.document.warnings, *((READ_AGAIN,) if stored == "older" else ())))


MAX_CONFLICTS_NAMED = 3


def against_loaded(parsed: Parsed, facts_store: FactStore, path: Path, force: bool = False) -> Parsed | IngestReport:
    """A file of a unit, year and kind already loaded: skipped if it is a re-saved copy of the same content,
    else kept with a warning naming the figures the two files state differently (never merged silently)."""
    doc = parsed.document
    warnings = []
    for other in facts_store.documents():
        if other.doc_id == doc.doc_id or other.disclosure_id != doc.disclosure_id:
            continue
        theirs = facts_store.facts(other.doc_id)
        if same_content(parsed.facts, theirs):
            if not force:
                return IngestReport(str(path), "skipped", other, parsed.seconds,
                                    f"same content as {other.file_name!r}, already loaded (another copy of it); "
                                    "use --force to load it as well", "duplicate")
            warnings.append(f"same content as {other.file_name!r} (another copy of it)")
            continue
        if found := conflicts(parsed.facts, theirs):
            named = "; ".join(c.describe() for c in found[:MAX_CONFLICTS_NAMED])
            more = f" and {len(found) - MAX_CONFLICTS_NAMED} more" if len(found) > MAX_CONFLICTS_NAMED else ""
            warnings.append(f"states other figures than {other.file_name!r} for the same unit, year and kind: "
                            f"{named}{more}; answers name both (`budgetqa audit` lists them)")
    if not warnings:
        return parsed
    return replace(parsed, document=replace(doc, warnings=(*doc.warnings, *warnings)))


def pdf_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and every *.pdf below a folder, sorted."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(x for x in p.rglob("*") if x.suffix.lower() == ".pdf" and x.is_file())
        else:
            yield p


def _parse_worker(path: str, parse: Parser = parse_file) -> Parsed | BadInputError:
    """One file's parse, with its bad-input error returned (it crosses a process or thread boundary)."""
    try:
        return parse(Path(path), None, None)
    except BadInputError as exc:
        return exc


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reported as that file's error when it is read


def ingest_many(paths: list[Path], facts_store: FactStore, vectors: VectorIndex, force: bool = False,
                workers: int = 1, progress: Callable[[Path, int, int], None] | None = None,
                parse: Parser = parse_file, archive: Archiver | None = None) -> Iterator[IngestReport]:
    """Ingest files in order (workers=1) or parse them in parallel and store as each finishes.

    With a sandboxed parser each file already has its own process, so threads wait on them in parallel."""
    lexical.warm_up()  # the first file's words are segmented when it is stored: load the dictionary meanwhile
    if workers <= 1 or len(paths) <= 1:
        for path in paths:
            yield ingest_file(path, facts_store, vectors, force,
                              (lambda d, t, p=path: progress(p, d, t)) if progress else None, parse, archive)
        return
    todo, stale = [], set()
    for path in paths:
        doc_id = sha256_of(path) if path.is_file() else ""
        stored = stored_as(facts_store, doc_id) if doc_id and not force else ""
        if stored == "current":
            yield IngestReport(str(path), "skipped", facts_store.get_document(doc_id), 0.0,
                               "already loaded (same sha256); use --force to redo it", "duplicate")
            continue
        if stored == "older":
            stale.add(path)
        todo.append(path)
    # Largest first: a long file started last would leave the other workers idle while it finishes.
    todo.sort(key=_size, reverse=True)
    executor = ProcessPoolExecutor if parse is parse_file else ThreadPoolExecutor
    worker = functools.partial(_parse_worker, parse=parse)
    with executor(max_workers=workers) as pool:
        futures = {pool.submit(worker, str(p)): p for p in todo}
        for future in as_completed(futures):
            path = futures[future]
            result = future.result()
            if isinstance(result, BadInputError):
                yield IngestReport(str(path), "failed", None, 0.0, result.reason, result.code)
                continue
            checked = against_loaded(result, facts_store, path, force)
            if isinstance(checked, IngestReport):
                yield checked
                continue
            store_parsed(checked, facts_store, vectors, path, archive)
            yield IngestReport(str(path), "ingested", checked.document, checked.seconds,
                               warnings=(*checked.document.warnings, *((READ_AGAIN,) if path in stale else ())))
