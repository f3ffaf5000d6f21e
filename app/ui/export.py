"""Answers and conversations to take away: an answer as Markdown (pastes into Word), the conversation as an Excel
sheet and as a printable HTML report, each with its status, figure and sources."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from app.answer import Answer
from app.ui.labels import STATUS
from app.ui.sources import citation_rows

COLUMNS = ("问题", "回答", "状态", "数字", "单位", "来源")


@dataclass(frozen=True)
class Exchange:
    """One question and its answer, as exported."""

    question: str
    answer: Answer


def exchanges(messages: Sequence[dict]) -> list[Exchange]:
    """The chat's history (user and assistant messages in turn) as question–answer pairs, one per answer."""
    out, question = [], ""
    for m in messages:
        if m["role"] == "user":
            question = m["text"]
        else:
            out += [Exchange(question, answer) for _, answer in m["results"]]
    return out


def _status(answer: Answer) -> str:
    return STATUS.get(answer.status, STATUS["unverified"])[0]


def _figure(answer: Answer) -> str:
    return "" if answer.value is None or answer.status == "refused" else str(answer.value)


def _sources(answer: Answer) -> str:
    return "；".join(f"{r['单位']}{r['年度']}年 {r['页码']}《{r['表格/章节']}》{r['行']}{('·' + r['列']) if r['列'] else ''}"
                    f"{(' ' + r['数值']) if r['数值'] else ''}" for r in citation_rows(answer.citations))


def answer_markdown(exchange: Exchange) -> str:
    """One answer as Markdown: the question, the status, the answer and a table of its sources."""
    a = exchange.answer
    lines = [f"**问：**{exchange.question}", "", f"**状态：**{_status(a)}", "", f"**答：**{a.answer}"]
    if a.notes:
        lines += ["", "说明：" + "；".join(a.notes)]
    rows = citation_rows(a.citations)
    if rows:
        head = list(rows[0])
        lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r[h].replace("|", "／") for h in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def conversation_frame(items: Sequence[Exchange]) -> pd.DataFrame:
    """The conversation, one row per answer: question, answer, status, figure (as printed), unit, sources."""
    return pd.DataFrame([(e.question, e.answer.answer, _status(e.answer), _figure(e.answer),
                          e.answer.unit or "" if _figure(e.answer) else "", _sources(e.answer)) for e in items],
                        columns=list(COLUMNS))


def conversation_excel(items: Sequence[Exchange]) -> bytes:
    """The conversation as an .xlsx workbook (figures kept as text, exactly as shown)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        conversation_frame(items).to_excel(writer, sheet_name="问答记录", index=False)
    return buffer.getvalue()


def conversation_html(items: Sequence[Exchange], title: str = "预算公开问答记录") -> str:
    """A printable report of the conversation: each question, its status, answer and sources."""
    e = html.escape
    parts = []
    for i, x in enumerate(items, 1):
        rows = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in r.values()) + "</tr>"
                       for r in citation_rows(x.answer.citations))
        head = "".join(f"<th>{e(h)}</th>" for h in (citation_rows(x.answer.citations)[:1] or [{}])[0])
        table = f"<table><tr>{head}</tr>{rows}</table>" if rows else ""
        parts.append(f"<section><h2>{i}. {e(x.question)}</h2><p class='status'>{e(_status(x.answer))}</p>"
                     f"<p>{e(x.answer.answer).replace(chr(10), '<br>')}</p>{table}</section>")
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}section{page-break-inside:avoid;"
             "margin-bottom:2em}table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #999;"
             "padding:2px 6px}.status{font-weight:bold}")
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(title)}</title>"
            f"<style>{style}</style></head><body><h1>{e(title)}</h1><p>导出时间：{stamp}，共{len(items)}条</p>"
            + "".join(parts) + "</body></html>")
