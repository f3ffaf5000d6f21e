"""Growth benchmark: answering latency and store size with 1, 10, 100 and 1,000 documents loaded.

Document 1 is the bundled Xinzhou sample; the others are synthetic variants of it (benchmarks/fixtures.py:
another unit name and year, new ids), written with the real `store_parsed` into one home. At each size the
service is reopened (as a new CLI process would be) and a fixed set of questions is asked twice: *cold* (the
first pass pays for loading each document's facts) and *warm*. The questions name the Xinzhou unit and
year, pass it as a scope hint, name only a year, or name nothing (answered for every matching document).

Run alone: `python -m benchmarks.growth [SIZE ...]` (prints the section).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fixtures import XINZHOU, variants
from benchmarks.retrieval import percentile
from ingest.pipeline import Parsed, parse_file, store_parsed

SIZES = (1, 10, 100, 1000)  # the province-scale step the issue asks for: ~7 min embedded, ~12 min on the servers
BUDGET_S = 1500  # one growth run (one backend) stays under ~25 minutes on a 2-core machine; past it, sizes are skipped and said
BASE_HINT = "忻州市商务局"

# (scope, question, doc hint)
QUESTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("unit+year", "忻州市商务局2024年三公经费预算多少", None),
    ("unit+year", "忻州市商务局2024年公务接待费是多少", None),
    ("unit+year", "忻州市商务局2024年基本支出多少万元", None),
    ("unit+year", "忻州市商务局2024年项目支出一共多少", None),
    ("unit+year", "忻州市商务局2024年收入预算总计多少", None),
    ("unit+year", "忻州市商务局2024年人员经费多少", None),
    ("unit+year", "忻州市商务局2024年机关运行经费多少", None),
    ("unit+year", "忻州市商务局2024年社会保障和就业支出占比多少", None),
    ("unit+year", "忻州市商务局2024年一般公共预算拨款比上年增长多少", None),
    ("unit+year", "忻州市商务局的主要职能是什么", None),
    ("hint", "公务用车运行维护费多少", BASE_HINT),
    ("hint", "一般公共预算拨款多少", BASE_HINT),
    ("hint", "公用经费多少", BASE_HINT),
    ("hint", "办公费多少元", BASE_HINT),
    ("hint", "基本工资一共多少", BASE_HINT),
    ("hint", "单位内设机构有哪些", BASE_HINT),
    ("hint", "项目支出是指什么", BASE_HINT),
    ("hint", "三公经费为什么与上年持平", BASE_HINT),
    ("year", "2024年三公经费预算多少", None),
    ("year", "2024年公务接待费多少", None),
    ("year", "2024年基本支出多少", None),
    ("year", "2024年机关运行经费是多少", None),
    ("year", "2024年有多少辆公务车", None),
    ("year", "2024年政府采购预算多少", None),
    ("none", "三公经费预算多少", None),
    ("none", "公务接待费多少", None),
    ("none", "机关运行经费是什么", None),
    ("none", "基本支出是指什么", None),
    ("none", "出国经费安排了多少", None),
    ("none", "2030年三公经费是多少", None),
)


def store_bytes(home: Path, servers: Servers | None = None) -> dict[str, int]:
    """Bytes of the fact store (facts.db with its WAL, or the PostgreSQL database) and of the vectors folder."""
    if servers is None:
        db = sum(p.stat().st_size for p in home.glob("facts.db*") if p.is_file())
        folder = home / "vectors"
    else:
        import psycopg

        with psycopg.connect(servers.database_url) as conn:
            db = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        folder = servers.chroma_dir
    vectors = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"db": db, "vectors": vectors}


@dataclass
class Servers:
    """A PostgreSQL database and a Chroma server the benchmark started (tests/servers.py), for the server backend."""

    database_url: str
    chroma_url: str
    chroma_dir: Path


def settings(home: Path, embedder: str, servers: Servers | None):
    """The service settings of one step: embedded in home, or on the servers."""
    from app.settings import Settings

    if servers is None:
        return Settings(home=home, embedder=embedder)
    return Settings(home=home, embedder=embedder, database_url=servers.database_url, chroma_url=servers.chroma_url)


def ask_all(service, questions: Sequence[tuple[str, str, str | None]]) -> list[dict]:
    """Ask each question once; wall ms measured here (Answer.elapsed_ms rounds to whole ms)."""
    out = []
    for scope, q, hint in questions:
        started = time.perf_counter()
        answer = service.ask(q, hint)
        out.append({"scope": scope, "question": q, "ms": (time.perf_counter() - started) * 1000,
                    "status": answer.status, "citations": len(answer.citations)})
    return out


def measure(home: Path, embedder: str, servers: Servers | None = None) -> dict:
    """Reopen the home and ask the questions cold, then warm."""
    from app.service import Service

    started = time.perf_counter()
    service = Service(settings(home, embedder, servers))
    _ = service.vectors
    open_s = time.perf_counter() - started
    cold = ask_all(service, QUESTIONS)
    warm = ask_all(service, QUESTIONS)
    stats = service.facts_store.stats()
    service.close()
    service.vectors.close()
    return {"open_s": open_s, "cold": cold, "warm": warm, "stats": stats}


def run(base: Parsed | None = None, sizes: Sequence[int] = SIZES, embedder: str = "ngram",
        budget_s: float = BUDGET_S, workdir: Path | None = None, servers: Servers | None = None) -> dict:
    """Grow one home through the sizes; stop early (and say why) when the budget would be exceeded."""
    from app.service import Service

    base = base or parse_file(XINZHOU)
    home = Path(tempfile.mkdtemp(prefix="bench-growth-", dir=workdir))
    docs = [base, *variants(base, max(sizes) - 1)]
    began = time.perf_counter()
    steps, loaded, store_s, skipped = [], 0, 0.0, ""
    try:
        for size in sizes:
            if loaded:
                per_doc = store_s / loaded
                ask_s = steps[-1]["ask_s"] if steps else 0.0
                projected = (size - loaded) * per_doc + ask_s * 2
                if time.perf_counter() - began + projected > budget_s:
                    skipped = (f"{size} documents skipped: at {per_doc:.2f} s per document the step would take "
                               f"~{projected:.0f} s, beyond the {budget_s:.0f} s budget")
                    break
            service = Service(settings(home, embedder, servers))
            started = time.perf_counter()
            for p in docs[loaded:size]:
                store_parsed(p, service.facts_store, service.vectors)
            added = size - loaded
            step_store = time.perf_counter() - started
            store_s += step_store
            loaded = size
            service.close()
            service.vectors.close()
            started = time.perf_counter()
            m = measure(home, embedder, servers)
            m["ask_s"] = time.perf_counter() - started
            steps.append({"size": size, "added": added, "store_s": step_store, **store_bytes(home, servers), **m})
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"embedder": embedder, "backend": "server" if servers else "embedded", "steps": steps,
            "skipped": skipped, "chunks_per_doc": len(base.chunks),
            "facts_per_doc": len(base.facts), "total_s": time.perf_counter() - began}


def _ms(rows: list[dict], q: float, scope: str | None = None) -> float:
    return percentile([r["ms"] for r in rows if scope is None or r["scope"] == scope], q)


def section(out: dict) -> str:
    """The Markdown section for BENCHMARKS.md."""
    n = len(QUESTIONS)
    lines = [
        f"## Growth ({out.get('backend', 'embedded')}): " + ", ".join(str(s["size"]) for s in out["steps"]) + " documents",
        "",
        f"Document 1 is the Xinzhou sample ({out['facts_per_doc']} facts, {out['chunks_per_doc']} chunks); the "
        "others are synthetic variants made by `benchmarks/fixtures.py` (unit `{city}市{bureau}`, year 2015–2024, "
        "new doc_id, fact and chunk ids, texts rewritten) and written with `store_parsed` "
        f"(embedder `{out['embedder']}`). At each size the service is reopened and {n} questions are asked twice "
        "in-process (*cold*: first pass, loading each document's facts on first use; *warm*: second pass). "
        "Scopes: the unit and year named in the question, a `doc` hint, a year only (matches ~1 in 10 variants), "
        "nothing (answered for every matching document). *Store* = facts.db (with WAL) + vectors/.",
        "",
        "| documents | chunks | store s (added docs) | s per doc | facts.db MB | vectors MB | store MB | open s | "
        "cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms | warm max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in out["steps"]:
        lines.append(
            f"| {s['size']} | {s['stats']['chunks']} | {s['store_s']:.1f} | {s['store_s'] / max(s['added'], 1):.2f} | "
            f"{s['db'] / 1e6:.1f} | {s['vectors'] / 1e6:.1f} | {(s['db'] + s['vectors']) / 1e6:.1f} | "
            f"{s['open_s']:.2f} | {_ms(s['cold'], 50):.0f} | {_ms(s['cold'], 95):.0f} | {_ms(s['warm'], 50):.0f} | "
            f"{_ms(s['warm'], 95):.0f} | {max(r['ms'] for r in s['warm']):.0f} |")
    scopes = list(dict.fromkeys(q[0] for q in QUESTIONS))
    lines += ["", "Warm p50 / p95 ms by scope:", "",
              "| documents | " + " | ".join(f"{sc} ({sum(1 for q in QUESTIONS if q[0] == sc)})" for sc in scopes) + " |",
              "|---|" + "---|" * len(scopes)]
    for s in out["steps"]:
        lines.append(f"| {s['size']} | " + " | ".join(
            f"{_ms(s['warm'], 50, sc):.0f} / {_ms(s['warm'], 95, sc):.0f}" for sc in scopes) + " |")
    if out["steps"]:
        last = out["steps"][-1]
        slow = sorted(last["warm"], key=lambda r: r["ms"], reverse=True)[:5]
        lines += ["", f"Slowest warm questions at {last['size']} documents: " + "; ".join(
            f"{r['question']} ({r['scope']}, {r['ms']:.0f} ms, {r['citations']} citations)" for r in slow) + "."]
    if out["skipped"]:
        lines += ["", f"**{out['skipped']}.**"]
    lines += ["", f"Whole growth run: {out['total_s']:.0f} s.", ""]
    return "\n".join(lines)


@contextmanager
def started_servers() -> Iterator[Servers]:
    """A throwaway PostgreSQL cluster and `chroma run` (the test suite's), for the server backend."""
    from tests import servers

    with servers.postgres() as base, servers.chroma() as chroma:
        yield Servers(servers.new_database(base, "bench"), chroma, servers.chroma_dirs()[chroma])


def main(argv: list[str]) -> int:
    """Measure and print the section: `python -m benchmarks.growth [--server] [--budget S] [SIZE ...]`."""
    server = "--server" in argv
    budget = float(argv[argv.index("--budget") + 1]) if "--budget" in argv else BUDGET_S
    sizes = tuple(int(a) for i, a in enumerate(argv) if a.isdigit() and (i == 0 or argv[i - 1] != "--budget")) or SIZES
    if not server:
        print(section(run(sizes=sizes, budget_s=budget)))
        return 0
    with started_servers() as servers:
        print(section(run(sizes=sizes, budget_s=budget, servers=servers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
