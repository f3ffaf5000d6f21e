"""Chinese lexical index: jieba tokenisation and SQLite FTS5 search over pre-segmented text."""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import jieba

# jieba logs "Building prefix dict…" on first use; library code never prints.
jieba.setLogLevel(logging.WARNING)

# Recorded in index settings: changing how text is segmented changes the index, so a new
# value here must trigger a re-index rather than mixing old and new tokens.
TOKENIZER_VERSION = "jieba-cut_for_search+chars/unicode61/v1"

# Once the store holds at least this many chunks, query terms found in more than
# MAX_DF_RATIO of them are dropped: they barely discriminate, and FTS5 scores every row
# that matches any OR-ed term (DESIGN.md: 2.1 s vs ~13 ms at 500k chunks; measured here at
# 50k chunks, a query keeping one term found in 29% of chunks takes ~50 ms, rare terms ~4 ms).
MIN_CHUNKS_FOR_PRUNING = 50
MAX_DF_RATIO = 0.30

# Query-side only (the index keeps every token, so editing this list needs no re-index):
# function words, question words, and words every budget document repeats on every page.
_STOPWORD_TEXT = """
的 地 得 了 着 过 是 在 和 与 及 以及 或 或者 为 对 于 中 有 没有 吗 呢 吧 啊 呀 么
请 请问 问 多少 多少钱 几 几个 什么 哪些 哪个 哪 怎么 怎样 如何 是否 有没有 这 那 这个 那个
其 该 本 各 共 总共 一共 个 给 把 被 从 到 之 告诉 我 你 他 们 我们 你们 查询 一下 查 看
具体 分别 情况 相关 有关 关于 主要 包括 哪里 为什么 多 少 大 小 上 下
年 年度 月 日 万元 元 亿元 万 亿 预算 决算 金额 数额 数 数字 资金 单位 部门 公开
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# unicode61 splits on anything but letters and numbers; splitting the same way here keeps
# every index token and query term a single FTS5 token, so vocabulary lookups are exact.
_WORD = re.compile(r"[^\W_]+")
_SHORT_NUMBER = re.compile(r"\d{1,4}")  # years, counts, pieces of amounts like 1,024.87
# CJK Unified Ideographs, Extension A and Compatibility Ideographs.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

FTS_TABLE = "chunk_fts"


_warming: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Load jieba's dictionary (~1 s) in a background thread, e.g. while a PDF is being read in its own process;
    started once per process (the service's start-up and each ingest both ask for it)."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=jieba.initialize, name="jieba-warm-up", daemon=True)
        _warming.start()
    return _warming


def tokenize(text: str) -> list[str]:
    """Segment text with jieba's search mode into lower-case FTS5-compatible tokens."""
    # cut_for_search also emits the dictionary sub-words of long words (基本养老保险 →
    # 养老, 保险, 养老保险), so a query for a part of a compound finds the whole.
    tokens: list[str] = []
    # NFKC first: PDFs mix full-width digits and letters (２０８０５０５, ＣＰＩ) with ASCII ones.
    for piece in jieba.cut_for_search(unicodedata.normalize("NFKC", text)):
        tokens.extend(w.lower() for w in _WORD.findall(piece))
    return tokens


def cjk_chars(text: str) -> list[str]:
    """The distinct CJK characters of text, in order of first appearance."""
    return list(dict.fromkeys(_CJK.findall(unicodedata.normalize("NFKC", text))))


def index_row(text: str) -> tuple[str, str]:
    """What the FTS5 table stores for one chunk: space-joined (words, distinct characters)."""
    return " ".join(tokenize(text)), " ".join(cjk_chars(text))


def doc_key(doc_id: str) -> str:
    """A single FTS5 token standing for doc_id, so a document filter is a MATCH column filter."""
    # Hashed because a doc_id may contain characters unicode61 would split on.
    return "d" + hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:24]


def query_terms(query: str) -> list[str]:
    """Distinct meaningful words of a question: stopwords and short numbers removed."""
    terms: list[str] = []
    for token in tokenize(query):
        if token in STOPWORDS or _SHORT_NUMBER.fullmatch(token) or token in terms:
            continue
        terms.append(token)
    return terms


def quote(term: str) -> str:
    """Quote a term as an FTS5 string, so no character in it is read as query syntax."""
    return '"' + term.replace('"', '""') + '"'


def match_expression(words: Sequence[str], chars: Sequence[str] = (), doc_keys: Sequence[str] | None = None) -> str:
    """An FTS5 MATCH string: any of the words or characters, within the given documents."""
    parts = []
    if words:
        parts.append("tokens : (" + " OR ".join(quote(t) for t in words) + ")")
    if chars:
        parts.append("chars : (" + " OR ".join(quote(c) for c in chars) + ")")
    if not parts:
        raise ValueError("match_expression needs at least one word or character")
    expr = "(" + " OR ".join(parts) + ")"
    if doc_keys is not None:
        expr += " AND doc_key : (" + " OR ".join(quote(k) for k in doc_keys) + ")"
    return expr


def document_frequency(conn: sqlite3.Connection, column: str, term: str) -> int:
    """How many chunks contain term in column ('tokens' or 'chars'); 0 if none."""
    row = conn.execute(f"SELECT doc FROM {FTS_TABLE}_vocab WHERE col = ? AND term = ?", (column, term)).fetchone()
    return int(row[0]) if row else 0


DfLookup = Callable[[str, str], int]  # (column 'tokens' | 'chars', term) → how many chunks hold it


@dataclass
class IndexStats:
    """What query planning knows about the index: its size and the term frequencies looked up so far."""

    total_chunks: int
    lookup: DfLookup  # the backend's document frequency (FTS5 vocabulary, or PostgreSQL's postings)
    # fts5vocab counts a term's documents by walking its posting list (~1 ms for a term in
    # 15k chunks), so frequencies are cached; the owner drops this object when the index changes.
    dfs: dict[tuple[str, str], int] = field(default_factory=dict)
    total_tokens: int = 0  # tokens of every column of every chunk (BM25's average length), where the backend needs it

    def df(self, column: str, term: str) -> int:
        """Document frequency of term in column, looked up once."""
        key = (column, term)
        if key not in self.dfs:
            self.dfs[key] = self.lookup(column, term)
        return self.dfs[key]


def plan_query(query: str, stats: IndexStats) -> tuple[list[str], list[str]]:
    """The (words, characters) to search: unknown words backed off to characters, rare-enough terms kept."""
    words: dict[str, int] = {}
    chars: dict[str, int] = {}
    for word in query_terms(query):
        df = stats.df("tokens", word)
        if df:
            words[word] = df
            continue
        # A word the index has never seen (招待费 where documents say 接待费, or jieba
        # cutting the question differently from the text): fall back to its characters.
        for ch in cjk_chars(word):
            if ch not in STOPWORDS and ch not in chars:
                chars[ch] = stats.df("chars", ch)
    chars = {c: df for c, df in chars.items() if df}
    if stats.total_chunks < MIN_CHUNKS_FOR_PRUNING:
        return list(words), list(chars)
    limit = MAX_DF_RATIO * stats.total_chunks
    kept_words = [w for w, df in words.items() if df <= limit]
    kept_chars = [c for c, df in chars.items() if df <= limit]
    if not kept_words and not kept_chars:
        # Every term is common (e.g. a question about 合计 alone): one posting list is
        # still cheap, and the rarest term is the best guess at what was meant.
        if words:
            kept_words = [min(words, key=words.__getitem__)]
        elif chars:
            kept_chars = [min(chars, key=chars.__getitem__)]
    return kept_words, kept_chars


def add_rows(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> None:
    """Index (rowid, text, doc_id) rows; rowid is the chunk's id in the chunks table."""
    conn.executemany(
        f"INSERT INTO {FTS_TABLE} (rowid, tokens, chars, doc_key) VALUES (?, ?, ?, ?)",
        ((rowid, *index_row(text), doc_key(doc_id)) for rowid, text, doc_id in rows),
    )


def search(
    conn: sqlite3.Connection,
    query: str,
    k: int,
    stats: IndexStats,
    doc_ids: Sequence[str] | None = None,
) -> list[tuple[int, float]]:
    """Best k (chunk rowid, score) for query, higher score better; [] if nothing to search."""
    if k <= 0 or (doc_ids is not None and not doc_ids):
        return []
    words, chars = plan_query(query, stats)
    if not words and not chars:
        return []
    keys = None if doc_ids is None else sorted({doc_key(d) for d in doc_ids})
    # ORDER BY rank uses the bm25 weights set in the migration; FTS5 returns bm25 negated
    # (lower is better), so the score is its negation.
    rows = conn.execute(
        f"SELECT rowid, rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY rank LIMIT ?",
        (match_expression(words, chars, keys), k),
    ).fetchall()
    return [(int(rowid), -float(rank)) for rowid, rank in rows]
