"""Documents know who they are: unit, year, 预算/决算, 部门/单位 — from the document, the file name last."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.metadata import read_metadata
from ingest.pdf import Line, Page
from ingest.tables import TableBlock
from tests.conftest import SHARED, XINZHOU, parsed


def _page(*lines: str, number: int = 1) -> Page:
    return Page(number, 600, 800, tuple(Line(t, (0, i * 20, 100, i * 20 + 10), 12) for i, t in enumerate(lines)), (),
                100, 0)


def _table(title: str, issuer: str = "", issuer_scope: str = "") -> TableBlock:
    return TableBlock(title=title, kind="收支总表", unit_of_amount="万元", columns=(), header_cells=(), rows=(),
                      pages=(1,), bbox=(0, 0, 1, 1), empty=True, issuer=issuer, issuer_scope=issuer_scope)


@pytest.mark.parametrize(("cover", "expected"), [
    # a cover that wraps the name over two lines
    (("上海市普陀区规划和自然", "资源局", "2024年度部门决算"), ("上海市普陀区规划和自然资源局", 2024, "决算", "部门")),
    (("中共上海市普陀区委", "社会工作部 2024 年度", "部门决算"), ("中共上海市普陀区委社会工作部", 2024, "决算", "部门")),
    # spaced digits, the year on its own line
    (("江苏省政协办公厅 2 0 1 7 年度部门预算",), ("江苏省政协办公厅", 2017, "预算", "部门")),
    (("江苏省政协办公厅", "2024", "年度部门决算"), ("江苏省政协办公厅", 2024, "决算", "部门")),
    # a spaced issuer key is not part of the name
    (("部 门:中共江苏省委办公厅", "2019年部门预算"), ("中共江苏省委办公厅", 2019, "预算", "部门")),
    # the 目录 on the cover page is not the cover
    (("江苏省政协办公厅 2017 年度部门预算", "目 录", "第一部分 部门概况"), ("江苏省政协办公厅", 2017, "预算", "部门")),
])
def test_identity_from_covers(cover, expected):
    meta = read_metadata([_page(*cover)], [], "whatever.pdf")
    assert (meta.unit_name, meta.year, meta.kind, meta.scope, meta.identity_source) == (*expected, "document")
    assert not meta.warnings


def test_a_tables_only_file_is_named_by_its_issuer_lines_and_scoped_by_their_key():
    pages = [_page("公开01表")]
    tables = [_table("2019年收支预算总表", "江苏省政协办公厅", "部门"), _table("收入预算总表", "江苏省政协办公厅", "部门")]
    meta = read_metadata(pages, tables, "公开表.pdf")
    assert (meta.unit_name, meta.year, meta.kind, meta.scope, meta.identity_source) == \
        ("江苏省政协办公厅", 2019, "预算", "部门", "document")


def test_a_university_named_only_in_headings():
    pages = [_page("目 录"), _page("第一部分 北京某某大学2024年部门预算说明", "一、收支预算总体情况", number=2)]
    meta = read_metadata(pages, [], "2024.pdf")
    assert (meta.unit_name, meta.year, meta.scope) == ("北京某某大学", 2024, "部门")


def test_the_file_name_is_used_last_and_says_so():
    meta = read_metadata([_page("表一")], [_table("收支预算总表", "江苏省政协办公厅", "部门")], "2018年度部门预算公开表.pdf")
    assert (meta.unit_name, meta.year, meta.identity_source) == ("江苏省政协办公厅", 2018, "file_name")
    assert meta.warnings == ("identity: the year (2018) was read from the file name, not the document",)


def test_a_missing_identity_is_never_silent():
    meta = read_metadata([_page("表一")], [], "scan.pdf")
    assert (meta.unit_name, meta.year) == ("", None)
    assert len(meta.warnings) == 2 and all("budgetqa docs set" in w for w in meta.warnings)


# Every real sample, as a person reads its cover (or, for a tables file, its 部门： lines and titles).
SAMPLES = [
    ("xinzhou_commerce_2024_budget.pdf", "忻州市商务局", 2024, "预算", "单位"),
    ("putuo_commerce_2025_budget.pdf", "上海市普陀区商务委员会", 2025, "预算", "单位"),
    ("putuo_commerce_dept_2025_budget.pdf", "上海市普陀区商务委员会", 2025, "预算", "部门"),
    ("putuo_gov_office_2025_budget.pdf", "上海市普陀区人民政府办公室", 2025, "预算", "单位"),
    ("putuo_social_work_dept_2024_final.pdf", "中共上海市普陀区委社会工作部", 2024, "决算", "部门"),
    ("jiangsu/江苏省政协办公厅2017年度部门预算.pdf", "江苏省政协办公厅", 2017, "预算", "部门"),
    ("jiangsu/2017年度部门预算公开表.pdf", "江苏省政协办公厅", 2017, "预算", "部门"),
    ("jiangsu/江苏省政协办公厅2018年度部门预算.pdf", "江苏省政协办公厅", 2018, "预算", "部门"),
    ("jiangsu/江苏省政协办公厅2018度部门预算公开表.pdf", "江苏省政协办公厅", 2018, "预算", "部门"),
    ("jiangsu/江苏省政协办公厅2019年度部门预算.pdf", "江苏省政协办公厅", 2019, "预算", "部门"),  # the cover is an image
    ("jiangsu/江苏省政协办公厅2019年预算公开表.pdf", "江苏省政协办公厅", 2019, "预算", "部门"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "unit", "year", "kind", "scope"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_identity_of_every_sample(name, unit, year, kind, scope):
    path = XINZHOU if name.startswith("xinzhou") else SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the real samples live in ../shared, outside this repo")
    doc = parsed(path).document
    assert (doc.unit_name, doc.year, doc.kind, doc.scope, doc.identity_source) == (unit, year, kind, scope, "document")


def test_the_prose_and_tables_files_of_a_disclosure_share_its_id(tmp_path):
    from store.facts import SQLiteFactStore
    from store.models import Document

    prose = Document("a" * 64, "江苏省政协办公厅2019年度部门预算.pdf", "江苏省政协办公厅", 2019, "预算", "部门", 18)
    tables = dataclasses.replace(prose, doc_id="b" * 64, file_name="江苏省政协办公厅2019年预算公开表.pdf", pages=12)
    other_year = dataclasses.replace(prose, doc_id="c" * 64, year=2018)
    with SQLiteFactStore(tmp_path / "facts.db") as store:
        for d in (prose, tables, other_year):
            store.add_document(d, [], [])
        ids = {d.file_name + str(d.year): d.disclosure_id for d in store.documents()}
        assert ids[prose.file_name + "2019"] == ids[tables.file_name + "2019"] != ids[prose.file_name + "2018"]
        fixed = store.set_identity("c" * 64, year=2019)
        assert (fixed.year, fixed.identity_source, fixed.disclosure_id) == (2019, "user", ids[prose.file_name + "2019"])
