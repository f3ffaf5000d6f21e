"""Uploaded files → the service's ingest, one outcome line per file; a bad file never stops the others."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.ui.labels import doc_label, doc_summary, reason_zh, warning_zh
from store.models import Document

# (index of the file, its name, pages read, pages in all)
PageProgress = Callable[[int, str, int, int], None]


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file, in one Chinese line."""

    name: str
    status: str  # ingested | skipped | failed
    message: str
    document: Document | None = None
    warnings: tuple[str, ...] = ()


MAX_NAME_BYTES = 200  # file systems allow 255 bytes a name: 86 Chinese characters already exceed it
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BLOCK = 1 << 20


def safe_name(name: str, index: int) -> str:
    """The upload's own file name, without any path or control character, short enough for any file system."""
    base = _CONTROL.sub("", Path(name.replace("\\", "/")).name).strip()
    stem, suffix = (base[:-4], base[-4:]) if base.lower().endswith(".pdf") else (base, "")
    while len((stem + suffix).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem + suffix) if stem.strip(". ") else f"文件{index + 1}.pdf"


def _save(data: bytes | BinaryIO, path: Path, limit: int) -> int:
    """Write an upload to disk block by block; stops (and returns the size so far) beyond the limit."""
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    written = 0
    with path.open("wb") as out:
        while block := source.read(BLOCK):
            written += len(block)
            if written > limit:
                break
            out.write(block)
    return written


def ingest_uploads(service, files: Iterable[tuple[str, bytes | BinaryIO]], progress: PageProgress | None = None,
                   max_bytes: int | None = None) -> list[UploadOutcome]:
    """Save uploads (name and bytes or a file object) to a temporary folder and ingest them one by one."""
    limit = max_bytes if max_bytes is not None else service.settings.max_upload_mb << 20
    outcomes: list[UploadOutcome] = []
    with tempfile.TemporaryDirectory(prefix="budgetqa-upload-") as tmp:
        for index, (name, data) in enumerate(files):
            name = safe_name(name, index)
            path = Path(tmp) / str(index) / name  # one folder per file: two uploads may share a name
            path.parent.mkdir()
            if _save(data, path, limit) > limit:
                reason = f"超过{limit >> 20} MB" if limit >= 1 << 20 else f"超过{limit}字节"
                outcomes.append(UploadOutcome(name, "failed", f"{name}：{reason_zh('too_large', reason)}"))
            else:
                outcomes.append(_ingest_one(service, index, name, path, progress))
            path.unlink(missing_ok=True)  # the archive keeps its own copy; a temporary one is not kept twice
    return outcomes


def _ingest_one(service, index: int, name: str, path: Path, progress: PageProgress | None) -> UploadOutcome:
    def on_page(_path: Path, done: int, total: int) -> None:
        if progress:
            progress(index, name, done, total)

    try:
        reports = list(service.ingest([path], workers=1, progress=on_page))
    except Exception as exc:  # noqa: BLE001 — one file's unexpected failure must not stop the batch
        return UploadOutcome(name, "failed", f"{name}：处理时出错（{type(exc).__name__}: {exc}）")
    if not reports:
        return UploadOutcome(name, "failed", f"{name}：不是PDF文件")
    report = reports[0]
    warnings = tuple(warning_zh(w) for w in report.warnings)
    if report.status == "failed" or report.document is None:
        return UploadOutcome(name, "failed", f"{name}：{reason_zh(report.code, report.error)}")
    doc = report.document
    if report.status == "skipped":
        copy = warning_zh(report.error) if "same content as" in report.error else "已经加载过（内容相同）"
        return UploadOutcome(name, "skipped", f"{name}：{copy}，未重复加载 — {doc_label(doc)}", doc)
    return UploadOutcome(name, "ingested", f"{name}：已加载 — {doc_label(doc)}，{doc_summary(doc)}", doc, warnings)
