"""SQLite connection for the fact store: pragmas, transactions and numbered schema migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from store.errors import StoreError

# How long a writer waits for another process's transaction before giving up. Writes are
# short (one document per transaction), so a few seconds covers a concurrent ingest.
BUSY_TIMEOUT_S = 10.0

Migration = Callable[[sqlite3.Connection], None]


def _run(conn: sqlite3.Connection, statements: list[str]) -> None:
    # Statements one by one: executescript() would COMMIT first and break the migration's
    # all-or-nothing transaction.
    for sql in statements:
        conn.execute(sql)


def m001_create_tables(conn: sqlite3.Connection) -> None:
    """Documents, facts, chunks and the index settings key-value table."""
    _run(
        conn,
        [
            """CREATE TABLE index_settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
            """CREATE TABLE documents (
                doc_id TEXT PRIMARY KEY,
                file_name TEXT NOT NULL,
                unit_name TEXT NOT NULL,
                year INTEGER,
                kind TEXT NOT NULL,
                scope TEXT NOT NULL,
                pages INTEGER NOT NULL,
                title TEXT NOT NULL,
                table_count INTEGER NOT NULL,
                fact_count INTEGER NOT NULL,
                chunk_count INTEGER NOT NULL,
                warnings TEXT NOT NULL,  -- JSON array
                added_at TEXT NOT NULL
            )""",
            "CREATE INDEX documents_unit_year ON documents(unit_name, year)",
            # value is TEXT, never REAL: str(Decimal) keeps every digit ('0.3200' stays 4 dp).
            """CREATE TABLE facts (
                id INTEGER PRIMARY KEY,
                fact_id TEXT NOT NULL UNIQUE,
                doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                table_kind TEXT NOT NULL,
                table_title TEXT NOT NULL,
                page INTEGER NOT NULL,
                x0 REAL, top REAL, x1 REAL, bottom REAL,
                row_code TEXT,
                row_label TEXT NOT NULL,
                row_path TEXT NOT NULL,  -- JSON array
                column_name TEXT NOT NULL,
                value TEXT NOT NULL,
                unit TEXT NOT NULL,
                raw_text TEXT NOT NULL,
                flags TEXT NOT NULL  -- JSON array
            )""",
            "CREATE INDEX facts_doc_order ON facts(doc_id, page, seq)",
            "CREATE INDEX facts_table_kind ON facts(table_kind)",
            "CREATE INDEX facts_row_label ON facts(row_label)",
            """CREATE TABLE chunks (
                id INTEGER PRIMARY KEY,  -- also the rowid of the chunk's row in chunk_fts
                chunk_id TEXT NOT NULL UNIQUE,
                doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                page INTEGER NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                metadata TEXT NOT NULL  -- JSON object
            )""",
            "CREATE INDEX chunks_doc_order ON chunks(doc_id, page, seq)",
        ],
    )


def m002_create_lexical_index(conn: sqlite3.Connection) -> None:
    """FTS5 over jieba words and CJK characters of chunk text, with a doc_key to scope searches."""
    _run(
        conn,
        [
            # tokens: jieba words; chars: each chunk's distinct CJK characters, searched
            # only for query words the index has never seen (lexical.plan_query). Both arrive
            # space-joined, so unicode61 only splits on spaces; diacritics are kept so query
            # terms match the vocabulary as-is. doc_key is indexed (not UNINDEXED) so a MATCH
            # column filter narrows by document inside FTS5, before ranking.
            """CREATE VIRTUAL TABLE chunk_fts USING fts5(
                tokens, chars, doc_key, tokenize = 'unicode61 remove_diacritics 0'
            )""",
            # A character match counts half a word match. doc_key weighs 0: its IDF differs
            # per document and must not bias ranking.
            "INSERT INTO chunk_fts(chunk_fts, rank) VALUES ('rank', 'bm25(1.0, 0.5, 0.0)')",
            # Per-column document frequencies, used to prune very common query terms.
            "CREATE VIRTUAL TABLE chunk_fts_vocab USING fts5vocab(chunk_fts, 'col')",
            # Deleting a chunk (directly or by cascade from its document) drops its FTS row.
            """CREATE TRIGGER chunks_delete_fts AFTER DELETE ON chunks BEGIN
                DELETE FROM chunk_fts WHERE rowid = old.id;
            END""",
        ],
    )


def m003_document_identity(conn: sqlite3.Connection) -> None:
    """Where a document's identity came from (document | file_name | user) and the disclosure it belongs to."""
    _run(
        conn,
        [
            "ALTER TABLE documents ADD COLUMN identity_source TEXT NOT NULL DEFAULT 'document'",
            "ALTER TABLE documents ADD COLUMN disclosure_id TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX documents_disclosure ON documents(disclosure_id)",
        ],
    )


def m004_page_labels(conn: sqlite3.Connection) -> None:
    """The page number printed on each page (JSON array, null where none is printed)."""
    _run(conn, ["ALTER TABLE documents ADD COLUMN page_labels TEXT NOT NULL DEFAULT '[]'"])


def m005_pending_writes(conn: sqlite3.Connection) -> None:
    """A mark per document a writer has started on (cleared when vectors, facts and PDF copy are done)."""
    _run(conn, ["CREATE TABLE pending (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, started_at REAL NOT NULL)"])


def m006_reviews(conn: sqlite3.Connection) -> None:
    """A reviewer's mark on an audit finding (确认 a real defect, 忽略 not one) with a note, kept across sessions.
    Keyed by the finding and its document's content hash, not tied to the documents row: a file removed and
    loaded again (or re-ingested with --force) finds its marks again."""
    _run(conn, ["CREATE TABLE reviews (finding_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, "
                "mark TEXT NOT NULL CHECK (mark IN ('确认', '忽略')), note TEXT NOT NULL DEFAULT '', "
                "marked_at TEXT NOT NULL)", "CREATE INDEX reviews_doc ON reviews(doc_id)"])


# Append only: a migration, once released, never changes; a schema change is a new function.
MIGRATIONS: list[Migration] = [m001_create_tables, m002_create_lexical_index, m003_document_identity, m004_page_labels,
                               m005_pending_writes, m006_reviews]


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite file at path, set pragmas and apply migrations."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so a read never leaves a transaction (and its
        # lock) open; writes use transaction() explicitly. check_same_thread=False because
        # Streamlit calls from several threads; FactStore serialises access with a lock.
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"{path}: cannot open the fact store ({e}); check the --home folder") from e
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        # WAL lets readers in other processes proceed while one process writes.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(f"{path}: not a budgetqa fact store, or damaged ({e})") from e
    except StoreError as e:
        conn.close()
        raise StoreError(f"{path}: {e}") from e
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one write transaction: commit on success, roll back on any error."""
    # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead
    # of one failing later with SQLITE_BUSY in the middle of its work.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations already applied to this database, oldest first."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def schema_version(conn: sqlite3.Connection) -> int:
    """How many migrations this database has had applied."""
    return len(applied_migrations(conn))


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations, each in its own transaction; return the names applied."""
    known = [m.__name__ for m in MIGRATIONS]
    # A plain read first: opening an up-to-date store must not take the write lock, or every
    # reader would queue behind a running ingest.
    _check_known(applied_migrations(conn), known)
    if applied_migrations(conn) == known:
        return []
    done: list[str] = []
    for migration in MIGRATIONS:
        name = migration.__name__
        with transaction(conn):
            # Re-checked inside the write transaction, so two processes opening a new file at
            # once cannot both apply the same migration.
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            applied = applied_migrations(conn)
            _check_known(applied, known)
            if name in applied:
                continue
            migration(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            done.append(name)
    return done


def _check_known(applied: list[str], known: list[str]) -> None:
    unknown = [n for n in applied if n not in known]
    if unknown:
        raise StoreError(
            f"the fact store has migrations this version does not know ({', '.join(unknown)}); "
            "upgrade budgetqa or use another --home"
        )
