"""Prose claims: what a disclosure's sentences say of one subject — its amount, its change against last year
(amount and rate), its share and of what — regrouped from the prose facts ingest read, for the audit to check."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.lexicon import normalise
from ingest.numbers import MONEY, convert
from store.models import Fact

_SLOTS = {"金额": "amount", "增长额": "change", "减少额": "change", "增长率": "rate", "减少率": "rate", "占比": "share"}
# 占“三公”经费的15.70% / 占本年支出合计的99.21% / 占99.21%: the words between 占 and the figure name the base
_BASE = re.compile(r"占(?:到)?([^，。；：%\d]{0,24}?)(?:的)?(?:比重|比例)?(?:为)?\s*[\d.]+\s*[%％]")
_PUNCT = re.compile(r"[“”\"'‘’《》「」\s]")
_FILLER = re.compile(r"预算(?=支出|收入|$)|的")  # 因公出国（境）费预算支出 is the 因公出国（境）费支出 of another year
_YEAR = re.compile(r"20\d\d\s*年度?")
_OF_TOTAL = re.compile(r"(合计|总计|总额|小计)$")


@dataclass
class Claim:
    """One subject's figures as a passage of prose states them (a sentence and the one continuing it)."""

    subject: str
    page: int
    amount: Fact | None = None
    change: Fact | None = None
    rate: Fact | None = None
    share: Fact | None = None
    base: str = ""  # the share's base as printed (“三公”经费), "" when unnamed
    opens_list: bool = False  # "…合计10,150.48万元，其中：": the base of the unnamed shares that follow

    @property
    def facts(self) -> list[Fact]:
        return [f for f in (self.amount, self.change, self.rate, self.share) if f is not None]

    @property
    def delta(self) -> Decimal | None:
        """The change against last year, signed, in the amount's unit (or its own when no amount is stated)."""
        if self.change is None:
            return None
        sign = -1 if self.change.column == "减少额" else 1
        unit = self.amount.unit if self.amount else self.change.unit
        return sign * convert(self.change.value, self.change.unit, unit)

    @property
    def pct(self) -> Decimal | None:
        """The stated rate of change, signed."""
        return None if self.rate is None else (-1 if self.rate.column == "减少率" else 1) * self.rate.value

    @property
    def last_year(self) -> Decimal | None:
        """What the stated amount and change imply for last year, in the amount's unit."""
        return self.amount.value - self.delta if self.amount is not None and self.delta is not None else None

    @property
    def key(self) -> str:
        """The subject with years, quotes and budget words folded: how the same item is named in other years."""
        return subject_key(self.subject)


def subject_key(text: str) -> str:
    """A subject (or a share's base) reduced to the words that name the item."""
    return _FILLER.sub("", _YEAR.sub("", _PUNCT.sub("", normalise(text))))


def without_total(key: str) -> str:
    """本年支出合计 → 本年支出: how a list's total is named when a share names it as its base."""
    return _OF_TOTAL.sub("", key)


def claims(facts: Iterable[Fact]) -> list[Claim]:
    """The prose facts of one document, in document order, grouped by subject into claims.

    A sentence's change ("与上年相比增加1,283.91万元，增长19.62%。") often follows its amount as a sentence of its
    own that ingest labels with the same subject; it joins the claim before it while its slot is free.
    """
    out: list[Claim] = []
    for f in facts:
        slot = _SLOTS.get(f.column)
        if "prose" not in f.flags or slot is None or (slot != "share" and slot != "rate" and f.unit not in MONEY):
            continue
        if slot in ("rate", "share") and f.unit not in ("%", "％"):
            continue
        cur = out[-1] if out else None
        if cur is None or cur.subject != f.row_label or f.page > cur.page + 1 or getattr(cur, slot) is not None:
            out.append(cur := Claim(f.row_label, f.page))
        setattr(cur, slot, f)
        if slot == "share":
            cur.base = _base_named(f)
        if slot == "amount" and re.search(r"其中[:：]?\s*$", f.raw_text.strip()):
            cur.opens_list = True
    return out


def _base_named(share: Fact) -> str:
    """The base a sentence names for this share (the 占… before its own figure), "" when it names none."""
    named = [(Decimal(re.search(r"[\d.]+(?=\s*[%％])", m.group(0)).group(0)), m.group(1).strip())
             for m in _BASE.finditer(share.raw_text)]
    exact = [base for value, base in named if value == share.value]
    bases = set(exact or (base for _, base in named))
    return bases.pop() if len(bases) == 1 else ""  # several shares of one sentence: the one of this figure


def share_base(claim: Claim, before: Sequence[Claim]) -> Claim | None:
    """The claim an unnamed share is of: the list this claim is an item of ("…合计X万元，其中："), on its page."""
    for c in reversed(before):
        if c.page < claim.page - 1:
            return None
        if c.opens_list and c.amount is not None and c.subject != claim.subject:
            return c
    return None
