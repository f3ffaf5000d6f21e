"""Chinese labels for what the service returns: statuses, documents, amounts, ingest reasons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from store.models import Document

# status → (badge text, colour, icon, what it means for the reader, the same in a few words)
STATUS = {
    "verified": ("已核验", "green", ":material/verified:", "答案中的每个数字都已与文件中的表格或原文逐一核对一致。",
                 "数字已与PDF原表核对一致"),
    "unverified": ("未核验", "orange", ":material/warning:", "答案中有数字未能在文件中核实，请勿直接引用，核对来源后再用。",
                   "有数字未能核实，请看下方提示"),
    "refused": ("无法回答", "gray", ":material/block:", "已加载的文件中没有这个信息，系统不做猜测。",
                "已加载的文件中没有这个信息"),
}


def status_line(status: str) -> str:
    """The badge and its few words as one line of Streamlit markdown."""
    text, color, icon, _, short = STATUS.get(status, STATUS["unverified"])
    return f":{color}-badge[{icon} {text}] :gray[{short}]"

FLAGS = {"blank": "原表空白，按0计", "prose": "摘自正文", "code_misprint": "编码与原表不符"}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#+\-|~$!:])")


def doc_label(doc: Document) -> str:
    """One line naming a document: 忻州市商务局 · 2024年 · 单位预算."""
    year = f"{doc.year}年" if doc.year else "年度不详"
    return f"{doc.unit_name or doc.file_name} · {year} · {doc.scope}{doc.kind}"


def doc_summary(doc: Document) -> str:
    """What a document holds: pages, tables, figures."""
    return f"{doc.pages}页 · {doc.table_count}张表 · {doc.fact_count}个数字"


def fmt_amount(value: Decimal, unit: str | None) -> str:
    """A figure as the documents print it, with thousands separators: 82,096,797.42 元."""
    text = format(value, ",f")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def md_escape(text: str) -> str:
    """Answer text safe for st.markdown: no accidental lists, links, LaTeX or colour directives; lines kept."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = re.sub(r"(?m)^(\s*\d+)\.", r"\1\\.", escaped)  # "1." at a line start would become a list
    return escaped.replace("\n", "  \n")


def flagged_markdown(text: str, flagged: Sequence[str]) -> str:
    """Answer text as markdown with each flagged figure (an unsupported number) on an orange background."""
    # Placeholders from the private-use area survive escaping untouched; the figures go back in afterwards.
    marks = {}
    for i, figure in enumerate(dict.fromkeys(f for f in flagged if f)):
        mark = f"\ue000{i}\ue001"
        if figure in text:
            text = text.replace(figure, mark)
            shown = _MD_SPECIAL.sub(r"\\\1", figure)
            marks[mark] = f":orange-background[{shown}]"
    out = md_escape(text)
    for mark, marked in marks.items():
        out = out.replace(mark, marked)
    return out


def llm_label(spec: str) -> str:
    """How answers are written: offline, or by which model."""
    if not spec or spec == "none":
        return "离线模式：不调用大模型，答案直接由文件中的表格和原文生成"
    return f"大模型：{spec}（答案中的每个数字仍会与文件核对）"


_PAGES = re.compile(r"pages? ([0-9, \-]+)")


def reason_zh(code: str, reason: str) -> str:
    """Why a file could not be loaded, in words finance staff use."""
    pages = _PAGES.search(reason)
    where = f"（第{pages.group(1).strip()}页）" if pages else ""
    return {
        "not_pdf": "不是PDF文件，请上传预算/决算公开的PDF",
        "empty": "文件是空的（没有内容或没有页面）",
        "encrypted": "PDF有密码保护，请去掉密码后再上传",
        "damaged": "PDF文件已损坏或不完整，请重新下载后再上传",
        "scanned": f"扫描件，没有可读取的文字{where}，需要先做文字识别（OCR）",
        "missing": "找不到这个文件",
        "too_large": f"文件太大（{reason}），请联系管理员调整上传上限",
    }.get(code, f"无法加载（{reason}）")


_OTHER_FIGURES = re.compile(r"states other figures than '(.+?)' for the same unit")
_COPY = re.compile(r"same content as '(.+?)'")


def warning_zh(warning: str) -> str:
    """An ingest warning in Chinese (unknown ones are shown as they are)."""
    if "no recognisable budget table" in warning:
        return "没有识别到预算表格，只加载了文字内容"
    if "unit name was not found" in warning:
        return "封面和表格中没有找到单位名称"
    if other := _OTHER_FIGURES.search(warning):
        return f"与已加载的《{other.group(1)}》是同一单位、年度的文件，但有数字不同（答案会同时列出两者，一致性检查会逐项列出）"
    if other := _COPY.search(warning):
        return f"与已加载的《{other.group(1)}》内容相同（另存的副本）"
    pages = _PAGES.search(warning) or re.search(r"page ([0-9]+)", warning)
    if "garbled" in warning and pages:
        return f"第{pages.group(1).strip()}页的文字是乱码（字体没有字符映射，常见于重新生成的PDF），其中的名称可能读错，请加载原始文件"
    if "scanned" in warning and pages:
        return f"第{pages.group(1).strip()}页是扫描图片，没有文字，其中的数字未加载（需先做文字识别）"
    return warning
