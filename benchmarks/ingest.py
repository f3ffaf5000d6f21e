"""Ingest benchmark: our ingest vs pdfplumber's own text+table pass on the same file, in the same run.

`run()` measures, `section()` renders the BENCHMARKS.md section (figures as ratios, since this machine is
shared and noisy); `python -m benchmarks` writes the whole file. Run alone:
`python -m benchmarks.ingest [PDF ...]` (prints the section, writes nothing).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.fixtures import ROOT, SHARED, samples


def floor_pass(path: Path) -> float:
    """pdfplumber alone: every page's text and tables, as any ingest must at least do."""
    import pdfplumber

    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.flush_cache()
    return time.perf_counter() - started


def one(path: Path) -> dict:
    """Measure one file in this (fresh) process: floor, parse, full ingest, peak memory."""
    from app.service import Service
    from app.settings import Settings
    from ingest.pipeline import parse_file

    floor = floor_pass(path)
    started = time.perf_counter()
    parsed = parse_file(path)
    parse = time.perf_counter() - started
    home = Path(tempfile.mkdtemp())
    try:
        service = Service(Settings(home=home))
        started = service.prepare_ingest()  # start-up is not per-file work: the reader's forkserver, jieba, Chroma
        _ = service.vectors
        for thread in started:
            thread.join()
        started = time.perf_counter()
        reports = list(service.ingest([path]))
        full = time.perf_counter() - started
        service.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"file": path.name, "pages": parsed.document.pages, "facts": parsed.document.fact_count,
            "chunks": parsed.document.chunk_count, "floor_s": floor, "parse_s": parse, "ingest_s": full,
            "status": reports[0].status, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def folder(paths: list[Path], workers: int) -> dict:
    """A folder of copies ingested with N workers into a fresh store, in a fresh process: its start-up
    (imports, stores, the reader) and then the ingest itself, which is what more workers speed up."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for p in paths:
            shutil.copy(p, src / p.name)
        out = subprocess.run([sys.executable, "-m", "benchmarks.ingest", "--folder", str(workers), str(src),
                              str(Path(tmp) / "h")], check=True, capture_output=True, text=True, cwd=ROOT).stdout
        return json.loads(out.strip().splitlines()[-1])


def folder_here(workers: int, src: Path, home: Path) -> dict:
    """`folder`'s measurement, in this process."""
    started = time.perf_counter()
    from app.service import Service
    from app.settings import Settings

    service = Service(Settings(home=home))
    for thread in service.prepare_ingest():
        thread.join()
    _ = service.vectors
    startup = time.perf_counter() - started
    started = time.perf_counter()
    reports = list(service.ingest([src], workers=workers))
    seconds = time.perf_counter() - started
    service.close()
    return {"startup_s": startup, "ingest_s": seconds, "files": len(reports),
            "ingested": sum(r.status == "ingested" for r in reports)}


def run(paths: list[Path] | None = None) -> dict:
    """Every measurement: each file in a fresh process, then a folder of every sample with 1 and 2 workers."""
    paths = paths or samples()
    rows = []
    for p in paths:
        out = subprocess.run([sys.executable, "-m", "benchmarks.ingest", "--one", str(p)], check=True,
                             capture_output=True, text=True, cwd=ROOT).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    many = paths + all_samples_beyond(paths)
    return {"rows": rows, "one_worker": folder(many, 1), "two_workers": folder(many, 2)}


def all_samples_beyond(paths: list[Path]) -> list[Path]:
    """The shared samples in subfolders (Jiangsu's six files), so the folder run has more than a handful."""
    return [p for p in sorted(SHARED.rglob("*.pdf")) if p.parent != SHARED and p not in paths]


def section(out: dict) -> str:
    """The Markdown section for BENCHMARKS.md."""
    one_worker, two_workers = out["one_worker"], out["two_workers"]
    lines = [
        "## Ingest, one file at a time",
        "",
        "*floor* = pdfplumber's own text + table pass over the same file in the same run; *parse* = our read "
        "of pages, tables, facts, prose and chunks; *ingest* = parse + SQLite + FTS5 + Chroma (n-gram embedder).",
        "",
        "| file | pages | facts | chunks | floor s | parse s | ingest s | parse/floor | ingest/floor | pages/s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in out["rows"]:
        lines.append(f"| {r['file']} | {r['pages']} | {r['facts']} | {r['chunks']} | {r['floor_s']:.2f} | "
                     f"{r['parse_s']:.2f} | {r['ingest_s']:.2f} | {r['parse_s'] / r['floor_s']:.2f}× | "
                     f"{r['ingest_s'] / r['floor_s']:.2f}× | {r['pages'] / r['ingest_s']:.1f} | {r['peak_mb']:.0f} |")
    lines += [
        "",
        "## A folder of all of them",
        "",
        f"{one_worker['files']} files ({one_worker['ingested']} ingested), each run in a fresh process and a fresh "
        "store. *ingest* is from the first file to the last report; *start-up* (imports, opening the stores, the "
        "reader's forkserver, jieba) is paid once per process, however many files follow.",
        "",
        "| workers | start-up s | ingest s | files/min | throughput vs 1 worker |",
        "|---|---|---|---|---|",
    ]
    for n, r in ((1, one_worker), (2, two_workers)):
        lines.append(f"| {n} | {r['startup_s']:.1f} | {r['ingest_s']:.1f} | {60 * r['files'] / r['ingest_s']:.0f} | "
                     f"{one_worker['ingest_s'] / r['ingest_s']:.2f}× |")
    lines += [
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`--one PDF`: measure one file (JSON line); otherwise measure all and print the section."""
    if argv and argv[0] == "--folder":
        print(json.dumps(folder_here(int(argv[1]), Path(argv[2]), Path(argv[3]))))
        return 0
    if argv and argv[0] == "--one":
        print(json.dumps(one(Path(argv[1]))))
        return 0
    print(section(run([Path(a) for a in argv] or None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
