"""Citations give the page number printed on the page first, the PDF's index second."""

from __future__ import annotations

import pytest

from app.answer import cite_page
from ingest.pages import page_labels, printed_label
from ingest.pdf import Line, Page
from tests.conftest import XINZHOU, parsed, shared_sample


def _page(*footer: str, height: float = 800) -> Page:
    lines = [Line("正文", (50, 300, 200, 312), 12)] + [Line(t, (280, height - 30, 320, height - 18), 9) for t in footer]
    return Page(1, 600, height, tuple(lines), (), 100, 0)


@pytest.mark.parametrize(("footer", "label"), [
    ("- 15 -", "15"), ("—15—", "15"), ("第 15 页", "15"), ("第15页 共34页", "15"), ("15", "15"), ("15/34", "15"),
    ("iii", "iii"), ("说明", None),
])
def test_printed_labels_in_every_style(footer, label):
    assert printed_label(_page(footer)) == label


def test_a_number_counts_only_in_a_run():
    pages = [_page("2024"), _page("1"), _page("2"), _page("3")]
    assert page_labels(pages) == (None, "1", "2", "3")


def test_the_bundled_sample_prints_15_on_its_18th_page():
    doc = parsed(XINZHOU).document
    assert (doc.page_label(18), doc.page_label(1), len(doc.page_labels)) == ("15", None, doc.pages)


def test_a_document_that_prints_no_numbers_has_none():
    doc = parsed(shared_sample("putuo_social_work_dept_2024_final")).document
    assert set(doc.page_labels) == {None}


def test_citations_read_as_staff_cite_them():
    assert cite_page(18, "15") == "第15页（PDF第18页）"
    assert cite_page(7, None) == "第7页" and cite_page(7, "7") == "第7页"


def test_an_answer_cites_the_printed_page(tmp_path):
    from app.service import Service
    from app.settings import Settings
    from store.embedders import NgramEmbedder
    from store.vectors import InMemoryIndex

    svc = Service(Settings(home=tmp_path), vectors=InMemoryIndex(NgramEmbedder()))
    assert all(r.status == "ingested" for r in svc.ingest([XINZHOU]))
    answer = svc.ask("公务接待费是多少")
    assert "第15页（PDF第18页）" in answer.answer
    assert answer.to_json()["citations"][0]["page_label"] == "15"
    assert [f for f in svc.facts() if f.page == 18]  # facts keep the PDF index; the label is looked up
