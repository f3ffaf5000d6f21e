"""The Streamlit page, driven by streamlit.testing's AppTest, and the pure helpers under app/ui.

The page runs on a data folder with the bundled Xinzhou sample (ingested once per module): the sidebar
lists it, a question gets its verified figure with badge and source, a question the documents cannot
answer is refused, the scope filter reaches service.ask, uploads report each bad file and go on.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import shutil
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from app.answer import Answer, Citation, NumberCheck
from app.audit import Finding
from app.service import Service
from app.settings import load_settings
from app.ui import charts, export, facts, findings, labels, scope, sources
from app.ui.audit_view import page_key
from app.ui.state import findings_for
from app.ui.upload import ingest_uploads, safe_name
from store.models import Document, Fact

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
XINZHOU = ROOT / "examples" / "xinzhou_commerce_2024_budget.pdf"
PUTUO_OFFICE = ROOT.parent / "shared" / "samples" / "putuo_gov_office_2025_budget.pdf"
UNIT = "忻州市商务局"

_spec = importlib.util.spec_from_file_location("bad_pdfs", ROOT / "tests" / "fixtures" / "bad_pdfs.py")
assert _spec and _spec.loader
bad_pdfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bad_pdfs)  # loaded by path, as tests/test_bad_pdfs_fixture.py does


def _ingested_home(folder: Path, *pdfs: Path) -> Path:
    service = Service(load_settings(home=folder))
    try:
        assert [r.status for r in service.ingest(list(pdfs))] == ["ingested"] * len(pdfs)
    finally:
        service.close()
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the Xinzhou 2024 unit budget ingested."""
    return _ingested_home(tmp_path_factory.mktemp("ui_home"), XINZHOU)


def _app(home: Path, monkeypatch: pytest.MonkeyPatch, llm: str = "none") -> AppTest:
    monkeypatch.setenv("BUDGETQA_HOME", str(home))
    monkeypatch.setenv("BUDGETQA_LLM", llm)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The page, run once, on the Xinzhou data folder."""
    return _app(home, monkeypatch)


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _last_answer(at: AppTest):
    return at.chat_message[-1]


# ---------------------------------------------------------------- loading


def test_sidebar_lists_the_loaded_document(app: AppTest) -> None:
    sidebar = _texts(app.sidebar.markdown)
    assert UNIT in sidebar
    assert "2024年 · 单位预算" in sidebar
    assert "34页 · 19张表 · 1010个数字" in _texts(app.sidebar.caption)
    assert app.sidebar.subheader[1].value == "② 已加载的文件（1）"


def test_sidebar_shows_data_folder_and_offline_mode(app: AppTest, home: Path) -> None:
    assert f"数据文件夹：{home}" in _texts(app.sidebar.caption)  # shown, not chosen in the browser
    assert not [t for t in app.text_input if t.key == "home"]
    assert "离线模式" in _texts(app.sidebar.caption)


def test_first_visit_offers_example_questions(app: AppTest) -> None:
    labels_ = [b.label for b in app.button]
    assert {"公务接待费是多少？", "基本支出占比多少？", "三公经费指什么？", "这份文件有没有不一致的地方？",
            "2025年公务接待费是多少？"} <= set(labels_)
    assert "已核验" in _texts(app.markdown)  # the legend of the three badges


def test_a_bad_setting_is_explained_not_a_traceback(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGETQA_HOME", str(home))
    monkeypatch.setenv("BUDGETQA_WORKERS", "zero")
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception
    assert "无法打开数据" in at.error[0].value and "workers" in at.error[0].value


# ---------------------------------------------------------------- asking


def test_figure_question_gets_verified_answer_with_source(app: AppTest) -> None:
    _ask(app, "公务接待费是多少")
    answer = _last_answer(app)
    text = _texts(answer.markdown)
    assert "1.00万元" in text
    assert ":green-badge[:material/verified: 已核验]" in text
    assert answer.metric[0].value == "1.00 万元"
    assert answer.metric[0].label == "公务接待费（2024年预算数 / 合计）"
    source = answer.expander[0]
    assert source.label == "来源：第15页（PDF第18页）《2024年财政拨款安排“三公”经费支出预算表》"
    rows = source.table[0].value
    assert list(rows["页码"]) == ["第15页（PDF第18页）"]
    assert list(rows["行"]) == ["公务接待费"] and list(rows["数值"]) == ["1.00"]
    assert list(rows["单位"]) == [UNIT]
    assert len(source.get("image")) == 1  # the page crop, cell highlighted
    assert not app.get("button") or "公务接待费是多少？" not in [b.label for b in app.button]  # examples gone


def test_question_the_documents_cannot_answer_is_refused(app: AppTest) -> None:
    _ask(app, "2025年公务接待费是多少？")
    text = _texts(_last_answer(app).markdown)
    assert "无法回答" in text and "已核验" not in text
    assert "文件中没有相关信息" in text
    assert not _last_answer(app).metric and not _last_answer(app).expander


def test_example_button_asks_its_question(app: AppTest) -> None:
    next(b for b in app.button if b.label == "2025年公务接待费是多少？").click().run()
    assert _texts(app.chat_message[0].markdown) == "2025年公务接待费是多少？"
    assert "无法回答" in _texts(app.chat_message[1].markdown)


def test_audit_example_question_lists_the_findings_in_the_chat(app: AppTest) -> None:
    next(b for b in app.button if b.label == "这份文件有没有不一致的地方？").click().run()
    assert not app.exception, app.exception
    text = _texts(app.chat_message[1].markdown)
    assert "发现4处需要核对的问题，另有18处万元取整造成的尾差" in text
    # the audit's own count (6 tables attached) is not a printed figure: it is shown marked
    assert "说明称公开项目绩效目标7个，但所附项目绩效目标表只有:orange-background[6个]" in text


def test_history_keeps_earlier_answers_with_sources_folded(app: AppTest) -> None:
    _ask(app, "公务接待费是多少")
    _ask(app, "2025年公务接待费是多少？")
    assert [m.name for m in app.chat_message] == ["user", "assistant", "user", "assistant"]
    assert "1.00万元" in _texts(app.chat_message[1].markdown)
    assert app.chat_message[1].expander[0].proto.expanded is False  # the newest answer alone shows its sources open
    assert app.chat_message[3].expander == [] or app.chat_message[3].expander[0].proto.expanded


def test_unverified_answer_flags_its_numbers(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    problem = "这个数字属于“公务用车运行维护费”（第18页），不是句中所说的项目"
    draft = Answer("公务接待费是多少", "unverified", "公务接待费为9.00万元。", None, None,
                   (NumberCheck("9.00万元", Decimal("9.00"), "万元", False, (), problem),),
                   notes=("LLM修正后仍有无法核实的数字：9.00万元，已用⚠标出，未核验",))
    monkeypatch.setattr(Service, "ask", lambda self, q, doc=None, conversation=None: draft)
    _ask(app, "公务接待费是多少")
    answer = _last_answer(app)
    text = _texts(answer.markdown)
    assert ":orange-badge[:material/warning: 未核验]" in text and "已核验" not in text
    assert ":orange-background[9.00万元]" in text  # the unsupported figure is marked where it stands
    assert problem in _texts(answer.warning)
    assert "已用⚠标出" in _texts(answer.caption)


def test_the_same_item_of_several_years_is_shown_side_by_side(app: AppTest, home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = Service(load_settings(home=home))
    (doc,) = loaded.documents()  # cited documents must be loaded, or the answer is shown as from removed ones
    loaded.close()
    cites = tuple(Citation(doc.doc_id, "江苏省政协办公厅", y, 9, "三公经费表", "三公经费", "小计", v, unit="万元")
                  for y, v in ((2017, "676.10"), (2018, "675.10"), (2019, "660.10")))
    many = Answer("列出2017到2019年的三公经费", "verified", "各年的数字如下：…", Decimal("676.10"), "万元", (), cites)
    monkeypatch.setattr(Service, "ask", lambda self, q, doc=None, conversation=None: many)
    _ask(app, "列出2017到2019年的三公经费")
    answer = _last_answer(app)
    shown = answer.table[0].value  # before the sources' own table
    assert list(shown["年度"]) == ["2017", "2018", "2019"] and list(shown["数值"]) == ["676.10", "675.10", "660.10"]
    assert "江苏省政协办公厅2017年" in answer.metric[0].label  # the card says whose figure it is


def test_side_by_side_needs_one_item_of_several_documents() -> None:
    one = Citation("d", "甲", 2024, 1, "表", "三公经费", "合计", "1.00", unit="万元")
    answer = Answer("q", "verified", "…", Decimal("1.00"), "万元", (), (one, dataclasses.replace(one, row="公务接待费")))
    assert sources.side_by_side(answer) == []  # two rows of one document: no years to line up


def test_text_question_cites_passages(app: AppTest) -> None:
    _ask(app, "三公经费指什么？")
    answer = _last_answer(app)
    assert "因公出国" in _texts(answer.markdown)
    assert "第31页（PDF第34页）" in list(answer.expander[0].table[0].value["页码"])
    # the passage has no cell: the lines it quotes are marked on the printed page instead
    captions = [i.proto.imgs[0].caption for i in answer.expander[0].get("image")]
    assert any("标出的是答案引用的文字" in c for c in captions), captions


def test_streaming_when_an_llm_is_configured(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.service.make_chat_model", lambda *a, **k: None)  # no model, no network
    at = _app(home, monkeypatch, llm="openai:test-model")
    assert "大模型：openai:test-model" in _texts(at.sidebar.caption)
    _ask(at, "公务接待费是多少")
    assert "1.00万元" in _texts(_last_answer(at).markdown)


def test_unusable_llm_setting_opens_offline_and_says_why(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(home, monkeypatch, llm="nosuch:model")
    assert "大模型设置无法使用，已改用离线模式" in _texts(at.warning)
    assert "离线模式" in _texts(at.sidebar.caption)
    _ask(at, "公务接待费是多少")
    assert "1.00万元" in _texts(_last_answer(at).markdown)


# ---------------------------------------------------------------- scope


def test_scope_filter_passes_the_chosen_unit_to_the_service(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str | None]] = []
    real = Service.ask

    def spy(self, question, doc=None, conversation=None):
        calls.append((question, doc))
        return real(self, question, doc)

    monkeypatch.setattr(Service, "ask", spy)
    app.multiselect(key="scope_units").set_value([UNIT]).run()
    _ask(app, "公务接待费是多少")
    assert calls == [("公务接待费是多少", UNIT)]
    assert _texts(app.chat_message[0].caption) == f"问答范围：{UNIT}"
    assert "1.00万元" in _texts(_last_answer(app).markdown)


def test_year_filter_that_keeps_the_unit_whole_still_asks_by_unit(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = Service.ask
    monkeypatch.setattr(Service, "ask", lambda self, q, doc=None, conversation=None: calls.append(doc) or real(self, q, doc))
    app.multiselect(key="scope_years").set_value([2024]).run()
    _ask(app, "公务接待费是多少")
    assert calls == [UNIT]
    assert _texts(app.chat_message[0].caption) == "问答范围：2024年"


@pytest.mark.slow
def test_scope_filter_chooses_between_two_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not PUTUO_OFFICE.exists():
        pytest.skip(f"{PUTUO_OFFICE} is absent: the real samples live in ../shared, outside this repo")
    at = _app(_ingested_home(tmp_path, XINZHOU, PUTUO_OFFICE), monkeypatch)
    office = "上海市普陀区人民政府办公室"
    assert set(at.multiselect(key="scope_units").options) == {UNIT, office}
    at.multiselect(key="scope_units").set_value([office]).run()
    _ask(at, "公务接待费是多少")
    text = _texts(_last_answer(at).markdown)
    assert "28.50万元" in text and "1.00万元" not in text
    at.multiselect(key="scope_units").set_value([UNIT]).run()
    _ask(at, "公务接待费是多少")
    text = _texts(_last_answer(at).markdown)
    assert "1.00万元" in text and "28.50万元" not in text
    _ask(at, "普陀区人民政府办公室的公务接待费是多少")  # names a unit the filter leaves out
    assert office in _texts(_last_answer(at).warning)
    headings = [m.value for m in at.tabs[3].markdown if m.value.startswith("#### ")]
    assert headings == [f"#### {UNIT} · 2024年 · 单位预算"]  # the 审核 tab obeys the filter too
    at.multiselect(key="scope_units").set_value([]).run()
    headings = [m.value for m in at.tabs[3].markdown if m.value.startswith("#### ")]
    assert len(headings) == 2 and any(office in h for h in headings)


DOCS = (
    Document("a1" * 32, "a.pdf", "甲市财政局", 2023, "预算", "单位", 10),
    Document("a2" * 32, "b.pdf", "甲市财政局", 2024, "预算", "单位", 10),
    Document("b1" * 32, "c.pdf", "乙区商务委员会", 2024, "决算", "部门", 10),
)


@pytest.mark.parametrize(
    ("units", "years", "expected"),
    [
        ((), (), [None]),  # no filter: one question over everything
        (("甲市财政局",), (), ["甲市财政局"]),  # one unit: its name, so the question's year picks the document
        (("甲市财政局", "乙区商务委员会"), (), ["甲市财政局", "乙区商务委员会"]),  # several units: asked per unit
        (("甲市财政局",), (2024,), ["a2" * 32]),  # part of a unit: asked per document
        ((), (2024,), ["a2" * 32, "乙区商务委员会"]),
        (("乙区商务委员会",), (2023,), []),  # nothing in scope: nothing asked
    ],
)
def test_ask_targets(units, years, expected) -> None:
    assert [t.doc for t in scope.ask_targets(DOCS, units, years)] == expected


def test_units_outside_the_scope_are_noticed() -> None:
    assert scope.units_outside("乙区商务委员会的公务接待费是多少", DOCS, DOCS[:2]) == ["乙区商务委员会"]
    assert scope.units_outside("公务接待费是多少", DOCS, DOCS[:2]) == []


# ---------------------------------------------------------------- upload and remove


def test_upload_reports_each_file_and_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad_pdfs.truncated(bad).read_bytes()
    service = Service(load_settings(home=tmp_path / "home"))
    seen: list[tuple[int, str, int, int]] = []
    try:
        outcomes = ingest_uploads(service, [
            ("说明.pdf", "这不是PDF".encode()),
            ("半截.pdf", truncated),
            ("C:\\预算\\xinzhou.pdf", XINZHOU.read_bytes()),
            ("xinzhou副本.pdf", XINZHOU.read_bytes()),
        ], lambda *event: seen.append(event))
        assert [o.status for o in outcomes] == ["failed", "failed", "ingested", "skipped"]
        assert outcomes[0].message == "说明.pdf：不是PDF文件，请上传预算/决算公开的PDF"
        assert outcomes[1].message == "半截.pdf：PDF文件已损坏或不完整，请重新下载后再上传"
        assert outcomes[2].message == "xinzhou.pdf：已加载 — 忻州市商务局 · 2024年 · 单位预算，34页 · 19张表 · 1010个数字"
        assert outcomes[3].message.startswith("xinzhou副本.pdf：已经加载过")
        assert (2, "xinzhou.pdf", 34, 34) in seen  # per-page progress of the good file
        assert [d.unit_name for d in service.documents()] == [UNIT]
        assert service.pdf_path(service.documents()[0].doc_id)  # archived: sources can show its pages
    finally:
        service.close()


def test_uploads_are_streamed_limited_and_named_safely(tmp_path: Path) -> None:
    service = Service(load_settings(home=tmp_path / "home"))
    long_name = "上海市普陀区人民政府万里街道办事处" * 6 + "2025年部门预算.pdf"  # 119 characters, 353 bytes
    try:
        [big] = ingest_uploads(service, [("大文件.pdf", XINZHOU.read_bytes())], max_bytes=XINZHOU.stat().st_size - 1)
        assert big.status == "failed" and big.message.startswith("大文件.pdf：文件太大（超过")
        with XINZHOU.open("rb") as stream:  # a file object is copied block by block, not read whole
            [outcome] = ingest_uploads(service, [(long_name, stream)])
        assert outcome.status == "ingested", outcome.message
        assert outcome.name.endswith(".pdf") and len(outcome.name.encode()) <= 200
        assert outcome.name.startswith("上海市普陀区人民政府万里街道办事处")
    finally:
        service.close()
    assert safe_name("../../etc/passwd\x00.pdf", 0) == "passwd.pdf"
    assert safe_name("  .pdf", 3) == "文件4.pdf"


def test_upload_and_remove_in_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(tmp_path, monkeypatch)
    assert "还没有加载文件。" in _texts(at.sidebar.caption)
    at.file_uploader[0].set_value([("xinzhou.pdf", XINZHOU.read_bytes(), "application/pdf"),
                                   ("坏文件.pdf", b"%PDF-1.4 broken", "application/pdf")]).run()
    at.button(key="load_files").click().run()
    assert not at.exception, at.exception
    assert "坏文件.pdf：PDF文件已损坏或不完整" in _texts(at.sidebar.error)
    assert "xinzhou.pdf：已加载 — 忻州市商务局" in _texts(at.sidebar.success)
    assert UNIT in _texts(at.sidebar.markdown)

    remove = next(b for b in at.sidebar.button if b.key and b.key.startswith("rm_"))
    remove.click().run()
    assert "确定删除“忻州市商务局 · 2024年 · 单位预算”吗" in _texts(at.sidebar.warning)
    next(b for b in at.sidebar.button if b.label == "取消").click().run()
    assert UNIT in _texts(at.sidebar.markdown)  # cancelled: still there

    next(b for b in at.sidebar.button if b.key and b.key.startswith("rm_")).click().run()
    next(b for b in at.sidebar.button if b.label == "确定删除").click().run()
    assert "还没有加载文件。" in _texts(at.sidebar.caption)
    assert Service(load_settings(home=tmp_path)).documents() == []
    shutil.rmtree(tmp_path, ignore_errors=True)


# ---------------------------------------------------------------- facts and charts tabs


def test_facts_tab_filters_and_downloads(app: AppTest) -> None:
    assert len(app.dataframe[0].value) == 1010
    app.text_input(key="facts_text").set_value("公务接待费").run()
    table = app.dataframe[0].value
    assert set(table["行"]) == {"公务接待费"} and "1.00" in set(table["数值"])
    app.text_input(key="facts_text").set_value("").run()
    app.multiselect(key="facts_kinds").set_value(["三公经费表"]).run()
    assert len(app.dataframe[0].value) == 16
    assert [b.label for b in app.get("download_button")][0] == "下载 CSV"


def test_charts_tab_draws_the_four_breakdowns(app: AppTest) -> None:
    assert len(app.get("vega_lite_chart")) == 4
    titles = _texts(app.tabs[2].markdown)
    for title in ("支出按功能分类", "基本支出与项目支出", "人员经费与公用经费", "“三公”经费构成"):
        assert title in titles
    assert "2024年《2024年预算支出总表》第10页" in _texts(app.tabs[2].caption)


# ---------------------------------------------------------------- audit tab


def _audit_tab(at: AppTest):
    tab = at.tabs[3]
    assert tab.label.endswith("审核")
    return tab


def _cards(tab, badge: str) -> list[str]:
    return [m.value for m in tab.markdown if m.value.startswith(badge)]


def test_audit_tab_summarises_and_groups_the_findings(app: AppTest) -> None:
    tab = _audit_tab(app)
    assert f"#### {UNIT} · 2024年 · 单位预算" in _texts(tab.markdown)
    assert _texts(tab.warning) == "4 处需要核对（错误 0 处、提示 4 处），另有 18 处万元取整尾差（一般无需处理）。"
    assert not tab.error
    badges = _texts(tab.markdown)
    assert ":red-badge[:material/error: 错误 0]" in badges and ":gray-badge[:material/more_horiz: 取整尾差 18]" in badges
    assert "##### :orange[:material/warning: 提示（4 处）]" in badges and ":red[" not in badges  # no 错误 section
    assert len(_cards(tab, ":orange-badge[:material/warning: 提示]")) == 4
    # 7 performance goals announced, 6 tables attached
    text = _texts(tab.markdown)
    assert ":orange-badge[:material/warning: 提示] **第24-29、31页**" in text
    assert "说明称公开项目绩效目标7个，但所附项目绩效目标表只有6个" in text
    assert (":gray[行] 公开项目绩效目标　·　:gray[列] 数量　·　:gray[应为] **6**　·　:gray[实为] **7**"
            "　·　:gray[差额] :orange[**+1**]") in text
    rounding = next(e for e in tab.expander if e.label.startswith("万元取整尾差（18 处）"))
    assert rounding.proto.expanded is False  # folded away by default
    assert len(_cards(rounding, ":gray-badge[:material/more_horiz: 取整尾差]")) == 18
    assert ":gray[差额] :gray[**-0.01**]" in _texts(rounding.markdown)
    assert [b.label for b in tab.get("download_button")] == ["下载核对结果 CSV（22 条）", "下载 Excel", "下载审核报告（可打印）"]


def test_a_reviewer_marks_a_finding_and_the_mark_is_there_next_time(app: AppTest, home: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service(load_settings(home=home))
    (doc,) = service.documents()
    first = next(f for f in service.audit(doc.doc_id) if f.rule == "prose_count")
    service.close()
    app.text_input(key=f"review_note_{first.key}").input("已与原件核对：正文多写了一个项目")
    app.button(key=f"review_确认_{first.key}").click().run()
    assert not app.exception, app.exception
    again = _app(home, monkeypatch)  # a new session over the same data folder
    tab = _audit_tab(again)
    assert ":red-badge[复核：确认]" in _texts(tab.markdown)
    assert "已与原件核对：正文多写了一个项目" in _texts(tab.caption)
    again.button(key=f"review_clear_{first.key}").click().run()  # leave the shared data folder as it was
    service = Service(load_settings(home=home))
    assert service.reviews() == {}
    service.close()


def test_audit_page_image_is_rendered_when_opened(app: AppTest, home: Path) -> None:
    service = Service(load_settings(home=home))
    try:
        doc_id = service.documents()[0].doc_id
        found = service.audit(doc_id)
    finally:
        service.close()
    goals = next(i for i, f in enumerate(found) if f.rule == "prose_count")
    total = next(i for i, f in enumerate(found) if f.rule == "section_total")  # pages 6-7, the total on page 7
    page = next(e for e in _audit_tab(app).expander if e.label == "PDF原文 第24页")
    assert not page.get("image") and "展开后显示这一页。" in _texts(page.caption)  # nothing rendered while folded
    app.session_state[page_key(doc_id, goals)] = True
    app.session_state[page_key(doc_id, total)] = True
    app.run()
    assert not app.exception, app.exception
    opened = [e for e in _audit_tab(app).expander if e.label.startswith("PDF原文") and e.get("image")]
    assert [e.label for e in opened] == ["PDF原文 第24页", "PDF原文 第6页"]
    captions = [i.proto.imgs[0].caption for i in opened[0].get("image")]
    assert captions == ["PDF原文 第24页：红框处为说明中的这句话：公开项目绩效目标7个，涉及项目金额359.87万元，"
                        "占部门（单位）项目支出总额的77.46%。"]
    captions = [i.proto.imgs[0].caption for i in opened[1].get("image")]
    assert captions == ["PDF原文 第6页", "PDF原文 第7页：红框处为“本年支出合计”（支出 / 2024年合计）的数值 1024.87"]


def _finding(severity: str, message: str, **changes) -> Finding:
    base = dict(rule="code_sum", severity=severity, doc_id="d", unit_name="甲市财政局", year=2024, pages=[3],
                table="2024年支出总表", row="201 一般公共服务支出", column="合计", expected=Decimal("10.00"),
                actual=Decimal("12.00"), difference=Decimal("2.00"), message=message)
    return Finding(**(base | changes))


@pytest.fixture
def fresh_findings() -> Iterator[None]:
    """Findings are cached per document: a test that fakes them starts and ends with an empty cache."""
    findings_for.clear()
    yield
    findings_for.clear()


def test_audit_errors_are_shown_in_red(app: AppTest, monkeypatch: pytest.MonkeyPatch, fresh_findings) -> None:
    error = _finding("error", "上级科目应等于下级科目之和：201 一般公共服务支出「合计」为12.00万元，2项之和为10.00万元，相差2.00万元")
    monkeypatch.setattr(Service, "audit", lambda self, doc=None: [error])
    app.run()
    tab = _audit_tab(app)
    assert _texts(tab.error) == "1 处需要核对（错误 1 处、提示 0 处）。"
    text = _texts(tab.markdown)
    assert "##### :red[:material/error: 错误（1 处）]" in text
    assert ":red-badge[:material/error: 错误] **第3页** · 2024年支出总表" in text
    assert ":gray[应为] **10.00**　·　:gray[实为] **12.00**　·　:gray[差额] :red[**+2.00**]" in text
    assert not any(e.label.startswith("万元取整尾差") for e in tab.expander)


def test_audit_of_a_consistent_document(app: AppTest, monkeypatch: pytest.MonkeyPatch, fresh_findings) -> None:
    monkeypatch.setattr(Service, "audit", lambda self, doc=None: [])
    app.run()
    tab = _audit_tab(app)
    assert _texts(tab.success).startswith("未发现不一致之处")
    assert tab.get("download_button")[0].proto.disabled


def test_findings_summary_and_export() -> None:
    d = Document("d", "d.pdf", "甲市财政局", 2024, "预算", "单位", 10)
    found = [_finding("rounding", "…相差-0.01万元（舍入误差）", pages=[8, 9], difference=Decimal("-0.01")),
             _finding("warning", "说明称公开项目绩效目标7个，但所附项目绩效目标表只有6个", pages=[24, 25, 26, 31],
                      expected=Decimal(6), actual=Decimal(7), difference=Decimal(1))]
    assert findings.summary_line(found) == "1 处需要核对（错误 0 处、提示 1 处），另有 1 处万元取整尾差（一般无需处理）。"
    assert findings.summary_line(found[:1]) == "没有需要核对的问题，另有 1 处万元取整尾差（一般无需处理）。"
    assert findings.summary_line([]).startswith("未发现不一致之处")
    assert findings.rounding_word([_finding("rounding", "相差1元（舍入误差）")]) == "取整尾差"
    assert [f.severity for f in findings.grouped(found)["warning"]] == ["warning"]
    assert findings.pages_label([24, 25, 26, 31]) == "第24-26、31页" and findings.pages_label([20, 27]) == "第20、27页"
    assert findings.fmt_value(Decimal("1024.87")) == "1,024.87" and findings.fmt_value(Decimal(1), signed=True) == "+1"
    data = facts.csv_bytes(findings.findings_frame([(d, found)])).decode("utf-8-sig").splitlines()
    assert data[0] == "单位名称,年度,文件,类别,规则,页码,表格,行,列,应为,实为,差额,说明,复核,复核意见"
    assert data[1] == "甲市财政局,2024,单位预算,取整尾差,code_sum,8、9,2024年支出总表,201 一般公共服务支出,合计,10.00,12.00,-0.01,…相差-0.01万元（舍入误差）,,"
    assert data[2].startswith("甲市财政局,2024,单位预算,提示,code_sum,24、25、26、31,") and ",6,7,1," in data[2]


def test_finding_cell_is_looked_up_on_the_findings_pages() -> None:
    f = _finding("rounding", "…", pages=[6, 7], table="收支总表", row="本年支出合计", column="支出 / 合计")
    cell = _fact("收支总表", "收支总表", "本年支出合计", "支出 / 合计", "1024.87")  # printed on page 3
    assert findings.finding_cell(f, [cell]) is None
    on_seven = dataclasses.replace(cell, page=7)
    assert findings.finding_cell(f, [cell, on_seven]) == on_seven
    coded = _finding("rounding", "…", pages=[3], table="表", row="210 卫生健康支出", column="合计")
    assert findings.finding_cell(coded, [_fact("x", "表", "卫生健康支出", "合计", "18.33", code="210")]) is not None


# ---------------------------------------------------------------- pure helpers


def _fact(kind: str, title: str, label: str, column: str, value: str, unit: str = "万元", code: str | None = None,
          doc: str = "d") -> Fact:
    return Fact(f"{doc}{kind}{label}{column}", doc, kind, title, 3, (0, 0, 1, 1), code, label, (label,), column,
                Decimal(value), unit, value)


def _year(doc: str, year: int, scale: str, unit: str) -> tuple[Document, list[Fact]]:
    d = Document(doc, f"{year}.pdf", "甲市财政局", year, "预算", "单位", 20)
    t1, t2, t3 = f"{year}年支出总表", f"{year}年基本支出表", f"{year}年三公经费表"
    rows = [
        _fact("支出总表", t1, "合计", "本年 / 合计", f"{3 * int(scale)}", unit, "合计", doc),
        _fact("支出总表", t1, "合计", "本年 / 基本支出", f"{2 * int(scale)}", unit, "合计", doc),
        _fact("支出总表", t1, "合计", "本年 / 项目支出", scale, unit, "合计", doc),
        _fact("支出总表", t1, "一般公共服务支出", "本年 / 合计", f"{2 * int(scale)}", unit, "201", doc),
        _fact("支出总表", t1, "一般公共服务支出", "本年 / 基本支出", scale, unit, "201", doc),
        _fact("支出总表", t1, "人大事务", "本年 / 合计", scale, unit, "20101", doc),
        _fact("支出总表", t1, "住房保障支出", "本年 / 合计", scale, unit, "221", doc),
        _fact("基本支出经济分类表", t2, "合 计", "人员经费", scale, unit, None, doc),
        _fact("基本支出经济分类表", t2, "合 计", "公用经费", scale, unit, None, doc),
        _fact("三公经费表", t3, "公务接待费", "三公经费预算数", "1.00", "万元", None, doc),
        _fact("三公经费表", t3, "公务用车购置及运行费", "三公经费预算数", "9.00", "万元", None, doc),
        _fact("三公经费表", t3, "（1）公务用车购置费", "三公经费预算数", "0", "万元", None, doc),
        _fact("三公经费表", t3, "②公务用车运行维护费", "三公经费预算数", "9.00", "万元", None, doc),
        _fact("三公经费表", t3, "机关运行经费", "三公经费预算数", "50", "万元", None, doc),
    ]
    return d, rows


def test_charts_compare_years_of_one_unit_in_wan_yuan() -> None:
    drawn = charts.unit_charts([_year("y25", 2025, "20000", "元"), _year("y24", 2024, "3", "万元")])
    by_key = {c.key: [(b.series, b.category, b.value) for b in c.bars] for c in drawn}
    assert by_key["function"] == [("2024年", "201 一般公共服务支出", Decimal(6)), ("2024年", "221 住房保障支出", Decimal(3)),
                                  ("2025年", "201 一般公共服务支出", Decimal(4)), ("2025年", "221 住房保障支出", Decimal(2))]
    assert by_key["basic"] == [("2024年", "基本支出", 6), ("2024年", "项目支出", 3),
                               ("2025年", "基本支出", 4), ("2025年", "项目支出", 2)]
    assert by_key["personnel"][:2] == [("2024年", "人员经费", 3), ("2024年", "公用经费", 3)]
    # the two car items replace their sum; 机关运行经费 is not a 三公 item
    assert [c for s, c, _ in by_key["sangong"] if s == "2024年"] == ["公务接待费", "公务用车购置费", "公务用车运行维护费"]
    frame = charts.chart_frame(drawn[0])
    assert list(frame.columns) == ["项目", "年度", "金额（万元）", "页码", "表格"]
    assert frame["金额（万元）"].dtype == float


def test_charts_say_what_is_missing() -> None:
    d = Document("x", "x.pdf", "甲市财政局", 2024, "预算", "单位", 1)
    assert all(not c.bars and c.missing for c in charts.unit_charts([(d, [])]))


def test_facts_export_keeps_exact_digits_and_opens_in_excel() -> None:
    d = Document("d", "d.pdf", "甲市财政局", 2024, "预算", "单位", 1)
    frame = facts.facts_frame([_fact("三公经费表", "三公表", "公务接待费", "合计", "1.00", doc="d")], [d])
    data = facts.csv_bytes(frame)
    assert data.startswith("\ufeff".encode())  # the BOM Excel needs for Chinese text
    assert "甲市财政局,2024,单位预算,三公经费表,三公表,3,,公务接待费,公务接待费,合计,1.00,万元" in data.decode("utf-8-sig")
    if not facts.HAS_EXCEL:
        assert facts.excel_bytes(frame) is None
        return
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(facts.excel_bytes(frame))).active
    assert sheet["K1"].value == "数值" and sheet["K2"].value == 1.0


def test_highlight_is_drawn_on_the_cited_cell() -> None:
    page = Image.new("RGB", (int(595 * 2), int(842 * 2)), "white")  # a 595×842pt page at 144 dpi
    crop = sources.highlight_crop(page, (100, 300, 150, 315), resolution=144)
    assert crop.size == (1190, round((315 + 60) * 2) - round((300 - 120) * 2))
    # the cell is x 100–150pt → 200–300px; y 300–315pt → 240–270px below the crop's top (180pt)
    assert crop.getpixel((250, 255))[2] < 200  # filled yellow
    assert crop.getpixel((200 - 1, 255))[0] > 200 and crop.getpixel((200 - 1, 255))[1] < 80  # red outline
    assert crop.getpixel((10, 10)) == (255, 255, 255)  # elsewhere untouched
    assert sources.region_around((100, 10, 150, 30), 595, 842) == (0, 0, 595, 90)


def test_figure_citation_is_the_one_with_the_answer_value() -> None:
    def cite(row: str, value: str) -> Citation:
        return Citation("d", "甲市财政局", 2024, 3, "表", row, "合计", value)

    answer = Answer("q", "verified", "…", Decimal("1.00"), "万元", citations=(cite("合计", "10.00"), cite("接待", "1.00")))
    assert sources.figure_citation(answer).row == "接待"
    assert sources.citation_rows([cite("接待", "1.00")])[0]["页码"] == "第3页"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. 第一项\n2. 第二项", "1\\. 第一项  \n2\\. 第二项"),
        ("成本$5，增长*3*", "成本\\$5，增长\\*3\\*"),
        (":green[假]", "\\:green\\[假\\]"),
    ],
)
def test_answer_text_is_shown_as_written(text: str, expected: str) -> None:
    assert labels.md_escape(text) == expected


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        ("not_pdf", "not a PDF (no %PDF header)", "不是PDF文件，请上传预算/决算公开的PDF"),
        ("encrypted", "encrypted PDF: remove the password and ingest again", "PDF有密码保护，请去掉密码后再上传"),
        ("scanned", "scanned pages without a text layer (pages 1-3): OCR is needed first",
         "扫描件，没有可读取的文字（第1-3页），需要先做文字识别（OCR）"),
        ("odd", "something new", "无法加载（something new）"),
    ],
)
def test_ingest_reasons_in_chinese(code: str, reason: str, expected: str) -> None:
    assert labels.reason_zh(code, reason) == expected


def test_unsupported_figures_are_marked_in_the_text() -> None:
    assert labels.flagged_markdown("9.00万元，另有1.00万元", ["9.00万元"]) == ":orange-background[9.00万元]，另有1.00万元"
    assert labels.flagged_markdown("增长*3%*", ["3%"]) == "增长\\*:orange-background[3%]\\*"


def test_amounts_keep_the_documents_digits() -> None:
    assert labels.fmt_amount(Decimal("82096797.42"), "元") == "82,096,797.42 元"
    assert labels.fmt_amount(Decimal("1.00"), "万元") == "1.00 万元"
    assert labels.fmt_amount(Decimal("54.67"), "%") == "54.67%"


# ---------------------------------------------------------------- exports


def _exchange() -> export.Exchange:
    cite = Citation("d", "忻州市商务局", 2024, 18, "2024年财政拨款安排“三公”经费支出预算表", "公务接待费", "合计", "1.00",
                    unit="万元")
    answer = Answer("公务接待费是多少？", "verified", "忻州市商务局2024年公务接待费预算为1.00万元。", Decimal("1.00"),
                    "万元", (), (cite,))
    return export.Exchange("公务接待费是多少？", answer)


def test_an_answer_exports_as_markdown_with_its_sources() -> None:
    text = export.answer_markdown(_exchange())
    assert "**状态：**已核验" in text and "1.00万元" in text
    assert "| 忻州市商务局 | 2024 |" in text and "公务接待费" in text


def test_the_conversation_exports_as_excel_and_printable_html() -> None:
    import openpyxl

    items = [_exchange()]
    sheet = openpyxl.load_workbook(io.BytesIO(export.conversation_excel(items))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == export.COLUMNS and rows[1][:5] == ("公务接待费是多少？", items[0].answer.answer, "已核验", "1.00", "万元")
    assert "第18页" in rows[1][5] or "18" in rows[1][5]
    page = export.conversation_html(items)
    assert page.startswith("<!doctype html>") and "公务接待费是多少？" in page and "已核验" in page and "<table>" in page


def test_the_chat_offers_the_exports_once_something_was_asked(app: AppTest) -> None:
    _ask(app, "公务接待费是多少？")
    labels = [b.proto.label for b in app.get("download_button")]
    assert any("导出本条" in x for x in labels) and any("导出对话 Excel" in x for x in labels), labels
    assert export.exchanges(app.session_state["messages"])[0].question == "公务接待费是多少？"


# ---------------------------------------------------------------- the session's own model


def _settings_form(at: AppTest, mode: str, name: str = "", base_url: str = "") -> AppTest:
    at.radio(key="model_mode").set_value(mode)
    at.text_input(key="model_name").input(name)
    at.text_input(key="model_base_url").input(base_url)
    return at


def _submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_an_endpoint_that_does_not_answer_fails_its_connection_test(app: AppTest) -> None:
    _settings_form(app, "OpenAI 兼容接口", "qwen2.5-7b-instruct", "http://127.0.0.1:9/v1")  # port 9: nothing listens
    _submit(app, "测试连接")
    assert any("连接失败" in e.value for e in app.sidebar.error), [e.value for e in app.sidebar.error]


def test_a_session_model_is_applied_for_this_session_and_the_figures_are_still_checked(app: AppTest) -> None:
    _settings_form(app, "OpenAI 兼容接口", "qwen2.5-7b-instruct", "http://127.0.0.1:9/v1")
    _submit(app, "应用")
    assert any("openai:qwen2.5-7b-instruct" in c.value for c in app.sidebar.caption)
    _ask(app, "公务接待费是多少？")
    answer = _last_answer(app)
    assert "已核验" in _texts(answer.markdown) and "1.00万元" in _texts(answer.markdown)  # unreachable: offline answer
    _settings_form(app, "服务器的设置")
    _submit(app, "应用")
    assert any("离线模式" in c.value for c in app.sidebar.caption)


def test_the_service_answers_a_session_with_its_own_model(home: Path) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    service = Service(load_settings(home=home))
    try:
        liar = FakeListChatModel(responses=["公务接待费为9.00万元[1]。"] * 4)
        service.use_model("session-a", liar)
        own = service.ask("公务接待费是多少？", model="session-a")
        shared = service.ask("公务接待费是多少？")
        assert own.mode != shared.mode and shared.mode == "offline"  # another session is untouched
        assert own.value != Decimal("9.00") or own.status != "verified"  # the lie is never verified
    finally:
        service.close()


def test_a_whole_page_shows_the_cited_cell_boxed(home: Path) -> None:
    service = Service(load_settings(home=home))
    try:
        (doc,) = service.documents()
        cell = next(f for f in service.facts(doc.doc_id) if f.table_kind == "三公经费表" and f.bbox)
        plain = service.page_image(doc.doc_id, cell.page, None, None, 50)
        boxed = service.page_image(doc.doc_id, cell.page, None, cell.bbox, 50)
        assert plain.size == boxed.size and plain.tobytes() != boxed.tobytes()  # the box is drawn, the page whole
    finally:
        service.close()


def test_an_answer_from_a_removed_document_loses_its_badge(app: AppTest) -> None:
    cite = Citation("removed-doc", "甲市财政局", 2024, 3, "表", "公务接待费", "合计", "1.00", unit="万元")
    old = Answer("公务接待费是多少", "verified", "甲市财政局2024年公务接待费预算为1.00万元。", Decimal("1.00"), "万元", (), (cite,))
    app.session_state["messages"] = [{"role": "user", "text": "公务接待费是多少", "scope": ""},
                                     {"role": "assistant", "results": [(scope.Target(None, "全部"), old)], "note": ""}]
    app.run()
    answer = _last_answer(app)
    assert "已从已加载的文件中删除" in _texts(answer.warning) and "已核验" not in _texts(answer.markdown)
    assert not answer.metric  # no figure card for a figure that can no longer be checked


def test_a_connection_test_that_hangs_is_told_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui import model_settings

    class Hangs:
        def invoke(self, _prompt):
            threading.Event().wait(30)

    monkeypatch.setattr(model_settings, "_model", lambda *_: Hangs())
    monkeypatch.setattr(model_settings, "TEST_TIMEOUT", 0)
    started = time.monotonic()
    ok, message = model_settings.test_connection("m", "http://127.0.0.1:9/v1", "")
    assert not ok and message.startswith("连接失败") and time.monotonic() - started < 5
