"""`python -m benchmarks` (`make bench`): every benchmark, written to BENCHMARKS.md.

Sections: ingest (vs pdfplumber, 1 vs 2 workers), retrieval (recall@5 per embedder and mode, the default
embedder by measurement), answering latency (one `ask --batch` process, start-up), growth (1/10/100/1,000 docs, embedded and on the servers),
crash safety (random SIGKILLs mid-ingest, concurrent forced ingests).
The samples are parsed once and shared: the retrieval homes are the ones the latency benchmark asks.

Options: `--only ingest,retrieval,latency,growth,crash`, `--sizes 1,10,100`, `--out FILE` (default BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import ask, crash, growth, ingest, retrieval
from benchmarks.fixtures import ROOT, XINZHOU, samples

SECTIONS = ("ingest", "retrieval", "latency", "growth", "growth_server", "crash")


def machine() -> str:
    """CPU model, cores, memory and Python, for the header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(li for li in Path("/proc/meminfo").read_text().splitlines() if li.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def summary(results: dict) -> list[str]:
    """The key figures, first."""
    lines = ["## Key figures", ""]
    if "ingest" in results:
        rows, one, two = results["ingest"]["rows"], results["ingest"]["one_worker"], results["ingest"]["two_workers"]
        ratios = sorted(r["ingest_s"] / r["floor_s"] for r in rows)
        lines.append(f"- Ingest per file: {ratios[0]:.2f}–{ratios[-1]:.2f}× pdfplumber's own pass; a folder of "
                     f"{one['files']} files with 2 workers: {one['ingest_s'] / two['ingest_s']:.2f}× the throughput "
                     f"of 1 ({60 * two['files'] / two['ingest_s']:.0f} vs {60 * one['files'] / one['ingest_s']:.0f} "
                     "files/min, start-up excluded).")
    if "retrieval" in results:
        emb = {k: v for k, v in results["retrieval"]["embedders"].items() if "error" not in v}
        chosen, _ = retrieval.choose(emb)
        for name, e in emb.items():
            r = e["results"]
            parts = ", ".join(f"{m} {retrieval.recall(r[m]['text'] + r[m]['number']):.1%}"
                              for m in ("vector", "lexical", "hybrid"))
            lines.append(f"- Retrieval recall@{retrieval.K} ({name}, text + number questions): {parts}; "
                         f"text questions as the asker searches: {retrieval.recall(r['asker']['text']):.1%}.")
        lines.append(f"- Default offline embedder by measurement: **{chosen}**.")
    if "latency" in results:
        for name, r in results["latency"]["runs"].items():
            met = "met" if r["p95"] <= ask.TARGET_MS else "not met"
            lines.append(f"- Answering ({name}, {results['latency']['n']} gold questions, one batch process): p50 "
                         f"{r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, marginal {r['marginal_ms']:.0f} ms/question, "
                         f"start-up {r['startup_s']:.2f} s; target ≤ {ask.TARGET_MS} ms at p95 {met}.")
    for key, backend in (("growth", "embedded"), ("growth_server", "PostgreSQL + Chroma server")):
        for s in results.get(key, {}).get("steps", []):
            lines.append(f"- {s['size']} documents ({backend}): warm p50 {growth._ms(s['warm'], 50):.0f} ms, p95 "
                         f"{growth._ms(s['warm'], 95):.0f} ms, store {(s['db'] + s['vectors']) / 1e6:.1f} MB.")
    if "crash" in results:
        k, c = results["crash"]["kills"], results["crash"]["concurrent"]
        lines.append(f"- Crash safety: {sum(k['after_repair'].values())} inconsistencies after {k['runs']} random "
                     f"kills and repair; {sum(c['damage'].values())} after {c['runs']} concurrent forced ingests.")
    lines.append("")
    return lines


def main(argv: list[str]) -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections to run")
    parser.add_argument("--sizes", default=",".join(map(str, growth.SIZES)), help="growth sizes")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")

    from ingest.pipeline import parse_file

    started = time.perf_counter()
    results: dict = {}
    sections: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="budgetqa-bench-"))
    try:
        if "ingest" in only:
            print("ingest …", file=sys.stderr, flush=True)
            results["ingest"] = ingest.run()
            sections.append(ingest.section(results["ingest"]))
        parsed = [parse_file(p) for p in samples()] if {"retrieval", "latency", "growth", "growth_server"} & set(only) else []
        homes: dict = {}
        if "retrieval" in only:
            print("retrieval …", file=sys.stderr, flush=True)
            results["retrieval"] = retrieval.run(parsed, work)
            homes = results["retrieval"]["homes"]
            sections.append(retrieval.section(results["retrieval"]))
        if "latency" in only:
            print("latency …", file=sys.stderr, flush=True)
            embedders = tuple(homes) or ("ngram",)
            results["latency"] = ask.run(embedders=embedders, homes=homes)
            sections.append(ask.section(results["latency"]))
        if "growth" in only:
            print("growth …", file=sys.stderr, flush=True)
            base = next((p for p in parsed if p.document.file_name == XINZHOU.name), None)
            sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
            results["growth"] = growth.run(base, sizes=sizes, workdir=work)
            sections.append(growth.section(results["growth"]))
        if "growth_server" in only:
            print("growth on the servers …", file=sys.stderr, flush=True)
            base = next((p for p in parsed if p.document.file_name == XINZHOU.name), None)
            sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
            try:
                with growth.started_servers() as servers:
                    results["growth_server"] = growth.run(base, sizes=sizes, workdir=work, servers=servers)
                sections.append(growth.section(results["growth_server"]))
            except (RuntimeError, ImportError, OSError) as exc:  # no PostgreSQL or chroma here: say so, go on
                sections.append(f"## Growth (server)\n\nNot measured: {exc}\n")
        if "crash" in only:
            print("crash …", file=sys.stderr, flush=True)
            results["crash"] = crash.run(work / "crash")
            sections.append(crash.section(results["crash"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = [
        "# Benchmarks",
        "",
        f"Generated by `python -m benchmarks` (`make bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in "
        f"{time.perf_counter() - started:.0f} s; do not edit by hand. Machine: {machine()}. The machine is shared, "
        "so compare ratios and orders of magnitude rather than exact seconds.",
        "",
    ]
    text = "\n".join([*header, *summary(results), *sections]).rstrip() + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
