"""What the benchmarks run on: the sample PDFs, the gold questions, and synthetic documents.

Synthetic documents are variants of one parsed sample: a new unit name (f"{city}市{bureau}") and year,
a new doc_id (sha256 of the variant key), new fact and chunk ids, and texts with the unit name, the city
and the years replaced. No file is copied: the variants go straight into the stores through
`ingest.pipeline.store_parsed`, so growth is measured on the real store code with realistic content.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ingest.facts import fact_id
from ingest.pipeline import Parsed
from store.models import Chunk, Document, Fact

ROOT = Path(__file__).resolve().parents[1]
XINZHOU = ROOT / "examples" / "xinzhou_commerce_2024_budget.pdf"
SHARED = ROOT.parent / "shared" / "samples"
GOLD = ROOT / "tests" / "gold"

# Prefecture-level cities of Shanxi other than 忻州, and bureaus such a city has: 10 × 10 unit names.
CITIES = ("太原", "大同", "阳泉", "长治", "晋城", "朔州", "晋中", "运城", "临汾", "吕梁")
BUREAUS = ("财政局", "教育局", "民政局", "司法局", "水利局", "审计局", "统计局", "农业农村局", "文化和旅游局", "自然资源局")
YEARS = tuple(range(2015, 2025))
_YEAR = re.compile(r"(20\d{2})(?=\s*年)")


def samples() -> list[Path]:
    """The bundled sample and the real samples in ../shared that exist."""
    return [p for p in [XINZHOU, *sorted(SHARED.glob("putuo_*.pdf"))] if p.exists()]


def gold_questions(paths: list[Path] | None = None) -> list[dict]:
    """Every gold question (DESIGN.md format), in file order; each gets its file name as 'set'."""
    out = []
    for path in paths or sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append({**json.loads(line), "set": path.stem})
    return out


def variant_keys(n: int) -> Iterator[tuple[str, str, int]]:
    """n distinct (city, bureau, year): every unit name once before any repeats (with another year)."""
    names = [(c, b) for b in BUREAUS for c in CITIES]
    for i in range(n):
        city, bureau = names[i % len(names)]
        year = YEARS[(i * 3 + i // len(names)) % len(YEARS)]
        yield city, bureau, year


class Rewrite:
    """The text substitutions that turn the base document's strings into a variant's."""

    def __init__(self, base: Document, city: str, bureau: str, year: int) -> None:
        self.base_unit = base.unit_name
        self.base_city = _city_of(base.unit_name)
        # "市商务局内设机构…": the short form of the base unit, now the variant's bureau.
        self.base_short = base.unit_name[len(self.base_city):] if self.base_city else ""
        self.city = city
        self.unit_name = f"{city}市{bureau}"
        self.short = f"市{bureau}"
        self.shift = year - (base.year or year)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = text.replace(self.base_unit, self.unit_name)
        if self.base_city:
            text = text.replace(self.base_short, self.short).replace(self.base_city, self.city)
        if self.shift:
            text = _YEAR.sub(lambda m: str(int(m.group(1)) + self.shift), text)
        return text


def _city_of(unit_name: str) -> str:
    m = re.match(r"(.{2,4}?)市", unit_name)
    return m.group(1) if m else ""


def variant(base: Parsed, city: str, bureau: str, year: int) -> Parsed:
    """One synthetic document: base with a new unit, year, doc_id, fact and chunk ids and texts."""
    unit_name = f"{city}市{bureau}"
    doc_id = hashlib.sha256(f"budgetqa-synthetic|{base.document.doc_id}|{unit_name}|{year}".encode()).hexdigest()
    rw = Rewrite(base.document, city, bureau, year)
    fact_ids = {f.fact_id: fact_id(doc_id, "synthetic", f.fact_id) for f in base.facts}
    facts = tuple(_fact(f, doc_id, fact_ids[f.fact_id], rw) for f in base.facts)
    chunks = tuple(_chunk(c, doc_id, fact_ids, rw, unit_name, year) for c in base.chunks)
    d = base.document
    document = replace(d, doc_id=doc_id, file_name=f"synthetic_{doc_id[:12]}.pdf", unit_name=unit_name, year=year,
                       title=rw(d.title), fact_count=len(facts), chunk_count=len(chunks))
    return Parsed(document, facts, chunks, 0.0)


def variants(base: Parsed, n: int) -> list[Parsed]:
    """n distinct synthetic documents made from base."""
    return [variant(base, city, bureau, year) for city, bureau, year in variant_keys(n)]


def _fact(f: Fact, doc_id: str, new_id: str, rw: Rewrite) -> Fact:
    return replace(f, fact_id=new_id, doc_id=doc_id, table_title=rw(f.table_title), row_label=rw(f.row_label),
                   row_path=tuple(rw(p) for p in f.row_path), column=rw(f.column), raw_text=rw(f.raw_text))


def _chunk(c: Chunk, doc_id: str, fact_ids: dict[str, str], rw: Rewrite, unit_name: str, year: int) -> Chunk:
    meta = {}
    for key, value in c.metadata.items():
        if key == "fact_ids":
            value = [fact_ids.get(i, i) for i in value]
        elif isinstance(value, str):
            value = rw(value)
        meta[key] = value
    meta.update(doc_id=doc_id, unit_name=unit_name, year=year)
    return Chunk(fact_id(doc_id, "synthetic", c.chunk_id), doc_id, c.page, c.kind, rw(c.text), meta)
