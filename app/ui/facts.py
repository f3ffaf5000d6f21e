"""The fact table for people: Chinese columns, filters, CSV and Excel downloads."""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence

import pandas as pd

from app.ui.labels import FLAGS
from store.models import PROSE, Document, Fact

# Excel needs openpyxl; without it the page offers CSV only (which Excel opens too, thanks to the BOM).
HAS_EXCEL = importlib.util.find_spec("openpyxl") is not None

SHOWN = ["表格", "页码", "编码", "行", "列", "数值", "计量单位", "备注"]


def kind_label(kind: str) -> str:
    """A table kind as shown in the filter; figures read from sentences are 正文中的数字."""
    return "正文中的数字" if kind == PROSE else kind


def table_kinds(facts: Sequence[Fact]) -> list[str]:
    """The table kinds present, in the order they first appear in the document."""
    return list(dict.fromkeys(f.table_kind for f in facts))


def filter_facts(facts: Sequence[Fact], kinds: Sequence[str] = (), text: str = "") -> list[Fact]:
    """Facts of the chosen table kinds whose row, code, column or table title contains the text."""
    text = text.strip()
    return [
        f for f in facts
        if (not kinds or f.table_kind in kinds)
        and (not text or any(text in (s or "") for s in (f.row_label, f.row_code, f.column, f.table_title, " ".join(f.row_path))))
    ]


def facts_frame(facts: Sequence[Fact], documents: Sequence[Document]) -> pd.DataFrame:
    """One row per figure with its provenance; values stay exact text (Excel gets numbers on export)."""
    docs = {d.doc_id: d for d in documents}
    rows = []
    for f in facts:
        d = docs.get(f.doc_id)
        rows.append({
            "单位名称": d.unit_name if d else "",
            "年度": d.year if d and d.year else None,
            "文件": f"{d.scope}{d.kind}" if d else "",
            "表格类型": kind_label(f.table_kind),
            "表格": f.table_title,
            "页码": f.page,
            "编码": f.row_code or "",
            "行": f.row_label,
            "层级": " > ".join(f.row_path),
            "列": f.column,
            "数值": format(f.value, "f"),
            "计量单位": f.unit,
            "备注": "、".join(FLAGS.get(x, x) for x in f.flags),
            "原文": f.raw_text,
            "doc_id": f.doc_id,
            "fact_id": f.fact_id,
        })
    return pd.DataFrame(rows, columns=["单位名称", "年度", "文件", "表格类型", "表格", "页码", "编码", "行", "层级", "列",
                                       "数值", "计量单位", "备注", "原文", "doc_id", "fact_id"])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a UTF-8 BOM, so Excel opens the Chinese text correctly."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def excel_bytes(frame: pd.DataFrame) -> bytes | None:
    """An .xlsx of the frame with 数值 as numbers (None when openpyxl is not installed)."""
    if not HAS_EXCEL:
        return None
    out = frame.copy()
    # Excel sums numbers, not text: the exact digits become a number at this edge only.
    out["数值"] = pd.to_numeric(out["数值"])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name="数字")
        sheet = writer.sheets["数字"]
        for column, width in zip("ABCDEFGHIJKLMNOP", (22, 6, 8, 16, 40, 6, 10, 24, 30, 28, 14, 8, 14, 40, 20, 18),
                                 strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A2"
    return buffer.getvalue()
