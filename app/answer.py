"""What an answer is: status, text, the asked figure, every number with its support, and citations."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Literal

Status = Literal["verified", "unverified", "refused"]

# The one phrase every refusal starts with, so people (and the evaluation) recognise it.
CANNOT_ANSWER = "文件中没有相关信息"


def cite_page(page: int, label: str | None) -> str:
    """第15页（PDF第18页） where the printed number differs from the PDF's index, else 第18页."""
    return f"第{label}页（PDF第{page}页）" if label and label != str(page) else f"第{page}页"


@dataclass(frozen=True)
class Citation:
    """Where a figure or passage stands: document, page, table, row, column."""

    doc_id: str
    unit_name: str
    year: int | None
    page: int
    table: str
    row: str
    column: str
    value: str | None
    fact_id: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    unit: str | None = None  # the unit of value, as the document prints it
    page_label: str | None = None  # the page number printed on the page, when the document prints one

    @property
    def page_text(self) -> str:
        """The page as staff cite it: the printed number first, the PDF's index where it differs."""
        return cite_page(self.page, self.page_label)


@dataclass(frozen=True)
class NumberCheck:
    """One number found in an answer and whether the documents support it."""

    text: str
    value: Decimal | None
    unit: str | None
    supported: bool
    support: tuple[str, ...] = ()  # "fact:<id>", "passage:<chunk id>", "derived:<how>"
    problem: str = ""


@dataclass(frozen=True)
class Answer:
    """The result of one question."""

    question: str
    status: Status
    answer: str
    value: Decimal | None = None
    unit: str | None = None
    numbers: tuple[NumberCheck, ...] = ()
    citations: tuple[Citation, ...] = ()
    mode: str = "offline"
    elapsed_ms: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        """The DESIGN.md `ask --json` object (Decimals as JSON numbers, exactly as printed)."""
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "value": _num(self.value),
            "unit": self.unit,
            "numbers": [number_json(n) for n in self.numbers],
            "citations": [
                {k: v for k, v in asdict(c).items() if k not in ("bbox",)} for c in self.citations
            ],
            "mode": self.mode,
            "elapsed_ms": self.elapsed_ms,
            **({"notes": list(self.notes)} if self.notes else {}),
        }


_DEC = "@@decimal:"


def _num(value: Decimal | None):
    # A marker that dumps() turns into a bare JSON number with the Decimal's own digits.
    return None if value is None else f"{_DEC}{format(value, 'f')}@@"


def dumps(obj: dict) -> str:
    """JSON with Decimals printed exactly as the documents print them (1.00 stays 1.00)."""
    text = json.dumps(obj, ensure_ascii=False)
    return re.sub(r'"@@decimal:(-?[0-9.]+)@@"', r"\1", text)


def number_json(n: NumberCheck) -> dict:
    """One checked number as `ask --json` and `verify --json` print it."""
    return {"text": n.text, "value": _num(n.value), "unit": n.unit, "supported": n.supported,
            "support": list(n.support), **({"problem": n.problem} if n.problem else {})}


def refusal(question: str, reason: str, elapsed_ms: int = 0, mode: str = "offline") -> Answer:
    """A refusal with the shared phrase and a short reason."""
    return Answer(question=question, status="refused", answer=f"{CANNOT_ANSWER}：{reason}", mode=mode,
                  elapsed_ms=elapsed_ms)
