"""Latency benchmark: per-question time in one `budgetqa ask --batch` process with all samples loaded.

Every gold question goes into one batch file (a batch has one `--doc` for all its lines, so the gold
`doc` hints are not passed: each question is scoped by its own words, as a user's would be). The batch
runs in one process; each answer's `elapsed_ms` gives p50/p95, and the arrival time of each JSON line
gives the wall time per question (JSON and printing included) and the time to the first answer.
Start-up is the wall time of the same command with one trivial question: a refusal (the process, imports
and SQLite) and a definition (also opens Chroma, which the first passage search of a batch pays).

Run alone: `python -m benchmarks.ask [HOME]` (prints the section; without HOME the samples are ingested
into a temporary home first).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.fixtures import ROOT, gold_questions, samples
from benchmarks.retrieval import percentile

TARGET_MS = 100
# Start-up probes: a refusal (process, imports, SQLite; no search) and a definition (also opens Chroma).
STARTUP = (("refusal", "2030年三公经费是多少"), ("text", "三公经费是什么"))


def cli() -> list[str]:
    """The `budgetqa` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("budgetqa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def _env(embedder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUDGETQA_")}
    env.update(BUDGETQA_EMBEDDER=embedder, BUDGETQA_LLM="none")
    return env


def batch_run(home: Path, questions: list[str], embedder: str = "ngram") -> dict:
    """Run one `ask --batch --json` process; times each output line as it arrives."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(questions) + "\n")
        batch = Path(fh.name)
    # stderr to a file: a pipe nobody reads could fill up and stall the process.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen([*cli(), "ask", "--batch", str(batch), "--json", "--home", str(home)],
                                stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8",
                                cwd=ROOT, env=_env(embedder))
        answers, arrived, peak_kb = [], [], 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip():
                arrived.append(time.perf_counter() - started)
                answers.append(json.loads(line))
                peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        proc.wait()
        wall = time.perf_counter() - started
        errors.seek(0)
        err = errors.read()
    batch.unlink(missing_ok=True)
    if proc.returncode != 0 or len(answers) != len(questions):
        raise RuntimeError(f"budgetqa ask --batch failed ({proc.returncode}, {len(answers)}/{len(questions)} "
                           f"answers): {err[-2000:]}")
    return {"answers": answers, "arrived": arrived, "wall": wall, "peak_mb": peak_kb / 1024}


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), read while it runs. The child's ru_maxrss would
    not do: it starts from this (much bigger) parent's, inherited across fork and exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run(home: Path | None = None, embedders: tuple[str, ...] = ("ngram",), homes: dict | None = None) -> dict:
    """Measure start-up and batch latency per embedder; homes maps embedder → a loaded home (a missing
    one is made by `budgetqa ingest` of the samples into a temporary folder, deleted afterwards)."""
    golds = gold_questions()
    homes = dict(homes or {})
    tmp = None
    if home is not None:
        homes.setdefault(embedders[0], home)
    missing = [e for e in embedders if e not in homes]
    if missing:
        tmp = Path(tempfile.mkdtemp(prefix="bench-ask-"))
        for e in missing:
            homes[e] = tmp / e
            subprocess.run([*cli(), "ingest", *map(str, samples()), "--home", str(homes[e])], check=True,
                           capture_output=True, cwd=ROOT, env=_env(e))
    out: dict = {"n": len(golds), "runs": {}}
    try:
        for e in embedders:
            out["runs"][e] = _measure(homes[e], e, golds)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _measure(home: Path, e: str, golds: list[dict]) -> dict:
    """Start-up probes, then the whole gold set in one batch process."""
    from app.understand import understand

    questions = [g["question"] for g in golds]
    batch_run(home, [STARTUP[1][1]], e)  # warms the file cache
    startup = {name: min(batch_run(home, [q], e)["wall"] for _ in range(2)) for name, q in STARTUP}
    full = batch_run(home, questions, e)
    elapsed = [a["elapsed_ms"] for a in full["answers"]]
    arrived = full["arrived"]
    gaps = [(b - a) * 1000 for a, b in zip(arrived, arrived[1:], strict=False)]
    rows, first_text = [], None
    for i, (g, a) in enumerate(zip(golds, full["answers"], strict=True)):
        query = understand(g["question"])
        note = "first of the batch" if i == 0 else ""
        if first_text is None and query.is_text and a["status"] != "refused":
            first_text, note = i, "first passage search: imports and opens Chroma"
        rows.append({"id": g["id"], "question": g["question"], "kind": g["kind"], "ms": a["elapsed_ms"],
                     "status": a["status"], "intent": query.intent, "note": note})
    steady = [r["ms"] for r in rows if not r["note"]]
    return {
        "startup_s": startup["refusal"], "startup_text_s": startup["text"],
        "first_answer_s": arrived[0] if arrived else 0.0,
        "wall_s": full["wall"],
        "marginal_ms": (arrived[-1] - arrived[0]) * 1000 / max(len(arrived) - 1, 1),
        "p50": percentile(elapsed, 50), "p95": percentile(elapsed, 95), "max": max(elapsed),
        "mean": sum(elapsed) / len(elapsed),
        "steady_p50": percentile(steady, 50), "steady_p95": percentile(steady, 95), "steady_max": max(steady),
        "first_uses": [r for r in rows if r["note"]],
        "gap_p50": percentile(gaps, 50), "gap_p95": percentile(gaps, 95),
        "peak_mb": full["peak_mb"],
        "by_kind": {k: (percentile([r["ms"] for r in rows if r["kind"] == k], 50),
                        percentile([r["ms"] for r in rows if r["kind"] == k], 95),
                        sum(1 for r in rows if r["kind"] == k)) for k in ("number", "text", "refuse")},
        "by_intent": _by_intent(rows),
        "slowest": sorted(rows, key=lambda r: r["ms"], reverse=True)[:10],
    }


def _by_intent(rows: list[dict]) -> list[tuple[str, int, float, float]]:
    intents: dict[str, list[int]] = {}
    for r in rows:
        intents.setdefault(r["intent"], []).append(r["ms"])
    return sorted(((i, len(v), percentile(v, 50), percentile(v, 95)) for i, v in intents.items()),
                  key=lambda t: t[3], reverse=True)


def section(out: dict) -> str:
    """The Markdown section for BENCHMARKS.md."""
    lines = [
        "## Answering latency (`budgetqa ask --batch`)",
        "",
        f"All {out['n']} gold questions in one batch file, one process, all samples loaded, offline "
        "(`BUDGETQA_LLM=none`); the gold `doc` hints are not passed (a batch has one `--doc`), so each question is "
        "scoped by its own words. *p50/p95* are of each answer's `elapsed_ms` (understanding, scope, lookup or "
        "search, drafting, verifying); *steady* leaves out the two first-use answers (the first question, and the "
        "first passage search, which imports chromadb and loads the index); *marginal* = (last answer − first "
        "answer) / (n − 1) by the arrival of the JSON lines, printing included. *Start-up* = wall time of the "
        f"same command with one question, best of 2 after a warm-up: a refusal (`{STARTUP[0][1]}`: process, "
        f"imports, SQLite) and a definition (`{STARTUP[1][1]}`: also opens Chroma). *First answer* = launch to "
        f"the first line of the full batch; *peak MB* = its resident high-water mark (VmHWM, read as answers arrive). "
        f"Target: ≤ {TARGET_MS} ms per question.",
        "",
        "| embedder | start-up s (refusal) | start-up s (text) | first answer s | batch wall s | marginal ms/q | "
        f"p50 ms | p95 ms | max ms | steady p95 ms | steady max ms | ≤ {TARGET_MS} ms at p95 | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e, r in out["runs"].items():
        met = "yes" if r["p95"] <= TARGET_MS else "no"
        lines.append(f"| {e} | {r['startup_s']:.2f} | {r['startup_text_s']:.2f} | {r['first_answer_s']:.2f} | "
                     f"{r['wall_s']:.1f} | {r['marginal_ms']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | "
                     f"{r['steady_p95']:.0f} | {r['steady_max']:.0f} | {met} | {r['peak_mb']:.0f} |")
    for e, r in out["runs"].items():
        lines += ["", f"### {e}: by kind and intent", "",
                  "| gold kind | questions | p50 ms | p95 ms |", "|---|---|---|---|"]
        for k, (p50, p95, n) in r["by_kind"].items():
            lines.append(f"| {k} | {n} | {p50:.0f} | {p95:.0f} |")
        lines += ["", "| intent | questions | p50 ms | p95 ms |", "|---|---|---|---|"]
        for intent, n, p50, p95 in r["by_intent"]:
            lines.append(f"| {intent} | {n} | {p50:.0f} | {p95:.0f} |")
        lines += ["", f"Slowest 10 ({e}):", "", "| id | question | intent | status | ms | note |",
                  "|---|---|---|---|---|---|"]
        for s in r["slowest"]:
            lines.append(f"| {s['id']} | {s['question']} | {s['intent']} | {s['status']} | {s['ms']} | {s['note']} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Measure and print the section."""
    print(section(run(Path(argv[0]) if argv else None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
