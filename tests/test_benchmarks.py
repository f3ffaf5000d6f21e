"""The benchmarks' own parts: the synthetic document generator and the retrieval scoring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from benchmarks.fixtures import BUREAUS, CITIES, YEARS, variant_keys, variants
from benchmarks.retrieval import (
    choose,
    evaluate,
    figure_targets,
    number_hit,
    percentile,
    recall,
    shows_figure,
    source_pages,
    text_hit,
)
from ingest.pipeline import Parsed
from store.models import Chunk, Document, Fact

BASE_ID = "b" * 64


def base_doc(doc_id: str = BASE_ID, unit: str = "忻州市商务局", year: int = 2024) -> Parsed:
    """A tiny parsed document: two table facts, a prose fact, a table-row chunk and two text chunks."""
    doc = Document(doc_id, "base.pdf", unit, year, "预算", "单位", pages=3, title=f"{unit} {year}年度单位预算公开",
                   table_count=1, fact_count=3, chunk_count=3)
    facts = (
        Fact(f"{doc_id[:4]}f1", doc_id, "三公经费表", f"{year}年“三公”经费预算表", 2, None, None, "公务接待费",
             ("公务接待费",), f"{year}年预算数", Decimal("1.00"), "万元", "1.00"),
        Fact(f"{doc_id[:4]}f2", doc_id, "三公经费表", f"{year}年“三公”经费预算表", 2, None, None, "合计", ("合计",),
             f"{year - 1}年预算数", Decimal("10.00"), "万元", "10.00"),
        Fact(f"{doc_id[:4]}f3", doc_id, "说明", "情况说明", 3, None, None, "机关运行经费", ("机关运行经费",), "金额",
             Decimal("171.01"), "万元", f"{unit}机关运行经费预算为171.01万元。", ("prose",)),
    )
    meta = {"doc_id": doc_id, "unit_name": unit, "year": year, "doc_kind": "预算"}
    chunks = (
        Chunk(f"{doc_id[:4]}c1", doc_id, 2, "table_row", f"{year}年“三公”经费预算表 | 公务接待费 | {year}年预算数: 1.00万元",
              {**meta, "table": f"{year}年“三公”经费预算表", "fact_ids": [f"{doc_id[:4]}f1"]}),
        Chunk(f"{doc_id[:4]}c2", doc_id, 3, "text", f"{year}年{unit}机关运行经费预算为171.01万元，比{year - 1}年持平。",
              {**meta, "headings": "其他相关情况说明"}),
        Chunk(f"{doc_id[:4]}c3", doc_id, 1, "text", "市商务局内设机构共10个，分别是办公室、人事科、对外贸易科。",
              {**meta, "headings": "机构设置"}),
    )
    return Parsed(doc, facts, chunks, 0.0)


# --- the synthetic document generator ---------------------------------------------------------------


def test_variant_keys_give_every_unit_name_once_before_repeating():
    keys = list(variant_keys(len(CITIES) * len(BUREAUS)))
    assert len({(c, b) for c, b, _ in keys}) == len(keys) == 100
    assert all(y in YEARS for _, _, y in keys)
    assert len({y for _, _, y in keys[:10]}) == 10  # the first ten also differ in year
    more = list(variant_keys(150))
    assert len(set(more)) == 150  # past 100 a unit name comes back with another year


def test_variants_are_distinct_documents_with_valid_facts_and_chunks():
    base = base_doc()
    docs = variants(base, 12)
    assert len({d.document.doc_id for d in docs} | {BASE_ID}) == 13
    assert len({d.document.unit_name for d in docs}) == 12
    assert base.document.unit_name not in {d.document.unit_name for d in docs}
    assert len({d.document.year for d in docs}) == len(YEARS)
    fact_ids = [f.fact_id for d in docs for f in d.facts]
    chunk_ids = [c.chunk_id for d in docs for c in d.chunks]
    assert len(set(fact_ids)) == len(fact_ids) == 36 and len(set(chunk_ids)) == len(chunk_ids) == 36
    for d in docs:
        doc = d.document
        city, bureau = doc.unit_name.split("市", 1)
        assert city in CITIES and bureau in BUREAUS and doc.year in YEARS
        assert doc.fact_count == len(d.facts) and doc.chunk_count == len(d.chunks)
        assert doc.title == f"{doc.unit_name} {doc.year}年度单位预算公开"
        own = {f.fact_id for f in d.facts}
        for f, b in zip(d.facts, base.facts, strict=True):
            assert f.doc_id == doc.doc_id and f.value == b.value and f.unit == b.unit and f.page == b.page
            assert "忻州" not in f.raw_text
        assert d.facts[0].table_title == f"{doc.year}年“三公”经费预算表" and d.facts[0].column == f"{doc.year}年预算数"
        assert d.facts[1].column == f"{doc.year - 1}年预算数"  # every year shifts together
        for c in d.chunks:
            assert c.doc_id == c.metadata["doc_id"] == doc.doc_id
            assert c.metadata["unit_name"] == doc.unit_name and c.metadata["year"] == doc.year
            assert "忻州" not in c.text and set(c.metadata.get("fact_ids", [])) <= own
        assert doc.unit_name in d.chunks[1].text and d.chunks[2].text.startswith(f"市{bureau}内设机构")


def test_variants_go_into_the_real_stores(tmp_path):
    from ingest.pipeline import store_parsed
    from store.embedders import NgramEmbedder
    from store.facts import SQLiteFactStore
    from store.vectors import InMemoryIndex

    store, vectors = SQLiteFactStore(tmp_path / "facts.db"), InMemoryIndex(NgramEmbedder(dim=64))
    for p in [base_doc(), *variants(base_doc(), 5)]:
        store_parsed(p, store, vectors)
    assert store.stats() == {"documents": 6, "facts": 18, "chunks": 18} and vectors.count() == 18
    store.close()


# --- retrieval scoring ------------------------------------------------------------------------------


def test_source_pages_follow_file_names_and_ranges():
    assert source_pages("p6 (printed 3) 表一 row 收入总计; prose p22 '…'") == [(None, 6), (None, 22)]
    assert source_pages("a_2025.pdf p12-13 表 + b_2025.pdf p21 合计") == [("a_2025.pdf", 12), ("a_2025.pdf", 13),
                                                                         ("b_2025.pdf", 21)]


def test_figures_match_as_printed_converted_or_quoted():
    wan = figure_targets(78.29, "万元", "p6 '78.29万元'; S3 row 210 11 01 782,855.28元")
    assert shows_figure("行政单位医疗 | 合计: 782855.28元", wan)  # quoted by the source
    assert shows_figure("行政单位医疗 | 合计: 782,855.28元", figure_targets(78.29, "万元"))  # 元 within rounding
    assert shows_figure("合计 78.29万元", wan)
    assert not shows_figure("合计 178.29万元; 78.2万元", figure_targets(78.29, "万元"))
    yuan = figure_targets(10248700, "元")
    assert shows_figure("收入总计1,024.87万元", yuan)
    assert figure_targets(3, "辆") == [] and figure_targets(0, "元") == []  # would match anything


def test_hits_and_recall_on_a_handmade_case():
    chunks = base_doc().chunks
    assert text_hit(chunks[2], ["人事科", "对外\n贸易科"])  # line wraps ignored
    assert not text_hit(chunks[2], ["人事科", "口岸办公室"])  # every string, in one chunk
    targets = figure_targets(171.01, "万元")
    pages = {(BASE_ID, 20)}
    assert number_hit(chunks[1], targets, pages) == (True, False)
    assert number_hit(chunks[0], targets, {(BASE_ID, 2)}) == (False, True)
    assert recall([True, False, True, True]) == 0.75 and recall([]) == 0.0
    assert percentile([1, 2, 3, 4, 5], 50) == 3 and percentile([10, 20], 95) == pytest.approx(19.5)


def test_evaluate_scores_each_mode_within_the_scoped_document(tmp_path):
    from app.service import Service
    from app.settings import Settings
    from ingest.pipeline import store_parsed
    from store.embedders import NgramEmbedder
    from store.vectors import InMemoryIndex

    service = Service(Settings(home=tmp_path), vectors=InMemoryIndex(NgramEmbedder()))
    other = base_doc("c" * 64, "上海市普陀区商务委员会", 2025)
    for p in (base_doc(), other):
        store_parsed(p, service.facts_store, service.vectors)
    golds = [
        {"id": "t1", "question": "内设机构有哪些", "kind": "text", "must_include": ["人事科"], "doc": "忻州市商务局"},
        {"id": "n1", "question": "机关运行经费多少", "kind": "number", "value": 171.01, "unit": "万元",
         "doc": "忻州市商务局", "source": "p3"},
        {"id": "n2", "question": "公务接待费多少", "kind": "number", "value": 99.99, "unit": "万元",
         "doc": "忻州市商务局", "source": "p2"},  # wrong figure, right page: a page hit
        {"id": "r1", "question": "2030年三公经费", "kind": "refuse", "doc": "忻州市商务局"},  # not scored
    ]
    results = evaluate(service, golds)
    service.close()
    for mode in ("vector", "lexical", "hybrid"):
        r = results[mode]
        assert r["text"] == [True] and r["number"] == [True, True], mode
        assert r["figure"] == [True, False] and r["page"] == [True, True], mode
    assert results["asker"]["number"] == [] and len(results["asker"]["text"]) == 1


def test_the_cheaper_embedder_wins_a_near_tie():
    def emb(hits: int, embed_s: float) -> dict:
        r = {"text": [True] * hits + [False] * (100 - hits), "number": []}
        return {"results": {"hybrid": r}, "embed_s": embed_s, "chunks": 100, "query_ms_p50": 1.0}

    assert choose({"ngram": emb(89, 0.1), "e5": emb(90, 20.0)})[0] == "ngram"
    assert choose({"ngram": emb(80, 0.1), "e5": emb(90, 20.0)})[0] == "e5"
    assert choose({"ngram": emb(89, 0.1), "e5": emb(90, 0.5)})[0] == "e5"  # not 10× cheaper
