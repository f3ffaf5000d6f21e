"""Hostile PDFs are read in a child process under limits: each stops with its one-line error, the batch goes on."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from ingest.sandbox import Limits, parse_sandboxed
from store.errors import BadInputError
from tests.conftest import XINZHOU

SMALL = Limits(memory_mb=768, cpu_seconds=60, wall_seconds=60, max_pages=200)


def _pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()


def _page(content: bytes, extra: bytes = b"", resources: bytes = b"") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + resources + b" /Contents 4 0 R >>",
        b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream",
    ]


@pytest.fixture(scope="module")
def width_bomb(tmp_path_factory) -> Path:
    """3 KB: a CID font whose width array /W [1 200000000 500] asks pdfminer for gigabytes."""
    objects = _page(b"BT /F1 12 Tf 72 720 Td <0001> Tj ET", resources=b"/Resources << /Font << /F1 5 0 R >> >>") + [
        b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity)"
        b" /Supplement 0 >> /W [1 200000000 500] >>",
    ]
    path = tmp_path_factory.mktemp("hostile") / "width_bomb.pdf"
    path.write_bytes(_pdf(objects))
    return path


@pytest.fixture(scope="module")
def deflate_bomb(tmp_path_factory) -> Path:
    """About 1 MB that inflates to 1.5 GB of page content."""
    packer = zlib.compressobj(6)
    block = b"0 0 m " * (16 * 1024 * 1024 // 6)
    data = b"".join(packer.compress(block) for _ in range(96)) + packer.flush()
    path = tmp_path_factory.mktemp("hostile") / "deflate_bomb.pdf"
    path.write_bytes(_pdf(_page(data, b"/Filter /FlateDecode ")))
    return path


def test_a_width_array_bomb_is_stopped_by_the_memory_limit(width_bomb):
    with pytest.raises(BadInputError, match="needs more than 768 MB") as info:
        parse_sandboxed(width_bomb, limits=SMALL)
    assert info.value.code == "too_big" and str(width_bomb) in str(info.value)


def test_a_deflate_bomb_is_stopped(deflate_bomb):
    with pytest.raises(BadInputError, match="768 MB|took longer|CPU") as info:
        parse_sandboxed(deflate_bomb, limits=SMALL)
    assert str(deflate_bomb) in str(info.value)


def test_a_file_that_takes_too_long_is_stopped_by_the_clock():
    with pytest.raises(BadInputError, match="took longer than 0.2 s"):
        parse_sandboxed(XINZHOU, limits=Limits(wall_seconds=0.2))


def test_too_many_pages_is_a_limit_that_names_its_setting():
    with pytest.raises(BadInputError, match="34 pages; the limit is 10 .BUDGETQA_PARSE_MAX_PAGES"):
        parse_sandboxed(XINZHOU, limits=Limits(max_pages=10))


def test_malformed_content_is_a_damaged_file_not_a_traceback(tmp_path):
    path = tmp_path / "malformed.pdf"
    path.write_bytes(_pdf(_page(b"BT /F9 12 Tf (abc) Tj ET q 1 0 0 1 cm Do ] ] >> BI ID \xff\xfe EI")))
    try:
        parse_sandboxed(path, limits=SMALL)
    except BadInputError as exc:
        assert str(path) in str(exc)  # one line naming the file, whatever pdfminer raised


def test_a_good_file_reads_the_same_in_the_sandbox(xinzhou):
    progress: list[tuple[int, int]] = []
    parsed = parse_sandboxed(XINZHOU, lambda d, t: progress.append((d, t)), limits=SMALL)
    assert parsed.document.unit_name == "忻州市商务局"
    assert [f.fact_id for f in parsed.facts] == [f.fact_id for f in xinzhou.facts]
    assert progress[-1] == (34, 34)


def test_the_batch_goes_on_after_a_hostile_file(width_bomb, tmp_path):
    from app.service import Service
    from app.settings import Settings
    from store.embedders import NgramEmbedder
    from store.vectors import InMemoryIndex

    svc = Service(Settings(home=tmp_path, parse_memory_mb=768), vectors=InMemoryIndex(NgramEmbedder()))
    reports = list(svc.ingest([width_bomb, XINZHOU], workers=2))
    assert sorted(r.status for r in reports) == ["failed", "ingested"]
    assert [d.unit_name for d in svc.documents()] == ["忻州市商务局"]
