"""The fact store on a PostgreSQL server: the same documents, facts, chunks and lexical search as the SQLite file.

Chosen by ``BUDGETQA_DATABASE_URL=postgresql://…``; many processes (chat sessions, CLI ingests, on several machines)
share one database and see each other's writes at once. Lexical search ranks exactly as SQLite's FTS5 does (BM25,
k1 = 1.2, b = 0.75, words weigh 1 and characters 0.5), computed over a postings table of the same jieba tokens,
so an answer does not depend on the backend.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from store import lexical
from store.errors import StoreError
from store.facts import CHUNK_COLUMNS, SqlFactStore, check_own_items, chunk_metadata_json, fact_params, row_chunk
from store.models import Chunk, Document, Fact

_TOKENS, _CHARS = 0, 1  # chunk_terms.col
_COLUMN_CODE = {"tokens": _TOKENS, "chars": _CHARS}
_WEIGHT = {_TOKENS: 1.0, _CHARS: 0.5}  # as FTS5's bm25(1.0, 0.5, 0.0) in store.db
_K1, _B = 1.2, 0.75  # FTS5's bm25 constants
CONNECT_TIMEOUT_S = 10

# Append only, as store.db.MIGRATIONS: a released migration never changes.
MIGRATIONS: list[tuple[str, list[str]]] = [
    ("p001_create_tables", [
        "CREATE TABLE index_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE documents (
            doc_id TEXT PRIMARY KEY, file_name TEXT NOT NULL, unit_name TEXT NOT NULL, year INTEGER,
            kind TEXT NOT NULL, scope TEXT NOT NULL, pages INTEGER NOT NULL, title TEXT NOT NULL,
            table_count INTEGER NOT NULL, fact_count INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
            warnings TEXT NOT NULL, identity_source TEXT NOT NULL DEFAULT 'document',
            disclosure_id TEXT NOT NULL DEFAULT '', page_labels TEXT NOT NULL DEFAULT '[]', added_at TEXT NOT NULL)""",
        "CREATE INDEX documents_unit_year ON documents(unit_name, year)",
        "CREATE INDEX documents_disclosure ON documents(disclosure_id)",
        # value is TEXT, as in SQLite: str(Decimal) back exactly ('0.3200', '1E+3'); NUMERIC would rewrite 1E+3 as 1000.
        """CREATE TABLE facts (
            id BIGSERIAL PRIMARY KEY, fact_id TEXT NOT NULL UNIQUE,
            doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
            table_kind TEXT NOT NULL, table_title TEXT NOT NULL, page INTEGER NOT NULL,
            x0 DOUBLE PRECISION, top DOUBLE PRECISION, x1 DOUBLE PRECISION, bottom DOUBLE PRECISION,
            row_code TEXT, row_label TEXT NOT NULL, row_path TEXT NOT NULL, column_name TEXT NOT NULL,
            value TEXT NOT NULL, unit TEXT NOT NULL, raw_text TEXT NOT NULL, flags TEXT NOT NULL)""",
        "CREATE INDEX facts_doc_order ON facts(doc_id, page, seq)",
        "CREATE INDEX facts_table_kind ON facts(table_kind)",
        "CREATE INDEX facts_row_label ON facts(row_label)",
        # ntok: the chunk's tokens in every indexed column (words + characters + its document key), BM25's |D|.
        """CREATE TABLE chunks (
            id BIGSERIAL PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE,
            doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
            page INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL,
            ntok INTEGER NOT NULL)""",
        "CREATE INDEX chunks_doc_order ON chunks(doc_id, page, seq)",
        "CREATE TABLE pending (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL)",
        """CREATE TABLE reviews (finding_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL,
            mark TEXT NOT NULL CHECK (mark IN ('确认', '忽略')), note TEXT NOT NULL DEFAULT '', marked_at TEXT NOT NULL)""",
        "CREATE INDEX reviews_doc ON reviews(doc_id)",
    ]),
    # The lexical index: one row per (term, column, chunk) with the term's count, the primary key doubling as
    # the term → chunks lookup (an index-only scan per query term); chunk_id's index serves the cascade.
    ("p002_lexical_postings", [
        """CREATE TABLE chunk_terms (
            term TEXT NOT NULL, col SMALLINT NOT NULL,
            chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, tf INTEGER NOT NULL,
            PRIMARY KEY (term, col, chunk_id))""",
        "CREATE INDEX chunk_terms_chunk ON chunk_terms(chunk_id)",
    ]),
]
# Any numbers, the same in every process: advisory locks for migrations and same-document writes, and for writers.
_MIGRATION_LOCK = 7_404_551
_WRITER_LOCK = 7_404_552
_POLL_S = 0.2


def _driver() -> Any:
    try:
        import psycopg
    except ImportError as e:  # the embedded default needs no driver; a server does
        raise StoreError("BUDGETQA_DATABASE_URL names a PostgreSQL server, but its driver is not installed: "
                         "pip install 'budgetqa[server]' (psycopg)") from e
    return psycopg


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.rpartition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user_pass = head.partition("//")
    return f"{scheme}//{user_pass.split(':', 1)[0]}:***@{tail}"


class PostgresFactStore(SqlFactStore):
    """Documents, facts and chunks in a PostgreSQL database; safe to share across threads."""

    _MARK = "%s"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redacted(url)  # what messages name, as the SQLite store names its file
        self._errors = _driver().Error
        self._conn: Any = self._connect()
        self._lock = threading.RLock()
        self._stats: tuple[int, lexical.IndexStats] | None = None
        try:
            migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> Any:
        """A new session; autocommit, so a read never leaves a transaction open (writes use _writing())."""
        psycopg = _driver()
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as e:
            raise StoreError(f"{self.path}: cannot connect to the PostgreSQL fact store ({_first_line(e)}); "
                             "check BUDGETQA_DATABASE_URL and that the server is running") from e

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.conn.execute(self._sql(sql), params).fetchall()
            except self._errors as e:
                raise StoreError(f"{self.path}: cannot read the fact store ({_first_line(e)})") from e

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        with self._lock:
            try:
                with self.conn.transaction():
                    yield self.conn
            except self._errors as e:
                raise StoreError(f"{self.path}: cannot write the fact store ({_first_line(e)})") from e

    @contextmanager
    def writer_lock(self, timeout: float, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the database's write lock (one writer at a time across every machine); wait up to timeout seconds.

        A session advisory lock on a connection of its own: a writer that dies, even by kill -9, loses its
        connection and so the lock, as the SQLite store's flock does."""
        conn = self._connect()
        try:
            deadline, told = time.monotonic() + timeout, False
            while not conn.execute("SELECT pg_try_advisory_lock(%s, 0)", (_WRITER_LOCK,)).fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{self.path}: another process is writing to this database (waited "
                                     f"{timeout:.0f} s); try again when it has finished, or raise BUDGETQA_LOCK_TIMEOUT")
                if waiting and not told:
                    waiting(f"{self.path}: another process is writing to this database; waiting up to {timeout:.0f} s")
                    told = True
                time.sleep(_POLL_S)
            yield
        finally:
            conn.close()  # closing the session releases its advisory locks

    def schema_version(self) -> int:
        """How many schema migrations this database has had applied."""
        return len(applied_migrations(self.conn))

    def schema_latest(self) -> int:
        """How many migrations this version knows for PostgreSQL."""
        return len(MIGRATIONS)

    def add_document(self, doc: Document, facts: Sequence[Fact], chunks: Sequence[Chunk]) -> None:
        """Store a document with its facts and chunks in one transaction, replacing any old copy."""
        check_own_items(doc, facts, chunks)
        rows = [(c, lexical.tokenize(c.text), lexical.cjk_chars(c.text)) for c in chunks]
        with self._writing() as conn:
            # Two writers of the same document queue here; writers of different documents go on side by side.
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_MIGRATION_LOCK, doc.doc_id))
            self._replace_document(conn, doc)  # the old copy's facts, chunks and postings go by cascade
            with conn.cursor() as cur, cur.copy(
                    "COPY facts (fact_id, doc_id, seq, table_kind, table_title, page, x0, top, x1, bottom, row_code, "
                    "row_label, row_path, column_name, value, unit, raw_text, flags) FROM STDIN") as copy:
                for seq, f in enumerate(facts):
                    copy.write_row(fact_params(seq, f))
            # Ids first, so chunks and their postings go in by COPY, which is several times faster than INSERTs.
            ids = [r[0] for r in conn.execute("SELECT nextval('chunks_id_seq') FROM generate_series(1, %s)",
                                              (len(rows),)).fetchall()] if rows else []
            with conn.cursor() as cur, cur.copy(
                    "COPY chunks (id, chunk_id, doc_id, seq, page, kind, text, metadata, ntok) FROM STDIN") as copy:
                for seq, (rowid, (c, tokens, chars)) in enumerate(zip(ids, rows, strict=True)):
                    copy.write_row((rowid, c.chunk_id, c.doc_id, seq, c.page, c.kind, c.text, chunk_metadata_json(c),
                                    len(tokens) + len(chars) + 1))
            with conn.cursor() as cur, cur.copy("COPY chunk_terms (term, col, chunk_id, tf) FROM STDIN") as copy:
                for rowid, (_, tokens, chars) in zip(ids, rows, strict=True):
                    for col, terms in ((_TOKENS, tokens), (_CHARS, chars)):
                        for term, tf in _counts(terms).items():
                            copy.write_row((term, col, rowid, tf))

    def search_chunks(self, query: str, k: int = 10, doc_ids: Sequence[str] | None = None) -> list[tuple[Chunk, float]]:
        """Lexical BM25 search, ranked as the SQLite store's FTS5; best first, higher better; [] if no terms."""
        if k <= 0 or (doc_ids is not None and not doc_ids):
            return []
        with self._lock:
            try:
                stats = self._index_stats()
                words, chars = lexical.plan_query(query, stats)
                terms = [(w, "tokens") for w in words] + [(c, "chars") for c in chars]
                if not terms:
                    return []
                idf = [_idf(stats.total_chunks, stats.df(column, t)) for t, column in terms]
                scope = "" if doc_ids is None else "AND c.doc_id = ANY(%(docs)s)"
                rows = self.conn.execute(
                    f"""WITH q(term, col, idf, w) AS (
                            SELECT * FROM unnest(%(terms)s::text[], %(cols)s::smallint[], %(idf)s::float8[],
                                                 %(w)s::float8[]))
                        SELECT {CHUNK_COLUMNS}, s.score FROM (
                            SELECT t.chunk_id, sum(q.idf * (t.tf * q.w * {_K1 + 1})
                                   / (t.tf * q.w + {_K1} * ({1 - _B} + {_B} * c.ntok / %(avgdl)s))) AS score
                            FROM q JOIN chunk_terms t ON t.term = q.term AND t.col = q.col
                            JOIN chunks c ON c.id = t.chunk_id
                            WHERE true {scope}
                            GROUP BY t.chunk_id ORDER BY score DESC, t.chunk_id LIMIT %(k)s) s
                        JOIN chunks c ON c.id = s.chunk_id ORDER BY s.score DESC, c.id""",
                    {"terms": [t for t, _ in terms], "cols": [_COLUMN_CODE[c] for _, c in terms], "idf": idf,
                     "w": [_WEIGHT[_COLUMN_CODE[c]] for _, c in terms], "avgdl": stats.total_tokens / max(1, stats.total_chunks),
                     "docs": list(dict.fromkeys(doc_ids or ())), "k": k},
                ).fetchall()
            except self._errors as e:
                raise StoreError(f"{self.path}: lexical search failed for {query!r} ({_first_line(e)})") from e
        return [(row_chunk(r[:7]), float(r[7])) for r in rows]

    def _index_stats(self) -> lexical.IndexStats:
        # Kept until any process writes (the generation every document write raises, in the same transaction).
        generation = self.generation()
        if self._stats is None or self._stats[0] != generation:
            total, tokens = self.conn.execute("SELECT count(*), coalesce(sum(ntok), 0) FROM chunks").fetchone()
            self._stats = (generation, lexical.IndexStats(int(total), self._df, total_tokens=int(tokens)))
        return self._stats[1]

    def _df(self, column: str, term: str) -> int:
        row = self.conn.execute("SELECT count(*) FROM chunk_terms WHERE term = %s AND col = %s",
                                (term, _COLUMN_CODE[column])).fetchone()
        return int(row[0])


def _idf(total: int, df: int) -> float:
    """FTS5's IDF: log((N − n + 0.5) / (n + 0.5)), floored at 1e-6 for terms in half the chunks or more."""
    idf = math.log((total - df + 0.5) / (df + 0.5))
    return idf if idf > 0 else 1e-6


def _counts(terms: Sequence[str]) -> Counter[str]:
    return Counter(terms)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def applied_migrations(conn: Any) -> list[str]:
    """Names of the migrations already applied to this database, oldest first."""
    if conn.execute("SELECT to_regclass('_migrations')").fetchone()[0] is None:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY applied_order")]


def migrate(conn: Any) -> list[str]:
    """Apply pending migrations in one transaction under an advisory lock; return the names applied."""
    known = [name for name, _ in MIGRATIONS]
    applied = applied_migrations(conn)
    _check_known(applied, known)
    if applied == known:
        return []
    done: list[str] = []
    with conn.transaction():
        # Two processes opening a new database at once: the second waits here, then finds nothing to do.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_order SERIAL, "
                     "applied_at TEXT NOT NULL)")
        applied = applied_migrations(conn)
        _check_known(applied, known)
        for name, statements in MIGRATIONS:
            if name in applied:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (%s, %s)",
                         (name, datetime.now(UTC).isoformat(timespec="seconds")))
            done.append(name)
    return done


def _check_known(applied: list[str], known: list[str]) -> None:
    unknown = [n for n in applied if n not in known]
    if unknown:
        raise StoreError(f"the PostgreSQL fact store has migrations this version does not know ({', '.join(unknown)}); "
                         "upgrade budgetqa")

