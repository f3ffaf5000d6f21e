"""The fact store and the lexical index: exact round trips, atomic replacement, Chinese search."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from store import db, lexical, postgres
from store.errors import StoreError
from store.facts import FactStore, SQLiteFactStore
from store.models import Chunk, Document, Fact
from store.postgres import PostgresFactStore

ROOT = Path(__file__).resolve().parents[1]


def make_doc(doc_id: str = "doc-a", unit: str = "忻州市商务局", year: int | None = 2024) -> Document:
    return Document(
        doc_id=doc_id,
        file_name=f"{doc_id}.pdf",
        unit_name=unit,
        year=year,
        kind="预算",
        scope="单位",
        pages=20,
        title=f"{unit}{year}年度单位预算公开",
        table_count=2,
        fact_count=3,
        chunk_count=3,
        warnings=("第3页表格跨页",),
    )


def make_fact(doc_id: str, n: int, page: int, value: str, **kw: object) -> Fact:
    fields: dict[str, object] = {
        "fact_id": f"{doc_id}:f{n}",
        "doc_id": doc_id,
        "table_kind": "三公经费表",
        "table_title": "2024年财政拨款安排“三公”经费支出预算表",
        "page": page,
        "bbox": (56.5, 100.25, 120.0, 112.75),
        "row_code": None,
        "row_label": "公务接待费",
        "row_path": ("三公经费", "公务接待费"),
        "column": "合计",
        "value": Decimal(value),
        "unit": "万元",
        "raw_text": value,
        "flags": (),
    }
    fields.update(kw)
    return Fact(**fields)  # type: ignore[arg-type]


def make_chunk(doc_id: str, n: int, text: str, page: int = 1, **metadata: object) -> Chunk:
    return Chunk(f"{doc_id}:c{n}", doc_id, page, "table_row", text, dict(metadata))


def sample(doc_id: str = "doc-a", unit: str = "忻州市商务局") -> tuple[Document, list[Fact], list[Chunk]]:
    facts = [
        make_fact(doc_id, 1, 15, "1.00"),
        make_fact(
            doc_id,
            2,
            3,
            "1024.87",
            table_kind="收支总表",
            table_title="2024年预算收支总表",
            bbox=None,
            row_label="一、一般公共预算",
            row_path=("一、一般公共预算",),
            column="2024年",
        ),
        make_fact(
            doc_id,
            3,
            9,
            "0.3200",
            table_kind="一般公共预算支出表",
            row_code="2080505",
            row_label="机关事业单位基本养老保险缴费支出",
            row_path=("社会保障和就业支出", "行政事业单位养老支出", "机关事业单位基本养老保险缴费支出"),
            unit="%",
            flags=("blank", "code_misprint"),
        ),
    ]
    chunks = [
        make_chunk(
            doc_id,
            1,
            "2024年财政拨款安排“三公”经费支出预算表 公务接待费 合计 1.00万元",
            15,
            table="三公经费表",
            row_path=["三公经费", "公务接待费"],
        ),
        make_chunk(doc_id, 2, "2080505 机关事业单位基本养老保险缴费支出 40.88万元", 9),
        make_chunk(doc_id, 3, f"{unit}主要职责：负责对外贸易和投资促进工作。", 1),
    ]
    return make_doc(doc_id, unit), facts, chunks


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    """Each store test runs on both backends: the SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        with SQLiteFactStore(tmp_path / "home" / "facts.sqlite") as s:
            yield s
    else:
        with PostgresFactStore(request.getfixturevalue("postgres_url")) as s:
            yield s


# -- opening, migrations, settings ------------------------------------------------------------


def test_creates_parent_folders_and_applies_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "facts.sqlite"
    with SQLiteFactStore(path) as s:
        assert path.exists()
        assert s.schema_version() == len(db.MIGRATIONS)
        assert db.applied_migrations(s.conn) == [m.__name__ for m in db.MIGRATIONS]
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reopening_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    with SQLiteFactStore(path) as s:
        s.add_document(*sample())
        s.set_setting("index_hash", "abc123")
    with SQLiteFactStore(path) as s:
        assert db.migrate(s.conn) == []
        assert s.get_setting("index_hash") == "abc123"
        assert s.stats() == {"documents": 1, "facts": 3, "chunks": 3}


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    SQLiteFactStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _migrations VALUES ('m999_future', 'now')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="m999_future"):
        SQLiteFactStore(path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="facts.sqlite"):
        SQLiteFactStore(path)


def test_settings_default_replace_and_persist(store: FactStore) -> None:
    assert store.get_setting("embedder") is None
    assert store.get_setting("embedder", "none") == "none"
    store.set_setting("embedder", "hash-512")
    store.set_setting("embedder", "hash-1024")
    assert store.get_setting("embedder") == "hash-1024"


def test_closed_store_raises_store_error(tmp_path: Path) -> None:
    s = SQLiteFactStore(tmp_path / "facts.sqlite")
    s.close()
    s.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        s.documents()


# -- round trips ------------------------------------------------------------------------------


def test_document_round_trip(store: FactStore) -> None:
    doc, facts, chunks = sample()
    store.add_document(doc, facts, chunks)
    assert store.has_document("doc-a")
    assert not store.has_document("doc-b")
    assert store.get_document("doc-a") == doc
    assert store.get_document("doc-b") is None
    no_year = make_doc("doc-n", year=None)
    store.add_document(no_year, [], [])
    assert store.get_document("doc-n") == no_year


def test_fact_round_trip_is_exact(store: FactStore) -> None:
    doc, facts, chunks = sample()
    store.add_document(doc, facts, chunks)
    got = store.facts("doc-a")
    assert sorted(got, key=lambda f: f.fact_id) == facts
    by_id = {f.fact_id: f for f in got}
    # Decimal digits survive, trailing zeros included: TEXT, never REAL.
    assert str(by_id["doc-a:f2"].value) == "1024.87"
    assert str(by_id["doc-a:f3"].value) == "0.3200"
    assert str(by_id["doc-a:f1"].value) == "1.00"
    assert by_id["doc-a:f3"].row_code == "2080505"
    assert isinstance(by_id["doc-a:f3"].row_path, tuple)
    assert by_id["doc-a:f3"].flags == ("blank", "code_misprint")
    assert by_id["doc-a:f1"].bbox == (56.5, 100.25, 120.0, 112.75)
    assert by_id["doc-a:f2"].bbox is None
    typeof = "typeof(value)" if isinstance(store, SQLiteFactStore) else "pg_typeof(value)::text"
    assert {r[0] for r in store.conn.execute(f"SELECT {typeof} FROM facts")} == {"text"}


@pytest.mark.parametrize("value", ["0", "0.00", "-3.50", "123456789012345678.123456789", "1E+3"])
def test_any_decimal_round_trips(store: FactStore, value: str) -> None:
    doc = make_doc()
    store.add_document(doc, [make_fact(doc.doc_id, 1, 1, value)], [])
    assert str(store.facts()[0].value) == value


def test_chunk_round_trip_keeps_chinese_metadata(store: FactStore) -> None:
    doc, facts, chunks = sample()
    store.add_document(doc, facts, chunks)
    got = store.chunks("doc-a")
    assert got == [chunks[2], chunks[1], chunks[0]]  # by page
    assert got[2].metadata == {"table": "三公经费表", "row_path": ["三公经费", "公务接待费"]}
    raw = store.conn.execute("SELECT metadata FROM chunks WHERE chunk_id = 'doc-a:c1'").fetchone()[0]
    assert "三公经费表" in raw  # ensure_ascii=False: readable in the file


def test_facts_follow_document_order_and_filter(store: FactStore) -> None:
    doc, _, _ = sample()
    facts = [make_fact("doc-a", n, page, "1.00") for n, page in [(1, 5), (2, 2), (3, 5), (4, 2)]]
    store.add_document(doc, facts, [])
    assert [f.fact_id for f in store.facts()] == ["doc-a:f2", "doc-a:f4", "doc-a:f1", "doc-a:f3"]
    store.add_document(*sample("doc-b"))
    assert {f.doc_id for f in store.facts("doc-b")} == {"doc-b"}
    assert [f.fact_id for f in store.facts("doc-b", table_kind="收支总表")] == ["doc-b:f2"]
    assert len(store.facts(table_kind="三公经费表")) == 5
    assert store.facts("missing") == []


def test_documents_are_ordered_by_unit_then_year(store: FactStore) -> None:
    store.add_document(make_doc("d3", "忻州市商务局", 2024), [], [])
    store.add_document(make_doc("d1", "忻州市商务局", 2023), [], [])
    store.add_document(make_doc("d2", "忻州市财政局", 2024), [], [])
    expected = sorted([("忻州市商务局", 2023), ("忻州市商务局", 2024), ("忻州市财政局", 2024)])
    assert [(d.unit_name, d.year) for d in store.documents()] == expected


def test_get_by_ids_keeps_the_order_asked_and_skips_unknown(store: FactStore) -> None:
    store.add_document(*sample())
    got = store.get_chunks(["doc-a:c3", "nope", "doc-a:c1", "doc-a:c3"])
    assert [c.chunk_id for c in got] == ["doc-a:c3", "doc-a:c1"]
    assert store.get_chunks([]) == []
    assert [f.fact_id for f in store.get_facts(["doc-a:f3", "doc-a:f1"])] == ["doc-a:f3", "doc-a:f1"]


def test_stats_counts_rows(store: FactStore) -> None:
    assert store.stats() == {"documents": 0, "facts": 0, "chunks": 0}
    store.add_document(*sample())
    store.add_document(*sample("doc-b"))
    assert store.stats() == {"documents": 2, "facts": 6, "chunks": 6}


# -- replace, remove, atomicity ---------------------------------------------------------------


def fts_rows(store: FactStore) -> int:
    """Chunks the lexical index holds rows for."""
    sql = ("SELECT count(*) FROM chunk_fts" if isinstance(store, SQLiteFactStore)
           else "SELECT count(DISTINCT chunk_id) FROM chunk_terms")
    return int(store.conn.execute(sql).fetchone()[0])


def test_re_adding_a_document_replaces_it(store: FactStore) -> None:
    store.add_document(*sample())
    doc = make_doc()
    new_fact = make_fact("doc-a", 9, 4, "2.50", row_label="公务用车运行维护费")
    new_chunk = make_chunk("doc-a", 9, "公务用车运行维护费 9.00万元")
    store.add_document(doc, [new_fact], [new_chunk])
    assert store.facts() == [new_fact]
    assert store.chunks() == [new_chunk]
    assert fts_rows(store) == 1
    assert store.search_chunks("接待") == []  # the old 公务接待费 row is gone from the index
    assert [c.chunk_id for c, _ in store.search_chunks("公务用车运行维护费")] == ["doc-a:c9"]


def test_remove_document_cascades_to_facts_chunks_and_index(store: FactStore) -> None:
    store.add_document(*sample())
    store.add_document(*sample("doc-b"))
    assert store.remove_document("doc-a") is True
    assert store.remove_document("doc-a") is False
    assert store.stats() == {"documents": 1, "facts": 3, "chunks": 3}
    assert fts_rows(store) == 3
    assert {c.doc_id for c, _ in store.search_chunks("公务接待费")} == {"doc-b"}


def assert_unchanged(store: FactStore, before: tuple[Document, list[Fact], list[Chunk]]) -> None:
    doc, facts, chunks = before
    assert store.documents() == [doc]
    assert sorted(store.facts(), key=lambda f: f.fact_id) == facts
    assert sorted(store.chunks(), key=lambda c: c.chunk_id) == chunks
    assert fts_rows(store) == len(chunks)
    assert [c.chunk_id for c, _ in store.search_chunks("公务接待费")] == ["doc-a:c1"]


def test_failed_replace_leaves_the_previous_state(store: FactStore) -> None:
    before = sample()
    store.add_document(*before)
    bad = make_chunk("doc-a", 8, "公务用车运行维护费", amount=Decimal("9.00"))  # not JSON
    with pytest.raises(StoreError, match="doc-a:c8.*JSON"):
        store.add_document(make_doc(), [make_fact("doc-a", 9, 1, "2.00")], [before[2][0], bad])
    assert_unchanged(store, before)


def test_failure_while_indexing_leaves_the_previous_state(store: FactStore, monkeypatch: pytest.MonkeyPatch) -> None:
    before = sample()
    store.add_document(*before)

    def explode(*args: object) -> None:
        raise RuntimeError("disk on fire")

    # The last step of each backend's write: the FTS5 rows, or PostgreSQL's postings.
    target = (lexical, "add_rows") if isinstance(store, SQLiteFactStore) else (postgres, "_counts")
    monkeypatch.setattr(*target, explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.add_document(*sample())
    monkeypatch.undo()
    assert_unchanged(store, before)
    with pytest.raises(RuntimeError):
        monkeypatch.setattr(*target, explode)
        store.add_document(*sample("doc-new"))
    assert not store.has_document("doc-new")


def test_duplicate_ids_are_a_store_error_and_roll_back(store: FactStore) -> None:
    before = sample()
    store.add_document(*before)
    doc_b, facts_b, _ = sample("doc-b")
    taken = Chunk("doc-a:c1", "doc-b", 1, "text", "公务接待费")  # chunk_id used by doc-a
    with pytest.raises(StoreError, match="cannot write"):
        store.add_document(doc_b, facts_b, [taken])
    assert_unchanged(store, before)


def test_facts_of_another_document_are_refused(store: FactStore) -> None:
    doc, facts, chunks = sample()
    with pytest.raises(StoreError, match="doc-b"):
        store.add_document(doc, facts + [make_fact("doc-b", 1, 1, "1")], chunks)
    assert store.stats()["documents"] == 0


# -- lexical search ---------------------------------------------------------------------------


def test_search_finds_the_row_a_question_names(store: FactStore) -> None:
    store.add_document(*sample())
    hits = store.search_chunks("公务接待费是多少")
    assert hits[0][0].chunk_id == "doc-a:c1"
    assert hits[0][1] > 0
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_part_of_a_compound_word_finds_it(store: FactStore) -> None:
    store.add_document(*sample())
    assert [c.chunk_id for c, _ in store.search_chunks("养老保险")] == ["doc-a:c2"]
    assert [c.chunk_id for c, _ in store.search_chunks("2080505")] == ["doc-a:c2"]


def test_an_unseen_word_backs_off_to_its_characters(store: FactStore) -> None:
    store.add_document(*sample())
    assert store.search_chunks("招待费")[0][0].chunk_id == "doc-a:c1"


def test_doc_ids_filter_scopes_before_ranking(store: FactStore) -> None:
    store.add_document(*sample("doc-a", "忻州市商务局"))
    store.add_document(*sample("doc-b", "忻州市财政局"))
    assert {c.doc_id for c, _ in store.search_chunks("公务接待费")} == {"doc-a", "doc-b"}
    only_b = store.search_chunks("公务接待费是多少", doc_ids=["doc-b"])
    assert [c.chunk_id for c, _ in only_b] == ["doc-b:c1"]
    assert store.search_chunks("公务接待费", doc_ids=[]) == []
    assert store.search_chunks("公务接待费", doc_ids=["unknown"]) == []
    assert len(store.search_chunks("公务接待费", k=1)) == 1


@pytest.mark.parametrize("query", ["", "   ", "是多少？", "2024年预算是多少万元", "？！，。", "1,024.87", "的"])
def test_a_query_with_only_stopwords_finds_nothing(store: FactStore, query: str) -> None:
    store.add_document(*sample())
    assert store.search_chunks(query) == []


@pytest.mark.parametrize(
    "query", ['"公务接待费', "NEAR(公务 接待费) OR *", "公务接待费 AND NOT", "tokens: 公务", "(公务"]
)
def test_fts_syntax_in_a_question_is_just_text(store: FactStore, query: str) -> None:
    store.add_document(*sample())
    assert store.search_chunks(query)[0][0].chunk_id == "doc-a:c1"


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("公务接待费是多少", ["公务", "接待", "接待费"]),
        ("2024年公务接待费预算是多少？", ["公务", "接待", "接待费"]),
        ("养老保险", ["养老", "保险", "养老保险"]),
        ("2080505科目是什么", ["2080505", "科目"]),
        ("增长18.63%", ["增长"]),
        ("CPI 指数", ["cpi", "指数"]),
    ],
)
def test_query_terms(query: str, terms: list[str]) -> None:
    assert lexical.query_terms(query) == terms


def test_tokenize_emits_sub_words_of_compounds() -> None:
    tokens = lexical.tokenize("机关事业单位基本养老保险缴费")
    assert {"养老", "保险", "养老保险", "缴费", "事业单位"} <= set(tokens)


def test_very_common_terms_are_pruned_once_the_store_is_large(store: FactStore) -> None:
    doc = make_doc()
    chunks = [make_chunk("doc-a", n, f"项目{n} 合计 {n}.00") for n in range(lexical.MIN_CHUNKS_FOR_PRUNING)]
    chunks.append(make_chunk("doc-a", 999, "公务接待费 合计 1.00"))
    store.add_document(doc, [], chunks)
    words, chars = lexical.plan_query("公务接待费合计", store._index_stats())
    assert "合计" not in words and "公务" in words
    # Alone, a common term is kept rather than finding nothing.
    assert lexical.plan_query("合计", store._index_stats()) == (["合计"], [])
    assert store.search_chunks("公务接待费合计")[0][0].chunk_id == "doc-a:c999"


def test_another_connection_sees_writes_and_fresh_counts(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    with SQLiteFactStore(path) as reader, SQLiteFactStore(path) as writer:
        assert reader.search_chunks("公务接待费") == []
        writer.add_document(*sample())
        assert reader._index_stats().total_chunks == 3
        assert reader.search_chunks("公务接待费")[0][0].chunk_id == "doc-a:c1"


def test_jieba_prints_nothing() -> None:
    code = "from store import lexical; lexical.tokenize('公务接待费')"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stderr == "" and result.stdout == ""


def test_review_marks_are_kept_replaced_and_cleared(tmp_path):
    from store.facts import SQLiteFactStore

    with SQLiteFactStore(tmp_path / "facts.sqlite") as store:
        store.set_review("k1", "doc", "确认", "  印刷错误 ")
        store.set_review("k1", "doc", "忽略", "是取整")
        (review,) = store.reviews("doc").values()
        assert (review.mark, review.note) == ("忽略", "是取整") and review.marked_at
        with pytest.raises(StoreError):
            store.set_review("k2", "doc", "同意")
        store.set_review("k1", "doc", None)
        assert store.reviews() == {}
