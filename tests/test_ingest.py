"""Ingest as a whole: idempotency, atomicity across the three stores, bad input, parallel workers."""

from __future__ import annotations

import importlib.util
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main
from app.service import Service
from app.settings import Settings
from ingest import pipeline
from tests.conftest import XINZHOU

_SPEC = importlib.util.spec_from_file_location("bad_pdfs", Path(__file__).parent / "fixtures" / "bad_pdfs.py")
bad_pdfs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bad_pdfs)


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> dict[str, list[Path]]:
    return bad_pdfs.make_all(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory) -> Path:
    """A data folder with the Xinzhou sample ingested once (real SQLite + real Chroma)."""
    home = tmp_path_factory.mktemp("home")
    assert main(["ingest", str(XINZHOU), "--home", str(home)]) == 0
    return home


def snapshot(home: Path) -> tuple:
    service = Service(Settings(home=home))
    try:
        docs = [(d.doc_id, d.fact_count) for d in service.documents()]
        return docs, len(service.facts_store.facts()), len(service.facts_store.chunks()), service.vectors.count()
    finally:
        service.close()


def copy_home(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_ingest_fills_all_three_stores(loaded_home):
    docs, facts, chunks, vectors = snapshot(loaded_home)
    assert len(docs) == 1 and facts == docs[0][1] > 325 and chunks == vectors > 100


def test_same_file_twice_changes_nothing(loaded_home, tmp_path, capsys):
    home = copy_home(loaded_home, tmp_path / "h")
    before = snapshot(home)
    assert main(["ingest", str(XINZHOU), "--home", str(home)]) == 0
    assert "already loaded" in capsys.readouterr().err
    assert snapshot(home) == before


def test_force_redoes_it_to_the_same_state(loaded_home, tmp_path):
    home = copy_home(loaded_home, tmp_path / "h")
    before = snapshot(home)
    assert main(["ingest", str(XINZHOU), "--home", str(home), "--force"]) == 0
    assert snapshot(home) == before


@pytest.mark.parametrize("stage", ["vectors", "facts"])
def test_failure_half_way_leaves_the_stores_as_before(loaded_home, tmp_path, monkeypatch, stage):
    home = copy_home(loaded_home, tmp_path / "h")
    before = snapshot(home)
    service = Service(Settings(home=home))
    target = service.vectors if stage == "vectors" else service.facts_store
    method = "add" if stage == "vectors" else "add_document"
    original = getattr(target, method)

    def explode(*args, **kwargs):
        original(*args, **kwargs) if stage == "vectors" else None  # the vectors were written…
        raise RuntimeError("disk full")  # …then the process fails

    monkeypatch.setattr(target, method, explode)
    with pytest.raises(RuntimeError):
        list(service.ingest([XINZHOU], force=True))
    service.close()
    assert snapshot(home) == before


def test_new_document_failing_leaves_no_trace(loaded_home, tmp_path, monkeypatch, bad):
    home = copy_home(loaded_home, tmp_path / "h")
    before = snapshot(home)
    service = Service(Settings(home=home))
    monkeypatch.setattr(service.facts_store, "add_document", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        list(service.ingest(bad["mixed_scanned"]))
    service.close()
    assert snapshot(home) == before


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not_a_pdf", "not a PDF"),
        ("encrypted", "encrypted PDF"),
        ("truncated", "damaged or truncated PDF"),
        ("zero_pages", "zero pages"),
        ("scanned", "OCR is needed"),
        ("empty_file", "empty file"),
    ],
)
def test_bad_input_gets_one_line_naming_file_and_reason(bad, loaded_home, tmp_path, capsys, case, reason):
    home = copy_home(loaded_home, tmp_path / "h")
    before = snapshot(home)
    for path in bad[case]:
        assert main(["ingest", str(path), "--home", str(home)]) == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and str(path) in lines[0] and reason in lines[0], lines
    assert snapshot(home) == before


def test_scanned_pages_are_named(bad, tmp_path, capsys):
    assert main(["ingest", str(bad["scanned"][0]), "--home", str(tmp_path)]) == 2
    assert "pages 1-2" in capsys.readouterr().err


def test_text_without_tables_is_ingested_with_a_warning(bad, tmp_path, capsys):
    assert main(["ingest", str(bad["no_tables"][0]), "--home", str(tmp_path)]) == 0
    assert "no recognisable budget table" in capsys.readouterr().err
    docs, facts, chunks, vectors = snapshot(tmp_path)
    assert len(docs) == 1 and chunks == vectors > 0


def test_partly_scanned_file_is_ingested_and_the_page_named(bad, tmp_path, capsys):
    assert main(["ingest", str(bad["mixed_scanned"][0]), "--home", str(tmp_path)]) == 0
    assert f"page {bad_pdfs.MIXED_IMAGE_PAGE_NUMBER} is a scanned image" in capsys.readouterr().err


def test_folder_goes_on_past_bad_files_and_exits_non_zero(bad, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(bad["zero_pages"][0], folder / "a_bad.pdf")
    shutil.copy(bad["no_tables"][0], folder / "b_good.pdf")
    assert main(["ingest", str(folder), "--home", str(tmp_path / "h")]) == 2
    captured = capsys.readouterr()
    assert "a_bad.pdf: PDF has zero pages" in captured.err and "ingested b_good.pdf" in captured.out


def test_parallel_workers_give_the_same_store(bad, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("no_tables", "mixed_scanned", "zero_pages"):
        shutil.copy(bad[name][0], folder / f"{name}.pdf")
    assert main(["ingest", str(folder), "--home", str(tmp_path / "one")]) == 2
    assert main(["ingest", str(folder), "--home", str(tmp_path / "two"), "--workers", "2"]) == 2
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_parallel_workers_start_the_largest_files_first(tmp_path):
    # A long file started last would keep one worker busy while the others sit idle.
    sizes = {"small.pdf": 10, "large.pdf": 3000, "medium.pdf": 500}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"%PDF-" + b"x" * size)
    started: list[str] = []

    def parse(path, progress, doc_id):
        started.append(path.name)
        raise pipeline.BadInputError(str(path), "not read in this test", "damaged")

    reports = list(pipeline.ingest_many(sorted(tmp_path.iterdir()), None, None, force=True, workers=2, parse=parse))
    assert {r.status for r in reports} == {"failed"} and len(reports) == 3
    assert set(started[:2]) == {"large.pdf", "medium.pdf"} and started[2] == "small.pdf"


def test_metadata_never_comes_from_the_file_name(tmp_path):
    renamed = tmp_path / "上海市2099年决算.pdf"
    shutil.copy(XINZHOU, renamed)
    doc = pipeline.parse_file(renamed).document
    assert (doc.unit_name, doc.year, doc.kind) == ("忻州市商务局", 2024, "预算")


def test_a_table_without_rulings_still_yields_its_rows_and_figures(tmp_path):
    from tests.fixtures.unruled import unruled

    result = pipeline.parse_file(unruled(tmp_path))
    figures = {(f.row_label, f.value) for f in result.facts if f.table_kind == "三公经费表" and "blank" not in f.flags}
    assert {("公务接待费", Decimal("1.00")), ("②公务用车运行维护费", Decimal("9.00")), ("合计", Decimal("10.00"))} <= figures
    assert all(f.unit == "万元" for f in result.facts if f.table_kind == "三公经费表")


def _page(number: int, *texts: str):
    from ingest.pdf import Line, Page

    lines = tuple(Line(t, (0, 0, 1, 1), 10) for t in texts)
    return Page(number, 595, 842, lines, (), sum(map(len, texts)), 0)


def test_garbled_text_layers_are_named_by_page():
    """A re-rendering that drops the fonts' Unicode maps prints 2024年¯政拨款安排<O|=经费 for 财政拨款安排“三公”经费."""
    good = _page(1, "2024年财政拨款安排“三公”经费支出预算表", "单位名称：忻州市商务局 单位：万元")
    bad = _page(2, "2024年¯政拨款安排<O|=经费支出预算表", "单O]Āÿ忻州^商ó局 单Oÿ万元", "|ó接待¾ 1.00", "e|ó用车运行维æ¾")
    assert pipeline._garbled_pages([good, bad]) == [2]
    assert pipeline._garbled_pages([_page(3, "江苏省政协办公厅2019年度部门预算 · 说明")]) == []  # a middle dot is no garbling


def test_the_lines_a_passage_quotes_are_found_on_its_page():
    from ingest.pdf import PdfFile

    with PdfFile(XINZHOU) as pdf:
        page = next(p for p in pdf.pages() if p.number == 4)
        quoted = "".join(line.text for line in page.lines[3:6])  # three lines of the duties, as an answer quotes them
        boxes = pdf.quoted_lines(4, "据文件：" + quoted + "……")
        assert boxes == [line.bbox for line in page.lines[3:6]]
        assert pdf.quoted_lines(4, "这段文字不在这一页上，一个字也对不上") == []


def test_a_note_under_a_table_is_the_table_s_not_the_prose_section_s():
    from ingest.tables import TableBlock
    from ingest.text import Paragraph, table_notes

    table = TableBlock("某某预算表", "其他表", "元", (), (), (), (16,), (0, 0, 1, 1), True)
    paras = [Paragraph("一、编制说明的一段。", 15, (0, 0, 1, 1), ("编制说明",)),
             Paragraph("注:本单位无此项预算，故本表为空表。", 16, (0, 0, 1, 1), ("编制说明",))]
    tables, prose = table_notes([table], paras)
    assert tables[0].notes == ("注:本单位无此项预算，故本表为空表。",) and [p.page for p in prose] == [15]


def test_a_file_read_by_an_older_parser_is_read_again_and_one_read_by_this_one_is_skipped(tmp_path, monkeypatch):
    from store.embedders import NgramEmbedder
    from store.vectors import InMemoryIndex

    service = Service(Settings(home=tmp_path, sandbox=False), vectors=InMemoryIndex(NgramEmbedder()))
    assert [r.status for r in service.ingest([XINZHOU])] == ["ingested"]
    assert [r.status for r in service.ingest([XINZHOU])] == ["skipped"]
    monkeypatch.setattr(pipeline, "PARSER_VERSION", "0-next")  # an upgrade that reads tables differently
    again = list(service.ingest([XINZHOU]))
    assert [r.status for r in again] == ["ingested"] and pipeline.READ_AGAIN in again[0].warnings
    assert pipeline.READ_AGAIN not in service.documents()[0].warnings  # said once, not kept with the document
    assert [r.status for r in service.ingest([XINZHOU])] == ["skipped"]
