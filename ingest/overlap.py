"""Two files claiming one unit, year and kind: a re-saved copy of the same content, or figures that disagree."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ingest.numbers import MONEY, convert
from store.models import Fact


@dataclass(frozen=True)
class Conflict:
    """The same cell (or the same stated subject) with different figures in two files."""

    new: Fact
    old: Fact

    def describe(self) -> str:
        """'公务接待费 (2024年预算数 / 合计): 9.00万元 here, 1.00万元 there (page 18)'."""
        where = f"{self.new.row_label} ({self.new.column})" if self.new.column else self.new.row_label
        return (f"{where}: {self.new.value}{self.new.unit} here (page {self.new.page}), "
                f"{self.old.value}{self.old.unit} there (page {self.old.page})")


def _key(f: Fact) -> tuple[str, str, str, str]:
    # A table cell by its table kind, row and column; a prose figure by its subject and what it states.
    return (f.table_kind, f.row_code or "", f.row_label, f.column)


def _in_yuan(f: Fact) -> tuple[Decimal, str]:
    return (convert(f.value, f.unit, "元"), "元") if f.unit in MONEY else (f.value, f.unit)


def _index(facts: Iterable[Fact]) -> dict[tuple[str, str, str, str], list[Fact]]:
    out: dict[tuple[str, str, str, str], list[Fact]] = defaultdict(list)
    for f in facts:
        out[_key(f)].append(f)
    return out


def same_content(a: Sequence[Fact], b: Sequence[Fact]) -> bool:
    """Every figure of one file is in the other, on the same page: another copy of one document."""
    def signature(facts: Sequence[Fact]) -> Counter:
        return Counter((*_key(f), *_in_yuan(f), f.page) for f in facts)

    return bool(a) and signature(a) == signature(b)


def conflicts(new: Sequence[Fact], old: Sequence[Fact]) -> list[Conflict]:
    """Cells (and prose subjects) both files print once, with different figures.

    Only like with like: a table cell against the same table's cell, a sentence's figure against a sentence
    of the other file stating the same of the same subject (prose against tables is the audit's work)."""
    theirs = _index(old)
    found = []
    for key, ours in _index(new).items():
        other = theirs.get(key, [])
        if len(ours) == 1 and len(other) == 1 and _in_yuan(ours[0]) != _in_yuan(other[0]):
            found.append(Conflict(ours[0], other[0]))
    return sorted(found, key=lambda c: (c.new.page, c.new.row_label))
