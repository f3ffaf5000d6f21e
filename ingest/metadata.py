"""Which document this is — unit, year, 预算/决算, 部门/单位 — from the document first, its file name last.

Sources, in order: the cover (its lines joined: names wrap, digits are spaced), the tables' issuer lines
(``部门：…``), table titles, headings and running headers, the prose (``XX2019年度收入、支出预算总计``);
only where the document never says is the file name used, and the document then says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.issuer import issuer
from ingest.pdf import Page
from ingest.tables import TableBlock
from store.models import IDENTITY_WARNING

_BODY_SUFFIX = re.compile(r"(局|委员会|办公室|办公厅|办|院|中心|厅|所|站|会|部|处|队|馆|校|学|委|政府|公司|台|室|社|团|庭|协|联)$")
# "2 0 1 7 年 度" → "2017年度": spaces only ever separate digits and characters here.
_SPACES = re.compile(r"\s+")
_YEAR_TITLE = re.compile(r"(20\d{2})年度?.{0,12}?(预算|决算)")
_NAME_YEAR = re.compile(r"(?P<unit>[\u4e00-\u9fff（）()]{3,40}?)(?P<year>20\d{2})年度?")
_LEAD = re.compile(r"^(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")
_NOT_A_NAME = re.compile(r"^(本|我|全|各|该|其|省级|市级|区级|县级|关于|根据|按照)|预算|决算|公开|部分|年度")
_CONTENTS = re.compile(r"^目\s*录")
_PAGE_NUMBER = re.compile(r"^[-—－]\s*\d{1,3}\s*[-—－]$|^\d{1,3}$|^第\s*\d{1,3}\s*页")


@dataclass(frozen=True)
class Metadata:
    """What a document says about itself, where that was read, and what could not be read."""

    unit_name: str
    year: int | None
    kind: str
    scope: str
    title: str
    identity_source: str = "document"  # document | file_name
    warnings: tuple[str, ...] = ()


def squash(text: str) -> str:
    """Text with every space removed: covers and headings space out digits and wrap names."""
    return _SPACES.sub("", text)


def _cover(pages: Sequence[Page]) -> list[str]:
    """The first page's lines that carry text, up to the 目录 (some files print it on the cover)."""
    for page in pages[:2]:
        lines: list[str] = []
        for ln in page.lines:
            if _CONTENTS.match(ln.text.strip()):
                break
            if ln.text.strip() and not _PAGE_NUMBER.match(ln.text):
                lines.append(ln.text.strip())
        if lines:
            return lines
    return []


def _name(candidate: str) -> str:
    """A body's name from the text before a year, or "" when that text is not one."""
    name = _LEAD.sub("", candidate).strip("：:，,、 ")
    name = re.sub(r"^(?:[\u4e00-\u9fff]{0,4}(?:附后|如下))", "", name)
    if len(name) < 3 or _NOT_A_NAME.search(name) or not _BODY_SUFFIX.search(name):
        return ""
    return name


def _from_cover(cover: list[str]) -> tuple[str, int | None]:
    issued = [i for i in map(issuer, cover) if i]
    joined = squash("".join(cover))
    year_m = _YEAR_TITLE.search(joined) or re.search(r"(20\d{2})年", joined)
    year = int(year_m.group(1)) if year_m else None
    if issued:
        return issued[0][1], year
    m = _NAME_YEAR.search(joined)
    if m and _name(m.group("unit")):
        return _name(m.group("unit")), year
    # The name on lines of its own, before or after the title ("忻州市商务局" / "2024年度单位预算公开").
    named = [squash(t) for t in cover if not re.search(r"20\d{2}", t) and _BODY_SUFFIX.search(squash(t))]
    named = [n for n in named if _name(n) and len(n) <= 40]
    return (named[0] if named else ""), year


def _from_text(lines: Sequence[str]) -> Counter[str]:
    """Names that head a year in headings and prose ("第二部分 江苏省政协办公厅 2017 年度部门预算表")."""
    found: Counter[str] = Counter()
    for text in lines:
        for m in _NAME_YEAR.finditer(squash(text)):
            name = _name(m.group("unit"))
            if name:
                found[name] += 1
    return found


def _from_file_name(file_name: str) -> tuple[str, int | None]:
    stem = squash(re.sub(r"\.pdf$", "", file_name, flags=re.I))
    year_m = re.search(r"(?<!\d)(20\d{2})(?!\d)", stem)
    m = _NAME_YEAR.search(stem)
    return (_name(m.group("unit")) if m else ""), (int(year_m.group(1)) if year_m else None)


def read_metadata(pages: Sequence[Page], tables: Sequence[TableBlock], file_name: str = "") -> Metadata:
    """Unit, year, kind and scope from the document (see the module's order); the file name last."""
    cover = _cover(pages)
    cover_text = squash("".join(cover))
    titles = [t.title for t in tables]
    all_lines = [ln.text for p in pages for ln in p.lines]
    head_lines = [ln.text for p in pages[:6] for ln in p.lines]

    unit, year = _from_cover(cover)
    issuers = Counter(t.issuer for t in tables if t.issuer) + Counter(i[1] for i in map(issuer, all_lines) if i)
    if not unit and issuers:
        unit = issuers.most_common(1)[0][0]
    if not unit:
        named = _from_text(titles + all_lines)
        unit = named.most_common(1)[0][0] if named else ""
    if year is None:
        years = [int(m.group(1)) for t in titles + head_lines for m in [_YEAR_TITLE.search(squash(t))] if m]
        year = years[0] if years else None

    warnings: list[str] = []
    source = "document"
    name_unit, name_year = _from_file_name(file_name)
    if not unit and name_unit:
        unit, source = name_unit, "file_name"
        warnings.append(f"{IDENTITY_WARNING} the unit ({unit}) was read from the file name, not the document")
    if year is None and name_year:
        year, source = name_year, "file_name"
        warnings.append(f"{IDENTITY_WARNING} the year ({year}) was read from the file name, not the document")
    if not unit:
        warnings.append(f"{IDENTITY_WARNING} the unit name was not found in the document or its file name; "
                        "set it with `budgetqa docs set DOC --unit …`")
    if year is None:
        warnings.append(f"{IDENTITY_WARNING} the year was not found in the document or its file name; "
                        "set it with `budgetqa docs set DOC --year …`")

    kind, scope = _kind_and_scope(cover_text, titles, head_lines, tables, squash(file_name))
    title_m = _YEAR_TITLE.search(cover_text)
    title = cover_text[: title_m.end()] if title_m else (f"{unit}{year or ''}年度{scope}{kind}" if unit else "")
    if unit and unit not in title:
        title = f"{unit} {title}"
    return Metadata(unit_name=unit, year=year, kind=kind, scope=scope, title=title.strip(),
                    identity_source=source, warnings=tuple(warnings))


def _kind_and_scope(cover: str, titles: Sequence[str], head: Sequence[str], tables: Sequence[TableBlock],
                    file_name: str) -> tuple[str, str]:
    body = squash(" ".join([*head, *titles]))
    said = cover if re.search("预算|决算", cover) else body + file_name
    kind = "决算" if "决算" in said and ("预算" not in said or said.count("决算") >= said.count("预算")) else "预算"
    for text in (cover, file_name):
        if re.search(r"部门(预算|决算)", text):
            return kind, "部门"
        if re.search(r"单位(预算|决算)", text):
            return kind, "单位"
    dept = body.count("部门预算") + body.count("部门决算") + sum(t.issuer_scope == "部门" for t in tables)
    unit = body.count("单位预算") + body.count("单位决算") + sum(t.issuer_scope == "单位" for t in tables)
    return kind, "部门" if dept > unit else "单位"
