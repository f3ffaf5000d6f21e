"""Crash safety, counted: ingests killed with SIGKILL at random moments, then concurrent forced ingests.

After each kill the next writer repairs (as `budgetqa doctor --repair` does) and the three stores are
compared: orphan vectors (of no stored document), missing vectors (a stored chunk without its vector),
left pending marks and stray `.part` archive copies must all be 0."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.fixtures import ROOT, XINZHOU

RUNS = 20


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args, "--home", str(home)]


def damage(home: Path) -> dict[str, int]:
    """What is inconsistent across the stores of one data folder, by kind."""
    from app.service import Service
    from app.settings import load_settings

    service = Service(load_settings(home=home))
    try:
        stored = {d.doc_id for d in service.documents()}
        vectors = service.vectors.doc_ids()
        chunks = sum(len(service.facts_store.chunks(d)) for d in stored)
        return {"orphan_documents": len(vectors - stored), "missing_documents": len(stored - vectors),
                "vector_surplus": max(service.vectors.count() - chunks, 0),
                "vector_shortfall": max(chunks - service.vectors.count(), 0),
                "pending": len(service.facts_store.pending()),
                "part_files": len(list(service.settings.pdfs_path.glob("*.part")))}
    finally:
        service.close()


def _add(total: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        total[k] = total.get(k, 0) + v


def _writing(home: Path, child: subprocess.Popen, timeout: float) -> bool:
    """Wait until the ingest has marked its document pending (its writes have begun)."""
    db = home / "facts.db"
    deadline = time.perf_counter() + timeout
    while child.poll() is None and time.perf_counter() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
                if conn.execute("SELECT count(*) FROM pending").fetchone()[0]:
                    return True
        except sqlite3.Error:
            pass
        time.sleep(0.005)
    return False


def random_kills(home: Path, runs: int = RUNS, seed: int = 7) -> dict:
    """`ingest --force` killed (SIGKILL, its whole process group) `runs` times: every other run at a random
    moment of the whole run, the others at a random moment after its writes began (where a kill can hurt)."""
    rng = random.Random(seed)
    subprocess.run(_cli(home, "ingest", str(XINZHOU)), cwd=ROOT, capture_output=True, check=True)
    started = time.perf_counter()
    subprocess.run(_cli(home, "ingest", str(XINZHOU), "--force"), cwd=ROOT, capture_output=True, check=True)
    full = time.perf_counter() - started  # one whole forced ingest takes about this long
    after_repair: dict[str, int] = {}
    killed = left = while_writing = 0
    for n in range(runs):
        child = subprocess.Popen(_cli(home, "ingest", str(XINZHOU), "--force"), cwd=ROOT, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if n % 2 and _writing(home, child, full * 3):
            while_writing += 1
            time.sleep(rng.uniform(0, 0.5))
        else:
            time.sleep(rng.uniform(0.2, full * 1.1))
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            killed += 1
        child.wait()
        left += any(damage(home).values())  # a kill that left work for the repair
        subprocess.run(_cli(home, "doctor", "--repair"), cwd=ROOT, capture_output=True)
        _add(after_repair, damage(home))
    return {"runs": runs, "killed": killed, "while_writing": while_writing, "left": left, "ingest_s": full,
            "after_repair": after_repair}


def concurrent_forced(home: Path, runs: int = RUNS) -> dict:
    """Two `ingest --force` of one file started together, `runs` times; nothing repaired in between."""
    lost: dict[str, int] = {}
    failed = 0
    for _ in range(runs):
        pair = [subprocess.Popen(_cli(home, "ingest", str(XINZHOU), "--force"), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        failed += sum(p.wait() != 0 for p in pair)
        _add(lost, damage(home))
    return {"runs": runs, "failed": failed, "damage": lost}


def run(workdir: Path, runs: int = RUNS) -> dict:
    """Both experiments, each in its own data folder."""
    return {"kills": random_kills(workdir / "kills", runs), "concurrent": concurrent_forced(workdir / "concurrent", runs)}


def section(r: dict) -> str:
    """The Markdown section."""
    k, c = r["kills"], r["concurrent"]
    bad = {name: n for name, n in k["after_repair"].items() if n}
    lost = {name: n for name, n in c["damage"].items() if n}
    return "\n".join([
        "## Crash safety", "",
        f"- {k['runs']} forced ingests of the bundled sample, each SIGKILLed at a random moment of its "
        f"~{k['ingest_s']:.1f} s run, half of them after their writes began ({k['killed']} were still running when "
        f"killed, {k['while_writing']} while writing; {k['left']} left the stores inconsistent), each followed by "
        f"`doctor --repair`: {'0 inconsistencies' if not bad else bad} "
        "(orphan or missing vectors, pending marks, stray `.part` copies).",
        f"- {c['runs']} pairs of concurrent `ingest --force` of one file: {c['failed']} failed runs, "
        f"{'0 lost or extra vectors' if not lost else lost}.", "",
    ])
