"""Verifier fault injection: true drafts must pass, drafts with a wrong figure must be caught."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.answer import Answer, NumberCheck
from ingest.numbers import MONEY, convert

TRUE_KINDS = ("true", "converted")
FAULT_KINDS = ("other_row", "shifted_digit", "wrong_scale")


@dataclass(frozen=True)
class Draft:
    """One injected draft: its kind, its text, and whether it states the right figure."""

    question: str
    doc: str | None
    kind: str
    text: str

    @property
    def truthful(self) -> bool:
        """Whether the draft states the true figure (and so must not be flagged)."""
        return self.kind in TRUE_KINDS


def convert_or_none(value: Decimal, unit: str, to: str) -> Decimal | None:
    """value in another unit, or None when the units do not convert."""
    try:
        return convert(value, unit, to)
    except ValueError:
        return None


def _fmt(value: Decimal) -> str:
    return format(value.normalize() if value == value.to_integral_value() else value, "f")


def drafts_for(answer: Answer, doc: str | None, other_value: Decimal | None) -> list[Draft]:
    """Drafts around a correct, cited answer: the truth (as printed and converted) and three faults."""
    if answer.value is None or not answer.unit or not answer.citations:
        return []
    cite = answer.citations[0]
    if cite.value is None or not cite.unit or convert_or_none(Decimal(cite.value), cite.unit, answer.unit) != answer.value:
        return []  # a sum or a difference across documents: no single row to misattribute
    row = cite.row
    if row.endswith(("合计", "总计", "小计")) and cite.column:
        row = cite.column.split(" / ")[-1] if not cite.column.endswith("合计") else f"{cite.table}{row}"
    subject = f"{cite.unit_name}{cite.year or ''}年{row}"
    value, unit = answer.value, answer.unit
    out = [Draft(answer.question, doc, "true", f"{subject}为{format(value, 'f')}{unit}。")]
    if unit in MONEY and value != 0:  # zero is zero in any unit: no wrong scale to make
        other_unit = "元" if unit != "元" else "万元"
        converted = convert(value, unit, other_unit)
        if other_unit == "元" or converted == converted.quantize(Decimal("0.01")):
            out.append(Draft(answer.question, doc, "converted", f"{subject}为{_fmt(converted)}{other_unit}。"))
        out.append(Draft(answer.question, doc, "wrong_scale", f"{subject}为{format(value, 'f')}{other_unit}。"))
    if other_value is not None and other_value != value:
        out.append(Draft(answer.question, doc, "other_row", f"{subject}为{format(other_value, 'f')}{unit}。"))
    shifted = value * 10 if value else Decimal("1.00")
    out.append(Draft(answer.question, doc, "shifted_digit", f"{subject}为{format(shifted, 'f')}{unit}。"))
    return out


@dataclass(frozen=True)
class FaultReport:
    """Catch rate over faulty drafts, false-alarm rate over truthful ones, per kind."""

    drafts: int
    caught: int
    faults: int
    false_alarms: int
    truthful: int
    by_kind: dict

    def to_json(self) -> dict:
        """The report as the eval summary prints it."""
        return {
            "drafts": self.drafts,
            "catch_rate": round(self.caught / self.faults, 4) if self.faults else 1.0,
            "false_alarm_rate": round(self.false_alarms / self.truthful, 4) if self.truthful else 0.0,
            "by_kind": self.by_kind,
        }


def run_faults(drafts: Sequence[Draft], verify: Callable[[str, str, str | None], Sequence[NumberCheck]]) -> FaultReport:
    """Verify every draft; a fault is caught when any of its numbers is unsupported."""
    flagged: Counter = Counter()
    total: Counter = Counter()
    for d in drafts:
        checks = verify(d.question, d.text, d.doc)
        total[d.kind] += 1
        flagged[d.kind] += any(not c.supported for c in checks)
    faults = sum(total[k] for k in FAULT_KINDS)
    truthful = sum(total[k] for k in TRUE_KINDS)
    return FaultReport(
        drafts=len(drafts),
        caught=sum(flagged[k] for k in FAULT_KINDS),
        faults=faults,
        false_alarms=sum(flagged[k] for k in TRUE_KINDS),
        truthful=truthful,
        by_kind={k: {"drafts": total[k], "flagged": flagged[k]} for k in (*TRUE_KINDS, *FAULT_KINDS)},
    )
