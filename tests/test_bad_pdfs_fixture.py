"""Self-check of tests/fixtures/bad_pdfs.py: every generated file is the bad input it claims to be."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pdfplumber
import pytest
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

_SPEC = importlib.util.spec_from_file_location("bad_pdfs", Path(__file__).parent / "fixtures" / "bad_pdfs.py")
assert _SPEC and _SPEC.loader
bad_pdfs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bad_pdfs)  # loaded by path: tests/ has no __init__.py and "fixtures" is a PyPI name

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    return bad_pdfs.make_all(tmp_path_factory.mktemp("bad_pdfs"))


def test_every_case_is_written(made: dict[str, list[Path]]) -> None:
    assert set(made) == set(bad_pdfs.CASES)
    assert all(path.is_file() for paths in made.values() for path in paths)
    assert len(made["not_a_pdf"]) == 2


def test_generation_is_deterministic(made: dict[str, list[Path]], tmp_path: Path) -> None:
    again = bad_pdfs.make_all(tmp_path)
    for name, paths in made.items():
        assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again[name]], name


@pytest.mark.parametrize("case", ["not_a_pdf", "truncated", "empty_file"])
def test_unreadable_files_fail_to_open(made: dict[str, list[Path]], case: str) -> None:
    for path in made[case]:
        with pytest.raises(PdfminerException):
            with pdfplumber.open(path) as pdf:
                len(pdf.pages)


def test_not_a_pdf_is_text_and_png(made: dict[str, list[Path]]) -> None:
    text, png = made["not_a_pdf"]
    assert text.suffix == png.suffix == ".pdf"
    assert "不是PDF" in text.read_text(encoding="utf-8")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_truncated_is_the_head_of_a_real_pdf(made: dict[str, list[Path]]) -> None:
    data = made["truncated"][0].read_bytes()
    source = bad_pdfs.SOURCE_PDF.read_bytes()
    assert data == source[: int(len(source) * bad_pdfs.TRUNCATE_FRACTION)]
    assert data.startswith(b"%PDF-") and b"%%EOF" not in data


def test_empty_file_has_no_bytes(made: dict[str, list[Path]]) -> None:
    assert made["empty_file"][0].stat().st_size == 0


def test_encrypted_needs_the_user_password(made: dict[str, list[Path]]) -> None:
    path = made["encrypted"][0]
    with pytest.raises(PdfminerException) as caught:
        pdfplumber.open(path)
    assert isinstance(caught.value.args[0], PDFPasswordIncorrect)
    with pdfplumber.open(path, password=bad_pdfs.USER_PASSWORD) as pdf:
        assert len(pdf.pages) == len(bad_pdfs.ENCRYPTED_PAGES)  # no text extraction: pdfminer's RC4 is slow


def test_zero_pages_opens_with_no_pages(made: dict[str, list[Path]]) -> None:
    with pdfplumber.open(made["zero_pages"][0]) as pdf:
        assert len(pdf.pages) == 0


def test_scanned_pages_are_images_without_text(made: dict[str, list[Path]]) -> None:
    with pdfplumber.open(made["scanned"][0]) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            assert page.chars == []
            assert len(page.images) == 1


def test_no_tables_has_chinese_text_and_no_table(made: dict[str, list[Path]]) -> None:
    with pdfplumber.open(made["no_tables"][0]) as pdf:
        assert len(pdf.pages) == 2
        for page in pdf.pages:
            assert CJK.search(page.extract_text() or "")
            assert page.find_tables() == []
            assert page.images == []


def test_mixed_scanned_ends_with_one_image_only_page(made: dict[str, list[Path]]) -> None:
    with pdfplumber.open(made["mixed_scanned"][0]) as pdf:
        assert len(pdf.pages) == bad_pdfs.MIXED_IMAGE_PAGE_NUMBER == 3
        *text_pages, image_page = pdf.pages
        assert all(CJK.search(page.extract_text() or "") for page in text_pages)
        assert image_page.chars == [] and len(image_page.images) == 1
