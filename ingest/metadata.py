"""Document metadata — unit name, year, 预算/决算, 部门/单位 — read from the cover and titles, never the file name."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.pdf import Page

_ISSUER = re.compile(
    r"(?:预算单位|预算主管部门|主管部门|单位名称|编制单位|编制部门|部门名称|决算单位)\s*[:：]\s*"
    r"(?P<name>[^\s:：,，]{2,40}?)(?=\s|单位\s*[:：]|金额单位|$)"
)
_BODY_SUFFIX = re.compile(r"(局|委员会|办公室|办|院|中心|厅|所|站|会|部|处|队|馆|校|委|政府|公司|台|室|社|团|庭)$")
_YEAR = re.compile(r"(20\d{2})\s*年")
_COVER_TITLE = re.compile(r"(20\d{2})\s*年度?.{0,12}(部门|单位)?.{0,4}(预算|决算)")


@dataclass(frozen=True)
class Metadata:
    """What a document says about itself."""

    unit_name: str
    year: int | None
    kind: str
    scope: str
    title: str


def _cover_lines(pages: Sequence[Page]) -> list[str]:
    for page in pages[:2]:
        texts = [ln.text for ln in page.lines if ln.text.strip()]
        if texts:
            return texts
    return []


def read_metadata(pages: Sequence[Page], table_titles: Sequence[str]) -> Metadata:
    """Unit, year, kind and scope from the cover first, then the tables' 单位 lines and titles."""
    cover = _cover_lines(pages)
    cover_text = " ".join(cover)
    first_pages = [ln.text for p in pages[:6] for ln in p.lines]
    all_lines = [ln.text for p in pages for ln in p.lines]

    issuers = Counter(m.group("name") for t in all_lines for m in [_ISSUER.search(t)] if m)
    unit = ""
    cover_issuer = next((m.group("name") for t in cover for m in [_ISSUER.search(t)] if m), "")
    if cover_issuer:
        unit = cover_issuer
    else:
        named = [t.strip() for t in cover if _BODY_SUFFIX.search(t.strip()) and not _YEAR.search(t) and len(t) <= 40]
        # "山西省财政厅2024年部门预算" on one line: the body is what precedes the year
        titled = [m.group(1) for t in cover for m in [re.match(r"^(\S{3,30}?)(20\d{2})\s*年", t.strip())]
                  if m and _BODY_SUFFIX.search(m.group(1))]
        unit = (named or titled or [issuers.most_common(1)[0][0] if issuers else ""])[0]

    title_line = next((t for t in cover if _COVER_TITLE.search(t)), "")
    # Only a year that titles the document or a table counts ("按照2019年…印发" in prose does not).
    titled = ([title_line] if title_line else []) + list(table_titles) + first_pages
    years = [int(m.group(1)) for t in titled for m in [_COVER_TITLE.search(t)] if m]
    year = years[0] if years else None

    scope_source = title_line or cover_text
    kind = "决算" if "决算" in scope_source or ("决算" in " ".join(table_titles) and "预算" not in scope_source) else "预算"
    if "部门" in scope_source and ("部门预算" in scope_source or "部门决算" in scope_source):
        scope = "部门"
    elif "单位预算" in scope_source or "单位决算" in scope_source:
        scope = "单位"
    else:
        text = " ".join(first_pages + list(table_titles))
        scope = "部门" if text.count("部门预算") + text.count("部门决算") > text.count("单位预算") + text.count("单位决算") else "单位"
    title = title_line or (f"{unit}{year or ''}年度{scope}{kind}" if unit else "")
    if unit and unit not in title:
        title = f"{unit} {title}"
    return Metadata(unit_name=unit, year=year, kind=kind, scope=scope, title=title.strip())
