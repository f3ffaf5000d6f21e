"""The fact store: documents, their facts and chunks with lexical search, in one SQLite file (or PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from store import db, lexical
from store.errors import StoreError
from store.lock import writer_lock
from store.models import IDENTITY_WARNING, REVIEW_MARKS, Chunk, Document, Fact, Review

DOC_COLUMNS = (
    "doc_id, file_name, unit_name, year, kind, scope, pages, title, table_count, fact_count, chunk_count, warnings, "
    "identity_source, disclosure_id, page_labels"
)
_FACT_COLUMNS = (
    "f.fact_id, f.doc_id, f.table_kind, f.table_title, f.page, f.x0, f.top, f.x1, f.bottom, "
    "f.row_code, f.row_label, f.row_path, f.column_name, f.value, f.unit, f.raw_text, f.flags"
)
CHUNK_COLUMNS = "c.id, c.chunk_id, c.doc_id, c.page, c.kind, c.text, c.metadata"
# Across documents, facts and chunks follow documents(): by unit, then year.
_DOC_ORDER = "d.unit_name, d.year, d.doc_id"
_BATCH = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


class FactStore(Protocol):
    """What the service, the ingest and the audit need of a fact store; SQLiteFactStore and PostgresFactStore."""

    path: Any  # what messages name: the SQLite file, or the server's URL without its password

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def get_setting(self, key: str, default: str | None = None) -> str | None: ...
    def set_setting(self, key: str, value: str) -> None: ...
    def generation(self) -> int: ...
    def mark_pending(self, doc_id: str, source: str) -> None: ...
    def clear_pending(self, doc_id: str) -> None: ...
    def pending(self) -> list[tuple[str, str]]: ...
    def set_review(self, finding_key: str, doc_id: str, mark: str | None, note: str = "") -> None: ...
    def reviews(self, doc_id: str | None = None) -> dict[str, Review]: ...
    def schema_version(self) -> int: ...
    def schema_latest(self) -> int: ...
    def has_document(self, doc_id: str) -> bool: ...
    def get_document(self, doc_id: str) -> Document | None: ...
    def documents(self) -> list[Document]: ...
    def add_document(self, doc: Document, facts: Sequence[Fact], chunks: Sequence[Chunk]) -> None: ...
    def set_identity(self, doc_id: str, *, unit_name: str | None = None, year: int | None = None,
                     kind: str | None = None, scope: str | None = None) -> Document: ...
    def remove_document(self, doc_id: str) -> bool: ...
    def facts(self, doc_id: str | None = None, table_kind: str | None = None) -> list[Fact]: ...
    def get_facts(self, ids: Sequence[str]) -> list[Fact]: ...
    def chunks(self, doc_id: str | None = None) -> list[Chunk]: ...
    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]: ...
    def chunk_ids(self, doc_ids: Sequence[str]) -> list[str]: ...
    def row_labels(self) -> list[str]: ...
    def search_chunks(self, query: str, k: int = 10,
                      doc_ids: Sequence[str] | None = None) -> list[tuple[Chunk, float]]: ...
    def stats(self) -> dict[str, int]: ...
    def document_count(self) -> int: ...
    def writer_lock(self, timeout: float,
                    waiting: Callable[[str], None] | None = None) -> AbstractContextManager[None]: ...


def open_fact_store(path: Path, database_url: str | None = None) -> FactStore:
    """The SQLite file at path, or the PostgreSQL database at database_url when one is given."""
    if database_url:
        from store.postgres import PostgresFactStore  # psycopg is only needed by those who use a server

        return PostgresFactStore(database_url)
    return SQLiteFactStore(path)


class SqlFactStore:
    """What both backends do in the same SQL over the same tables; a backend gives its connection and placeholder."""

    _MARK = "?"  # the driver's parameter placeholder; statements here are written with ?
    path: Any
    _conn: Any
    _lock: threading.RLock

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; further calls raise StoreError."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def conn(self) -> Any:
        """The open connection (for store-internal helpers and tests)."""
        if self._conn is None:
            raise StoreError(f"{self.path}: the fact store is closed")
        return self._conn

    def _sql(self, sql: str) -> str:
        return sql if self._MARK == "?" else sql.replace("?", self._MARK)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one statement (written with ?), driver errors as StoreError."""
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[Any]:
        """The thread lock and one write transaction, yielding the connection; driver errors as StoreError."""
        raise NotImplementedError

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(self._sql(sql), params)

    def _bump(self, conn: Any) -> None:
        """Raise the store's generation inside the writer's transaction."""
        self._execute(conn, "INSERT INTO index_settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
                            "SET value = CAST(CAST(index_settings.value AS INTEGER) + 1 AS TEXT)", (GENERATION,))

    # -- settings --------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """The stored value of an index setting (e.g. a hash of parser/embedder settings)."""
        rows = self._read("SELECT value FROM index_settings WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        """Store an index setting, replacing any previous value."""
        with self._writing() as conn:
            self._execute(conn, "INSERT INTO index_settings (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def generation(self) -> int:
        """A number every write to the documents raises: readers that saw another one reopen their indexes."""
        return int(self.get_setting(GENERATION, "0") or 0)

    # -- pending writes ----------------------------------------------------------------------

    def mark_pending(self, doc_id: str, source: str) -> None:
        """Record that a writer has started on a document (before it touches the vector index)."""
        with self._writing() as conn:
            self._execute(conn, "INSERT INTO pending (doc_id, source, started_at) VALUES (?, ?, ?) ON CONFLICT (doc_id) "
                                "DO UPDATE SET source = excluded.source, started_at = excluded.started_at",
                          (doc_id, source, time.time()))

    def clear_pending(self, doc_id: str) -> None:
        """The writer finished (or undid) the document in every store."""
        with self._writing() as conn:
            self._execute(conn, "DELETE FROM pending WHERE doc_id = ?", (doc_id,))

    def pending(self) -> list[tuple[str, str]]:
        """(doc_id, source path) of writes begun and never finished."""
        return [(r[0], r[1]) for r in self._read("SELECT doc_id, source FROM pending ORDER BY started_at")]

    # -- reviews of audit findings -----------------------------------------------------------

    def set_review(self, finding_key: str, doc_id: str, mark: str | None, note: str = "") -> None:
        """Mark a finding (确认 / 忽略) with a note, replacing an earlier mark; mark None clears it."""
        if mark is not None and mark not in REVIEW_MARKS:
            raise StoreError(f"review mark must be one of {'/'.join(REVIEW_MARKS)}, not {mark!r}")
        with self._writing() as conn:
            if mark is None:
                self._execute(conn, "DELETE FROM reviews WHERE finding_key = ?", (finding_key,))
                return
            self._execute(
                conn, "INSERT INTO reviews (finding_key, doc_id, mark, note, marked_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (finding_key) DO UPDATE SET mark = excluded.mark, note = excluded.note, "
                "marked_at = excluded.marked_at",
                (finding_key, doc_id, mark, note.strip(), datetime.now(UTC).isoformat(timespec="seconds")))

    def reviews(self, doc_id: str | None = None) -> dict[str, Review]:
        """The marks made, by finding key (of one document, or of all)."""
        where, params = ("WHERE doc_id = ?", (doc_id,)) if doc_id else ("", ())
        rows = self._read(f"SELECT finding_key, doc_id, mark, note, marked_at FROM reviews {where}", params)
        return {r[0]: Review(*r) for r in rows}

    # -- documents -------------------------------------------------------------------------

    def has_document(self, doc_id: str) -> bool:
        """Whether a document with this id (the PDF's sha256) is stored."""
        return bool(self._read("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)))

    def get_document(self, doc_id: str) -> Document | None:
        """The stored document with this id, or None."""
        rows = self._read(f"SELECT {DOC_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,))
        return row_document(rows[0]) if rows else None

    def documents(self) -> list[Document]:
        """Every stored document, ordered by unit name, then year."""
        return [row_document(r) for r in self._read(f"SELECT {DOC_COLUMNS} FROM documents d ORDER BY {_DOC_ORDER}")]

    def _replace_document(self, conn: Any, doc: Document) -> None:
        """In the writer's transaction: the old copy gone (cascading to its facts, chunks and index rows), doc in."""
        self._bump(conn)
        self._execute(conn, "DELETE FROM documents WHERE doc_id = ?", (doc.doc_id,))
        self._execute(conn, f"INSERT INTO documents ({DOC_COLUMNS}, added_at) VALUES ({_marks(range(16))})",
                      (*document_params(doc), datetime.now(UTC).isoformat(timespec="seconds")))

    def set_identity(self, doc_id: str, *, unit_name: str | None = None, year: int | None = None,
                     kind: str | None = None, scope: str | None = None) -> Document:
        """Correct a document's identity (its facts and chunks follow: they are scoped by doc_id)."""
        doc = self.get_document(doc_id)
        if doc is None:
            raise StoreError(f"{doc_id}: no such document; `budgetqa docs` lists them")
        new = identity_corrected(doc, unit_name=unit_name, year=year, kind=kind, scope=scope)
        with self._writing() as conn:
            self._bump(conn)
            self._execute(conn, "UPDATE documents SET unit_name = ?, year = ?, kind = ?, scope = ?, identity_source = ?, "
                                "warnings = ?, disclosure_id = ? WHERE doc_id = ?",
                          (new.unit_name, new.year, new.kind, new.scope, new.identity_source,
                           _json(list(new.warnings)), new.disclosure_id, doc_id))
        return self.get_document(doc_id)  # type: ignore[return-value]

    def remove_document(self, doc_id: str) -> bool:
        """Delete a document with its facts and chunks; False if it was not stored."""
        with self._writing() as conn:
            self._bump(conn)
            return self._execute(conn, "DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    # -- facts and chunks ------------------------------------------------------------------

    def facts(self, doc_id: str | None = None, table_kind: str | None = None) -> list[Fact]:
        """Facts in document order (page, then the order they were added), optionally filtered."""
        where, params = _filters(("f.doc_id", doc_id), ("f.table_kind", table_kind))
        rows = self._read(f"SELECT {_FACT_COLUMNS} FROM facts f JOIN documents d ON d.doc_id = f.doc_id "
                          f"{where} ORDER BY {_DOC_ORDER}, f.page, f.seq", params)
        return [row_fact(r) for r in rows]

    def get_facts(self, ids: Sequence[str]) -> list[Fact]:
        """The facts with these fact_ids, in the order asked; unknown ids are skipped."""
        found = {r[0]: row_fact(r) for batch in _batches(ids)
                 for r in self._read(f"SELECT {_FACT_COLUMNS} FROM facts f WHERE f.fact_id IN ({_marks(batch)})", batch)}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        """Chunks in document order (page, then the order they were added)."""
        where, params = _filters(("c.doc_id", doc_id))
        rows = self._read(f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                          f"{where} ORDER BY {_DOC_ORDER}, c.page, c.seq", params)
        return [row_chunk(r) for r in rows]

    def chunk_ids(self, doc_ids: Sequence[str]) -> list[str]:
        """The chunk_ids of these documents (what a scoped vector search ranks, read by key)."""
        return [r[0] for batch in _batches(doc_ids)
                for r in self._read(f"SELECT chunk_id FROM chunks WHERE doc_id IN ({_marks(batch)})", batch)]

    def row_labels(self) -> list[str]:
        """Every distinct row label of every document (what a question's words are respelled against)."""
        return [r[0] for r in self._read("SELECT DISTINCT row_label FROM facts")]

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these chunk_ids, in the order asked; unknown ids are skipped."""
        found = {r[1]: row_chunk(r) for batch in _batches(ids)
                 for r in self._read(f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.chunk_id IN ({_marks(batch)})",
                                     batch)}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def document_count(self) -> int:
        """How many documents are stored (cheap: stats() also counts every fact and chunk)."""
        return int(self._read("SELECT count(*) FROM documents")[0][0])

    def stats(self) -> dict[str, int]:
        """Counts of stored documents, facts and chunks."""
        row = self._read("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM facts), "
                         "(SELECT count(*) FROM chunks)")[0]
        return {"documents": row[0], "facts": row[1], "chunks": row[2]}


class SQLiteFactStore(SqlFactStore):
    """Documents, facts and chunks persisted in one SQLite file; safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = db.connect(self.path)
        # One connection, many Streamlit threads: the lock keeps each call's statements
        # (and each write transaction) from interleaving with another thread's.
        self._lock = threading.RLock()
        self._stats: tuple[tuple[int, int], lexical.IndexStats] | None = None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: cannot read the fact store ({e})") from e

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # Lock + one write transaction; sqlite errors (also on COMMIT) become StoreError.
        with self._lock:
            try:
                with db.transaction(self.conn) as conn:
                    yield conn
            except sqlite3.IntegrityError as e:
                raise StoreError(
                    f"{self.path}: cannot write the fact store ({e}); fact_id and chunk_id must be "
                    "unique across all documents, so build them from the doc_id"
                ) from e
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: cannot write the fact store ({e})") from e

    def writer_lock(self, timeout: float, waiting: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """The data folder's write lock (one writer at a time), waiting up to timeout seconds for another."""
        return writer_lock(self.path.parent, timeout, waiting)

    def schema_version(self) -> int:
        """How many schema migrations this store has had applied."""
        with self._lock:
            return db.schema_version(self.conn)

    def schema_latest(self) -> int:
        """How many migrations this version knows for SQLite."""
        return len(db.MIGRATIONS)

    def add_document(self, doc: Document, facts: Sequence[Fact], chunks: Sequence[Chunk]) -> None:
        """Store a document with its facts and chunks in one transaction, replacing any old copy."""
        check_own_items(doc, facts, chunks)
        with self._writing() as conn:
            self._replace_document(conn, doc)  # the chunks trigger removes the old FTS rows
            conn.executemany(
                "INSERT INTO facts (fact_id, doc_id, seq, table_kind, table_title, page, "
                "x0, top, x1, bottom, row_code, row_label, row_path, column_name, value, unit, "
                "raw_text, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (fact_params(seq, f) for seq, f in enumerate(facts)),
            )
            fts_rows = []
            for seq, c in enumerate(chunks):
                cur = conn.execute(
                    "INSERT INTO chunks (chunk_id, doc_id, seq, page, kind, text, metadata) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (c.chunk_id, c.doc_id, seq, c.page, c.kind, c.text, chunk_metadata_json(c)),
                )
                fts_rows.append((int(cur.lastrowid or 0), c.text, c.doc_id))
            lexical.add_rows(conn, fts_rows)

    def search_chunks(self, query: str, k: int = 10, doc_ids: Sequence[str] | None = None) -> list[tuple[Chunk, float]]:
        """Lexical (jieba + FTS5 bm25) search; best first, higher score better; [] if no terms."""
        with self._lock:
            try:
                hits = lexical.search(self.conn, query, k, self._index_stats(), doc_ids)
                if not hits:
                    return []
                rowids = [h[0] for h in hits]
                rows = self.conn.execute(
                    f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.id IN ({_marks(rowids)})",
                    rowids,
                ).fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: lexical search failed for {query!r} ({e})") from e
        by_rowid = {r[0]: row_chunk(r) for r in rows}
        return [(by_rowid[rowid], score) for rowid, score in hits if rowid in by_rowid]

    def _index_stats(self) -> lexical.IndexStats:
        # The chunk count (count(*) scans an index: ~12 ms at 100k chunks) and term
        # frequencies are needed by every search, so they are kept until this connection
        # (total_changes) or another process (data_version) writes.
        version = (int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self.conn.total_changes)
        if self._stats is None or self._stats[0] != version:
            total = int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
            self._stats = (version, lexical.IndexStats(total, partial(lexical.document_frequency, self.conn)))
        return self._stats[1]


GENERATION = "generation"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def chunk_metadata_json(c: Chunk) -> str:
    try:
        return _json(c.metadata)
    except (TypeError, ValueError) as e:
        raise StoreError(
            f"chunk {c.chunk_id}: metadata is not JSON-serialisable ({e}); "
            "use str, int, float, bool, None, lists and dicts"
        ) from e


def fact_params(seq: int, f: Fact) -> tuple[Any, ...]:
    x0, top, x1, bottom = f.bbox if f.bbox is not None else (None, None, None, None)
    return (
        f.fact_id,
        f.doc_id,
        seq,
        f.table_kind,
        f.table_title,
        f.page,
        x0,
        top,
        x1,
        bottom,
        f.row_code,
        f.row_label,
        _json(list(f.row_path)),
        f.column,
        str(f.value),  # TEXT, never REAL: the exact digits, trailing zeros included
        f.unit,
        f.raw_text,
        _json(list(f.flags)),
    )


def row_document(r: sqlite3.Row) -> Document:
    return Document(
        doc_id=r[0],
        file_name=r[1],
        unit_name=r[2],
        year=r[3],
        kind=r[4],
        scope=r[5],
        pages=r[6],
        title=r[7],
        table_count=r[8],
        fact_count=r[9],
        chunk_count=r[10],
        warnings=tuple(json.loads(r[11])),
        identity_source=r[12],
        page_labels=tuple(json.loads(r[14])),
    )


def row_fact(r: sqlite3.Row) -> Fact:
    bbox = None if r[5] is None else (float(r[5]), float(r[6]), float(r[7]), float(r[8]))
    return Fact(
        fact_id=r[0],
        doc_id=r[1],
        table_kind=r[2],
        table_title=r[3],
        page=r[4],
        bbox=bbox,
        row_code=r[9],
        row_label=r[10],
        row_path=tuple(json.loads(r[11])),
        column=r[12],
        value=Decimal(r[13]),
        unit=r[14],
        raw_text=r[15],
        flags=tuple(json.loads(r[16])),
    )


def row_chunk(r: sqlite3.Row) -> Chunk:
    # r[0] is the internal integer id; the record carries only its chunk_id.
    return Chunk(chunk_id=r[1], doc_id=r[2], page=r[3], kind=r[4], text=r[5], metadata=json.loads(r[6]))


def _id_of(item: Fact | Chunk) -> str:
    return item.fact_id if isinstance(item, Fact) else item.chunk_id


def check_own_items(doc: Document, facts: Sequence[Fact], chunks: Sequence[Chunk]) -> None:
    """StoreError unless every fact and chunk belongs to doc."""
    for item in (*facts, *chunks):
        if item.doc_id != doc.doc_id:
            raise StoreError(f"{type(item).__name__} {_id_of(item)} belongs to doc {item.doc_id}, "
                             f"not {doc.doc_id}; pass each document's own facts and chunks")


def document_params(doc: Document) -> tuple[Any, ...]:
    """A document's DOC_COLUMNS values, as stored (lists as JSON)."""
    return (doc.doc_id, doc.file_name, doc.unit_name, doc.year, doc.kind, doc.scope, doc.pages, doc.title,
            doc.table_count, doc.fact_count, doc.chunk_count, _json(list(doc.warnings)), doc.identity_source,
            doc.disclosure_id, _json(list(doc.page_labels)))


def identity_corrected(doc: Document, *, unit_name: str | None, year: int | None, kind: str | None,
                       scope: str | None) -> Document:
    """The document with a user's corrections to its identity (None: kept), its identity warning gone."""
    return dataclasses.replace(
        doc, unit_name=unit_name if unit_name is not None else doc.unit_name,
        year=year if year is not None else doc.year, kind=kind or doc.kind, scope=scope or doc.scope,
        identity_source="user", warnings=tuple(w for w in doc.warnings if not w.startswith(IDENTITY_WARNING)))


def _filters(*pairs: tuple[str, Any]) -> tuple[str, list[Any]]:
    conds = [(f"{col} = ?", value) for col, value in pairs if value is not None]
    if not conds:
        return "", []
    return "WHERE " + " AND ".join(c for c, _ in conds), [v for _, v in conds]


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), _BATCH):
        yield unique[i : i + _BATCH]


def _marks(items: Sequence[Any]) -> str:
    return ", ".join("?" * len(items))
