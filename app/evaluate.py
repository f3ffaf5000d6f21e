"""Evaluation against gold Q&A sets (DESIGN.md): accuracy per kind and document, refusals, latency."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from app.answer import Answer
from ingest.numbers import MONEY, convert
from store.errors import BudgetQAError

TOLERANCE = Decimal("0.005")


@dataclass(frozen=True)
class Record:
    """One gold question with the answer given and whether it is right."""

    gold: dict
    answer: Answer
    correct: bool
    source: str  # the gold file it came from


def load_gold(paths: Iterable[Path]) -> list[tuple[dict, str]]:
    """Gold questions from JSONL files, each with the file's name; a bad line names file and line."""
    out = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BudgetQAError(f"{path}: cannot read this gold file ({type(exc).__name__}: "
                                f"{getattr(exc, 'strerror', None) or exc})") from exc
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BudgetQAError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            if item.get("kind") not in ("number", "text", "refuse") or "question" not in item:
                raise BudgetQAError(f"{path}:{n}: needs 'question' and a kind of number|text|refuse")
            out.append((item, Path(path).name))
    return out


# Counters that count the same things: 9名 in-service staff are 9人; 4台（套） of equipment are 4台.
_SAME_COUNTER = {"名": "人", "套": "台", "台（套）": "台", "台(套)": "台", "台/套": "台"}


def _counter(unit: str) -> str:
    return _SAME_COUNTER.get(unit, unit)


def number_matches(gold_value, gold_unit: str | None, value: Decimal | None, unit: str | None) -> bool:
    """The answer's value, converted to the gold unit, equals the gold value (to 0.005, or as rounded)."""
    if value is None:
        return False
    want = Decimal(str(gold_value))
    got = value
    if gold_unit and unit and gold_unit != unit and _counter(gold_unit) != _counter(unit):
        if gold_unit in MONEY and unit in MONEY:
            got = convert(value, unit, gold_unit)
        else:
            return False
    if abs(got - want) <= TOLERANCE:
        return True
    # "as the documents round it": 万元 figures are printed to 2 places (9,501,164元 → 950.12万元)
    return got.quantize(Decimal("0.01"), ROUND_HALF_UP) == want.quantize(Decimal("0.01"), ROUND_HALF_UP)


def score(gold: dict, answer: Answer) -> bool:
    """Whether an answer is right for its gold question."""
    kind = gold["kind"]
    if kind == "refuse":
        return answer.status == "refused"
    if answer.status == "refused":
        return False
    if kind == "number":
        return number_matches(gold["value"], gold.get("unit"), answer.value, answer.unit)
    return all(s in answer.answer for s in gold.get("must_include", []))


def run(gold: Sequence[tuple[dict, str]], ask: Callable[[str, str | None], Answer],
        progress: Callable[[int, int], None] | None = None) -> list[Record]:
    """Ask every gold question through the service and score it."""
    records = []
    for i, (item, source) in enumerate(gold, 1):
        answer = ask(item["question"], item.get("doc"))
        records.append(Record(item, answer, score(item, answer), source))
        if progress:
            progress(i, len(gold))
    return records


def verified_but_wrong(r: Record) -> bool:
    """A wrong figure shown as verified: the worst failure (a text answer's badge speaks of its figures only)."""
    if r.answer.status != "verified" or r.correct:
        return False
    return r.gold["kind"] == "number" or (r.gold["kind"] == "refuse" and r.answer.value is not None)


def _same_printed(value: Decimal, unit: str, shown: Decimal, shown_unit: str | None) -> bool:
    """The cited cell, in the answer's unit and rounded as the answer prints it, is the answer."""
    if not shown_unit or (unit != shown_unit and not (unit in MONEY and shown_unit in MONEY)):
        return False
    converted = convert(value, unit, shown_unit)
    return converted.quantize(Decimal(1).scaleb(shown.as_tuple().exponent), ROUND_HALF_UP) == shown


def citation_accuracy(records: Sequence[Record]) -> float:
    """Of the figures answered right, the share whose citations hold that figure (or its inputs)."""
    right = [r for r in records if r.correct and r.gold["kind"] == "number" and r.answer.value is not None]
    if not right:
        return 1.0

    def holds(r: Record) -> bool:
        a = r.answer
        if any(n.support and n.support[0].startswith(("derived:", "quote:")) for n in a.numbers):
            return bool(a.citations)
        cited = [(Decimal(c.value), c.unit) for c in a.citations if c.value is not None and c.unit]
        if any(_same_printed(v, u, a.value, a.unit) for v, u in cited):
            return True
        # a sum or a difference of the cited cells (two units' 三公经费 added up)
        same = [v for v, u in cited if u == a.unit]
        return len(same) >= 2 and (sum(same) == a.value or same[0] - same[1] == a.value)
    return round(sum(holds(r) for r in right) / len(right), 4)


def markdown_report(result: dict, records: Sequence[Record], faults: dict | None = None) -> str:
    """A Markdown report: the summary, then every miss with what was expected and what was said."""
    lines = ["# budgetqa evaluation", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {json.dumps(v, ensure_ascii=False)} |" for k, v in result.items()]
    if faults:
        lines += ["", "## Verifier fault injection", "", f"```json\n{json.dumps(faults, ensure_ascii=False, indent=1)}\n```"]
    misses = [r for r in records if not r.correct]
    lines += ["", f"## Misses ({len(misses)})", ""]
    for r in misses:
        g = r.gold
        want = {"number": f"{g.get('value')} {g.get('unit') or ''}", "text": f"must include {g.get('must_include')}",
                "refuse": "a refusal"}[g["kind"]]
        got = r.answer.answer.replace("\n", " ")[:160]
        lines.append(f"- **{g.get('id')}** {g['question']} — expected {want}; got *{r.answer.status}*: {got}")
    return "\n".join(lines) + "\n"


def summary(records: Sequence[Record]) -> dict:
    """Accuracy overall, per kind and per gold file; refusal precision/recall; verified-but-wrong; latency."""
    def acc(rs: Sequence[Record]) -> float:
        return round(sum(r.correct for r in rs) / len(rs), 4) if rs else 0.0

    by_kind, by_file = defaultdict(list), defaultdict(list)
    for r in records:
        by_kind[r.gold["kind"]].append(r)
        by_file[r.source].append(r)
    refused = [r for r in records if r.answer.status == "refused"]
    should = [r for r in records if r.gold["kind"] == "refuse"]
    latencies = sorted(r.answer.elapsed_ms for r in records) or [0]
    return {
        "questions": len(records),
        "accuracy": acc(records),
        "accuracy_by_kind": {k: acc(v) for k, v in sorted(by_kind.items())},
        "accuracy_by_file": {k: acc(v) for k, v in sorted(by_file.items())},
        "refusal_precision": round(sum(r.gold["kind"] == "refuse" for r in refused) / len(refused), 4) if refused else 1.0,
        "refusal_recall": round(sum(r.answer.status == "refused" for r in should) / len(should), 4) if should else 1.0,
        "verified_but_wrong": sum(1 for r in records if verified_but_wrong(r)),
        "verified_but_wrong_by_kind": {k: sum(map(verified_but_wrong, v)) for k, v in sorted(by_kind.items())},
        "verified_but_wrong_by_file": {k: sum(map(verified_but_wrong, v)) for k, v in sorted(by_file.items())},
        "citation_accuracy": citation_accuracy(records),
        "latency_ms_p50": statistics.median(latencies),
        "latency_ms_p95": latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))],
    }
