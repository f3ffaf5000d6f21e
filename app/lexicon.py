"""The budget lexicon: what staff say (招待费, 社保, 2011301, 占比) → what the documents print.

All vocabulary lives in ``lexicon_data.toml`` (data, not code); this module only loads it once and
matches it against questions:

- ``expand(term)``          the canonical labels a colloquial term stands for (the term first)
- ``terms_in(question)``    longest-match scan → canonical labels, in question order
- ``scan(question)``        the same scan with spans, columns and codes (``Match`` objects)
- ``column_in(question)``   the most specific column word (人员经费 over 基本支出 over 合计)
- ``header_column(header)`` the canonical column of a printed header path (facts' ``column``)
- ``intents_in(question)``  amount / share / change / rate / count / … in question order
- ``table_kinds_for(q)``    which standard tables to look in first
- ``code_name(code)``       national classification name of a code (exact, else 项 patterns)
- ``normalise(label)``      a label reduced for matching (ordinals, brackets, quotes, spaces)

Matching runs on a folded form of the text (NFKC, quotes and whitespace removed, ASCII brackets),
so spans in ``Match`` refer to ``fold(question)``, not to the raw string.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.data import load_toml

DATA_PATH = Path(__file__).with_name("lexicon_data.toml")

TABLE_KINDS = (
    "收支总表", "收入总表", "支出总表", "财政拨款收支总表", "一般公共预算支出表", "基本支出经济分类表",
    "政府性基金收入表", "政府性基金支出表", "国有资本经营表", "三公经费表", "机关运行经费表", "项目支出表",
    "绩效目标表",
)
FUNCTION_TABLES = ("一般公共预算支出表", "支出总表")
ECONOMIC_TABLES = ("基本支出经济分类表",)

_QUOTES = dict.fromkeys(map(ord, "“”‘’\"'「」『』〝〞"), None)
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(", "]": ")", "【": "(", "】": ")"})
_SPACE = re.compile(r"\s+")
# A list ordinal or lead-in at the start of a label: 一、 （一） (1) ① ⑴ ⒈ ❶ 1、 1. 其中：
_ORDINAL = re.compile(
    r"^(?:其中[:：]?|[一二三四五六七八九十百]+[、.．]|[(（][一二三四五六七八九十百\d]+[)）][、.．]?"
    r"|[\u2460-\u249b\u2776-\u2793]|\d{1,2}[、．.](?!\d))"
)
_LEVEL = re.compile(r"\((?:类|款|项)\)")
_CODE = re.compile(r"(?<![\d.,])(\d{7}|\d{5}|\d{3})(?![\d.,%])")
_NOT_CODE_AFTER = set("元万亿个辆人名项家次批处年月日号平台套岁倍")


def fold(text: str) -> str:
    """The matching form of any text: NFKC (full-width → ASCII, Kangxi radicals → ideographs),
    quotes and whitespace removed, every bracket made ``()``, ASCII lower-cased."""
    s = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_BRACKETS)
    return _SPACE.sub("", s).lower()


def normalise(label: str) -> str:
    """A row label reduced for matching: list ordinals (一、 ① （一） 1.) and 其中： stripped, brackets
    and quotes unified (quotes dropped), spaces removed, level markers （类）（款）（项） dropped.

    ``normalise("八、社会保障和就业支出") == "社会保障和就业支出"``;
    ``normalise("因公出国(境)费") == normalise("因公出国（境）费")``.
    """
    s = _SPACE.sub("", label)
    while True:
        stripped = _ORDINAL.sub("", s, count=1)
        if stripped == s or not stripped:
            break
        s = stripped
    return _LEVEL.sub("", fold(s))


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


@dataclass(frozen=True)
class Match:
    """One recognised span of a (folded) question."""

    start: int
    end: int
    text: str                          # the folded surface that matched
    labels: tuple[str, ...] = ()       # canonical row labels it stands for
    column: str | None = None          # canonical column word, if it names a column
    code: str | None = None            # a classification code typed in the question

    @property
    def kind(self) -> str:
        """``code``, ``term`` (names a row, maybe also a column) or ``column`` (only a column)."""
        return "code" if self.code else "term" if self.labels else "column"


@dataclass(frozen=True)
class _Entry:
    labels: tuple[str, ...]
    column: str | None
    weak: bool


@dataclass(frozen=True)
class _Intent:
    name: str
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    not_phrases: tuple[str, ...]
    not_patterns: tuple[re.Pattern[str], ...]


def _split_phrases(items: Iterable[str]) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    plain = tuple(fold(p) for p in items if not p.startswith("re:"))
    regex = tuple(re.compile(p[3:]) for p in items if p.startswith("re:"))
    return plain, regex


def _spans(text: str, plain: Iterable[str], regex: Iterable[re.Pattern[str]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for p in plain:
        i = text.find(p)
        while i != -1:
            out.append((i, i + len(p)))
            i = text.find(p, i + 1)
    for r in regex:
        out.extend(m.span() for m in r.finditer(text) if m.end() > m.start())
    return out


def _longest_first(cands: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Non-overlapping candidates, longest first (leftmost on ties), returned in text order."""
    cands = sorted(cands, key=lambda c: (c[0] - c[1], c[0]))
    taken: set[int] = set()
    chosen = []
    for start, end, value in cands:
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            chosen.append((start, end, value))
    return sorted(chosen, key=lambda c: c[0])


@dataclass(frozen=True)
class Lexicon:
    """The loaded lexicon. Build with ``lexicon()`` (cached) or ``Lexicon.load(path)``."""

    entries: Mapping[str, _Entry] = field(repr=False)
    codes: Mapping[str, str] = field(repr=False)
    code_patterns: Mapping[str, str] = field(repr=False)
    except_kuan: frozenset[str] = field(repr=False)
    pattern_classes: str = field(repr=False)
    column_levels: Mapping[str, int] = field(repr=False)
    intents: tuple[_Intent, ...] = field(repr=False)
    priority: tuple[str, ...] = field(repr=False)
    table_hints: Mapping[str, tuple[str, ...]] = field(repr=False)
    function_names: frozenset[str] = field(repr=False)
    economic_names: frozenset[str] = field(repr=False)
    weak_ok_before: str = field(repr=False)
    weak_bad_after: str = field(repr=False)
    counts: Mapping[str, int] = field(repr=False)
    english: Mapping[str, str] = field(repr=False)  # English words typed among the Chinese → the Chinese printed
    column_classes: Mapping[str, tuple[str, ...]] = field(repr=False)  # 公用经费 → its economic classes (302, 310)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path = DATA_PATH) -> Lexicon:
        """Read a ``.toml`` or ``.json`` data file."""
        path = Path(path)
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            data = load_toml(path)
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Lexicon:
        """Build from the parsed data (see lexicon_data.toml for the layout); bad data raises ValueError."""
        matching = data.get("matching", {})
        weak = {fold(w) for w in matching.get("weak", [])}
        raw: dict[str, tuple[list[str], list[str]]] = {}     # folded surface → (labels, [column])

        def add(surface: str, labels: Iterable[str] = (), column: str | None = None) -> None:
            key = fold(surface)
            if not key:
                return
            have, col = raw.setdefault(key, ([], []))
            have.extend(label for label in labels if label not in have)
            if column and not col:
                col.append(column)

        groups = data.get("synonyms", [])
        for g in groups:
            labels = [label for label in g.get("labels", []) if label]
            if not labels or not g.get("terms"):
                raise ValueError(f"lexicon: synonym group without labels or terms: {g!r}")
            for term in g["terms"]:
                add(term, labels)
        for g in groups:                                     # a preferred label is a term too
            if not raw.get(fold(g["labels"][0]), ([], []))[0]:
                add(g["labels"][0], g["labels"])
        for old, new in data.get("renamed", {}).items():      # old and current name reach each other
            add(old, [new, old])
            add(new, [new, old])

        code_data = data.get("codes", {})
        function = {k: v for k, v in code_data.get("function", {}).items()}
        economic = {k: v for k, v in code_data.get("economic", {}).items()}
        codes = {**function, **economic}
        if len(codes) != len(function) + len(economic) or not all(k.isdigit() and v for k, v in codes.items()):
            raise ValueError("lexicon: codes must be digit strings with names, unique across classifications")
        patterns = {p["suffix"]: p["name"] for p in data.get("code_patterns", [])}
        # the "其他…支出" 项/款 under every known class and 款, as the 99 pattern names them
        others = [patterns["99"].format(parent=n.removesuffix("支出")) for c, n in function.items()
                  if "99" in patterns and len(c) in (3, 5) and not n.startswith("其他") and n != "预备费"]
        for name in (*codes.values(), *(p for p in patterns.values() if "{" not in p), *others):
            if not raw.get(fold(name), ([], []))[0]:
                add(name, [name])

        levels: dict[str, int] = {}
        for canonical, spec in data.get("columns", {}).items():
            levels[canonical] = int(spec.get("level", 0))
            for word in (canonical, *spec.get("words", [])):
                add(word, column=canonical)

        entries = {k: _Entry(tuple(labels), col[0] if col else None, k in weak) for k, (labels, col) in raw.items()}

        spec = data.get("intents", {})
        priority = tuple(spec.get("priority", []))
        intents = []
        for name, body in spec.items():
            if name == "priority":
                continue
            if name not in priority:
                raise ValueError(f"lexicon: intent {name!r} missing from intents.priority")
            plain, regex = _split_phrases(body.get("phrases", []))
            not_plain, not_regex = _split_phrases(body.get("not_within", []))
            intents.append(_Intent(name, plain, regex, not_plain, not_regex))

        hints = {fold(k): tuple(v) for k, v in data.get("table_hints", {}).items()}
        bad = {kind for kinds in hints.values() for kind in kinds} - set(TABLE_KINDS)
        if bad:
            raise ValueError(f"lexicon: unknown table kinds in table_hints: {sorted(bad)}")

        rules = data.get("code_pattern_rules", {})
        counts = {
            "synonym_groups": len(groups),
            "synonym_terms": len({fold(t) for g in groups for t in g["terms"]}),
            "canonical_labels": len({normalise(label) for e in entries.values() for label in e.labels}),
            "vocabulary": len(entries),
            "renamed": len(data.get("renamed", {})),
            "codes": len(codes),
            "function_codes": len(function),
            "economic_codes": len(economic),
            "code_patterns": len(patterns),
            "columns": len(levels),
            "column_words": sum(1 for e in entries.values() if e.column),
            "intents": len(intents),
            "intent_phrases": sum(len(i.phrases) + len(i.patterns) for i in intents),
            "table_hint_words": len(hints),
        }
        return cls(
            entries=entries, codes=codes, code_patterns=patterns,
            except_kuan=frozenset(rules.get("except_kuan", [])), pattern_classes=rules.get("pattern_classes", "2"),
            column_levels=levels, intents=tuple(intents), priority=priority, table_hints=hints,
            function_names=frozenset(normalise(n) for n in (*function.values(), *data.get("renamed", {}))),
            economic_names=frozenset(normalise(n) for n in economic.values()),
            weak_ok_before=matching.get("weak_ok_before", ""), weak_bad_after=matching.get("weak_bad_after", ""),
            counts=counts, english=dict(data.get("english", {})),
            column_classes={c: tuple(codes) for c, codes in data.get("column_classes", {}).items()},
        )

    # ------------------------------------------------------------------ terms and columns
    normalise = staticmethod(normalise)
    fold = staticmethod(fold)

    @functools.cached_property
    def _max_len(self) -> int:
        return max(map(len, self.entries), default=1)

    def _weak_ok(self, text: str, start: int, end: int) -> bool:
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before and _is_han(before) and before not in self.weak_ok_before:
            return False
        return not (after and after in self.weak_bad_after)

    def scan(self, question: str) -> list[Match]:
        """Every known term, column word and code in the question: longest match first, never
        overlapping, in question order. Spans index ``fold(question)``."""
        text = fold(question)
        cands: list[tuple[int, int, tuple[Match, bool]]] = []
        for i in range(len(text)):
            for j in range(min(len(text), i + self._max_len), i, -1):
                entry = self.entries.get(text[i:j])
                if entry is not None and (not entry.weak or self._weak_ok(text, i, j)):
                    cands.append((i, j, (Match(i, j, text[i:j], entry.labels, entry.column), entry.weak)))
        for m in _CODE.finditer(text):
            start, end, code = m.start(), m.end(), m.group(1)
            name = self.code_name(code)
            if not name or (text[end:end + 1] in _NOT_CODE_AFTER and end < len(text)) or text[start - 1:start] == "第":
                continue
            if text.startswith(fold(name), end):                  # "2011304对外贸易管理": one match
                end += len(fold(name))
            cands.append((start, end, (Match(start, end, text[start:end], (name,), None, code), False)))
        out: list[Match] = []
        for _, _, (match, weak) in _longest_first(cands):
            # a weak word right after a term is that term's head noun ("支持中小企业发展的支出"), not a term
            if weak and out and out[-1].labels and text[out[-1].end:match.start] in ("", "的", "之"):
                continue
            out.append(match)
        return out

    def terms_in(self, question: str) -> list[str]:
        """Canonical row labels named in the question, in question order (codes: see ``codes_in``;
        pure column words such as 人员经费 or 一共: see ``column_in``)."""
        return _dedupe(label for m in self.scan(question) if m.kind == "term" for label in m.labels)

    def codes_in(self, question: str) -> list[str]:
        """Classification codes typed in the question (``2011301是多少`` → ``["2011301"]``)."""
        return _dedupe(m.code for m in self.scan(question) if m.code)

    def columns_in(self, question: str) -> list[str]:
        """Every canonical column word in the question, in question order."""
        return _dedupe(m.column for m in self.scan(question) if m.column)

    def without_columns(self, question: str) -> str:
        """The question (folded) with its column words cut out: what it names besides columns."""
        text = fold(question)
        for m in reversed([m for m in self.scan(question) if m.column and m.kind == "column"]):
            text = text[: m.start] + " " + text[m.end:]
        return text

    def column_in(self, question: str) -> str | None:
        """The column the question asks for: the most specific named (人员经费 > 基本支出 > 一般公共预算
        > 合计); among equally specific ones the last named (基本支出中人员经费 → 人员经费)."""
        cols = [m.column for m in self.scan(question) if m.column]
        if not cols:
            return None
        best = max(self.column_levels.get(c, 0) for c in cols)
        return [c for c in cols if self.column_levels.get(c, 0) == best][-1]

    def header_column(self, header: str) -> str | None:
        """The canonical column of a printed header path (``本年支出 / 预算数 / 基本支出 / 人员经费`` →
        人员经费, ``一般公共预算基本支出 / 合计`` → 合计): the last segment that names a column."""
        for segment in reversed(re.split(r"\s*/\s*", header)):
            if column := self.column_in(segment):
                return column
        return None

    def expand(self, term: str) -> list[str]:
        """The term itself first, then the canonical labels (and column word) it stands for.
        ``expand("招待费") == ["招待费", "公务接待费"]``; an unknown phrase is scanned for known terms."""
        key = fold(term)
        entry = self.entries.get(key)
        out = [term]
        if entry is not None:
            out += [*entry.labels, entry.column or ""]
        elif key.isdigit() and (name := self.code_name(key)):
            out.append(name)
        else:
            out += self.terms_in(term)
        return _dedupe(out)

    def reverse(self, label: str) -> list[str]:
        """The folded surfaces (terms, words) that reach a label (``公务接待费`` → ``招待费``, …)."""
        target = normalise(label)
        return [k for k, e in self.entries.items() if any(normalise(x) == target for x in e.labels)]

    def knows_label(self, label: str) -> bool:
        """Whether a printed row label is a canonical label of the lexicon (after ``normalise``)."""
        return normalise(label) in self._label_index

    @functools.cached_property
    def _label_index(self) -> frozenset[str]:
        return frozenset(normalise(x) for e in self.entries.values() for x in e.labels) | frozenset(
            normalise(n) for n in self.codes.values())

    # ------------------------------------------------------------------ intents and tables
    def intents_in(self, question: str) -> list[str]:
        """Intents whose trigger phrases occur (outside their ``not_within`` contexts), in question order."""
        text = fold(question)
        first: dict[str, int] = {}
        for intent in self.intents:
            blockers = _spans(text, intent.not_phrases, intent.not_patterns)
            hits = [s for s in _spans(text, intent.phrases, intent.patterns)
                    if not any(b0 <= s[0] and s[1] <= b1 for b0, b1 in blockers)]
            if hits:
                first[intent.name] = min(h[0] for h in hits)
        return sorted(first, key=lambda name: (first[name], self.priority.index(name)))

    def primary_intent(self, question: str) -> str | None:
        """The one intent that decides the answer's shape (``intents.priority`` order), or None."""
        found = self.intents_in(question)
        return min(found, key=self.priority.index) if found else None

    def table_kinds_for(self, question: str) -> list[str]:
        """Standard table kinds to look in first: explicit hint words in question order, then the
        tables implied by the classification of the terms and codes named."""
        text = fold(question)
        cands = [(i, j, self.table_hints[text[i:j]]) for i in range(len(text)) for j in range(i + 1, len(text) + 1)
                 if text[i:j] in self.table_hints]
        kinds = [k for _, _, ks in _longest_first(cands) for k in ks]
        for m in self.scan(question):
            # a colloquial term (预算总盘子) looks where its printed label (收入总计) is hinted to stand
            kinds += [k for label in m.labels[:1] for k in self.table_hints.get(fold(label), ())]
            if m.code:
                kinds += FUNCTION_TABLES if m.code.startswith(self.pattern_classes) else ECONOMIC_TABLES
            names = {normalise(x) for x in m.labels}
            if names & self.function_names:
                kinds += FUNCTION_TABLES
            if names & self.economic_names:
                kinds += ECONOMIC_TABLES
        return _dedupe(kinds)

    # ------------------------------------------------------------------ codes
    def code_name(self, code: str) -> str | None:
        """The national name of a classification code (``2011301`` → 行政运行, ``30217`` → 公务接待费,
        ``201 13 01`` accepted): the exact code, else the 项 patterns (xx01 行政运行, xx02 一般行政
        管理事务, xx50 事业运行, xx99 其他…支出) under a known class. None when unknown."""
        digits = re.sub(r"\D", "", code)
        if digits in self.codes:
            return self.codes[digits]
        if len(digits) not in (5, 7) or digits[:3] not in self.codes:
            return None
        parent_code, suffix = digits[:-2], digits[-2:]
        pattern = self.code_patterns.get(suffix)
        if pattern is None:
            return None
        if "{parent}" in pattern:
            parent = self.code_name(parent_code)
            if parent is None:
                return None
            return parent if parent.startswith("其他") else pattern.format(parent=parent.removesuffix("支出"))
        if len(digits) != 7 or not digits.startswith(self.pattern_classes) or parent_code in self.except_kuan:
            return None
        return pattern

    def stats(self) -> dict[str, int]:
        """Coverage counts (synonym groups/terms, codes, columns, intents, hints)."""
        return dict(self.counts)


@functools.cache
def lexicon(path: str | Path = DATA_PATH) -> Lexicon:
    """The lexicon, loaded once per data file."""
    return Lexicon.load(path)


def get_lexicon() -> Lexicon:
    """The default lexicon (``lexicon()`` with the bundled data file), loaded once."""
    return lexicon()
