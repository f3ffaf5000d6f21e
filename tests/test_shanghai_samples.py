"""The real Shanghai "九张表" samples in ../shared: metadata, tables per kind, figures checked by hand."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest

from tests.conftest import FIXTURES, parsed, shared_sample

STEMS = ["putuo_commerce_2025_budget", "putuo_commerce_dept_2025_budget", "putuo_gov_office_2025_budget"]


def expected(stem: str) -> dict:
    return json.loads((FIXTURES / f"{stem}.expected.json").read_text(encoding="utf-8"))


def _cases():
    for stem in STEMS:
        for i, fig in enumerate(expected(stem)["figures"]):
            yield pytest.param(stem, fig, id=f"{stem[:-12]}-{i}-{fig['row_label']}-{fig['column']}")


@pytest.mark.parametrize("stem", STEMS)
def test_metadata(stem):
    doc = parsed(shared_sample(stem)).document
    want = expected(stem)
    assert (doc.unit_name, doc.year, doc.kind, doc.scope, doc.pages) == (
        want["unit_name"], want["year"], want["kind"], want["scope"], want["pages"])


@pytest.mark.parametrize("stem", STEMS)
def test_tables_per_kind(stem):
    result = parsed(shared_sample(stem))
    found = Counter()
    for _title, kind in {(c.metadata["table"], c.metadata["table_kind"]) for c in result.chunks
                        if c.kind in ("table_row", "table") and "table" in c.metadata}:
        found[kind] += 1
    want = {k: v for k, v in expected(stem)["tables"].items() if v}
    assert dict(found) == want


@pytest.mark.parametrize(("stem", "fig"), list(_cases()))
def test_hand_checked_figure(stem, fig):
    facts = parsed(shared_sample(stem)).facts
    matches = [
        f for f in facts
        if f.table_kind == fig["table_kind"] and f.page == fig["page"]
        and _same_cell(fig, f)
        and (fig["row_code"] is None or f.row_code == fig["row_code"])
        and f.value == Decimal(fig["value"]) and f.unit == fig["unit"]
    ]
    assert matches, fig


def _same_cell(fig: dict, f) -> bool:
    leaf = f.column.split(" / ")[-1]
    if fig["row_label"] is None:  # a one-row table: the header names the item
        return fig["column"] in (f.row_label, *f.row_path, leaf)
    return fig["row_label"] in (f.row_label, *f.row_path) and leaf == fig["column"]


def _prose_cases():
    for stem in STEMS:
        for i, p in enumerate(expected(stem).get("prose", [])):
            yield pytest.param(stem, p, id=f"{stem[:-12]}-prose-{i}")


@pytest.mark.parametrize(("stem", "item"), list(_prose_cases()))
def test_prose_figure(stem, item):
    facts = parsed(shared_sample(stem)).facts
    assert any("prose" in f.flags and f.page == item["page"] and f.value == Decimal(item["value"])
               and f.unit == item["unit"] for f in facts), item
