"""Uploaded files → the service's ingest, one outcome line per file; a bad file never stops the others."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

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


def _safe_name(name: str, index: int) -> str:
    # Browsers may send a path; only the last part is a file name.
    base = Path(name.replace("\\", "/")).name.strip()
    return base or f"文件{index + 1}.pdf"


def ingest_uploads(service, files: Iterable[tuple[str, bytes]], progress: PageProgress | None = None) -> list[UploadOutcome]:
    """Save (name, bytes) pairs to a temporary folder and ingest them one by one."""
    outcomes: list[UploadOutcome] = []
    with tempfile.TemporaryDirectory(prefix="budgetqa-upload-") as tmp:
        for index, (name, data) in enumerate(files):
            name = _safe_name(name, index)
            path = Path(tmp) / str(index) / name  # one folder per file: two uploads may share a name
            path.parent.mkdir()
            path.write_bytes(data)
            outcomes.append(_ingest_one(service, index, name, path, progress))
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
        return UploadOutcome(name, "skipped", f"{name}：已经加载过（内容相同），未重复加载 — {doc_label(doc)}", doc)
    return UploadOutcome(name, "ingested", f"{name}：已加载 — {doc_label(doc)}，{doc_summary(doc)}", doc, warnings)
