"""The offline composer: deterministic Chinese sentences with figure, unit, scope and source."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from app.answer import Citation, cite_page
from app.frame import STAGE_CARRIES
from app.lookup import Found
from ingest.classification import bare
from ingest.numbers import MONEY, convert
from store.models import PROSE, Chunk, Document, Fact

_PLAIN_COLUMNS = {"合计", "小计", "金额", "预算数", "数量", "面积", "比率"}
_STAGES = (*STAGE_CARRIES["年初预算数"], *STAGE_CARRIES["全年预算数"])  # columns that are no 决算 figure


def fmt(value: Decimal) -> str:
    """A figure as the documents print it: its own decimals, no exponent."""
    return format(value, "f")


def scope_name(doc: Document) -> str:
    """忻州市商务局2024年 — how an answer names the document it speaks for."""
    return f"{doc.unit_name}{doc.year}年" if doc.year else doc.unit_name


def in_unit(value: Decimal, unit: str, want: str | None) -> tuple[Decimal, str]:
    """The value in the unit the question asked for (exact; 万元 shown to 2 places when rounded)."""
    if not want or want == unit or unit not in MONEY or want not in MONEY:
        return value, unit
    out = convert(value, unit, want)
    if out != out.quantize(Decimal("0.01")):
        out = out.quantize(Decimal("0.01"), ROUND_HALF_UP)
    elif out == out.to_integral_value():
        out = out.quantize(Decimal("0.01")) if want != "元" else out.quantize(Decimal(1))
    return out, want


def citation(fact: Fact, doc: Document) -> Citation:
    """A fact's provenance as an answer cites it."""
    return Citation(doc_id=fact.doc_id, unit_name=doc.unit_name, year=doc.year, page=fact.page,
                    table=fact.table_title, row=fact.row_label, column=fact.column, value=fmt(fact.value),
                    fact_id=fact.fact_id, bbox=fact.bbox, unit=fact.unit, page_label=doc.page_label(fact.page))


def passage_citation(chunk: Chunk, doc: Document) -> Citation:
    """A passage's provenance."""
    return Citation(doc_id=chunk.doc_id, unit_name=doc.unit_name, year=doc.year, page=chunk.page,
                    table=str(chunk.metadata.get("table") or chunk.metadata.get("headings") or ""),
                    row=str(chunk.metadata.get("row") or ""), column="", value=None,
                    page_label=doc.page_label(chunk.page))


def page_text(page: int, doc: Document) -> str:
    """A page as staff cite it: 第15页（PDF第18页） where the printed number differs, else 第18页."""
    return cite_page(page, doc.page_label(page))


def where_printed(fact: Fact, doc: Document) -> str:
    """第15页《表名》 for a table's figure, 第21页“小节” for a sentence's: where a reader finds it."""
    if fact.table_kind == PROSE:
        return f"{page_text(fact.page, doc)}“{fact.table_title.split(' > ')[-1]}”"
    return f"{page_text(fact.page, doc)}《{fact.table_title}》"


def figure_sentence(found: Found, want_unit: str | None, kind_word: str) -> tuple[str, Decimal, str]:
    """One sentence stating the found figure; returns (sentence, value shown, unit shown)."""
    doc, first = found.doc, found.facts[0]
    value, unit = in_unit(found.value, found.unit, want_unit)
    plain = found.column in _PLAIN_COLUMNS or found.column.endswith(("预算数", "决算数")) or found.how == "share"
    stage = next((w for w in _STAGES if w in found.column), None)
    kind_word = f"{stage}数" if stage else kind_word  # a 决算 table's 全年预算数 column is no 决算 figure
    column = "" if plain or found.column == found.label else f"（{found.column}）"  # not 人员经费（人员经费）
    shown = f"{fmt(value)}{unit}"
    if unit != found.unit:
        shown += f"（即{fmt(found.value)}{found.unit}）"
    label = bare(found.label)  # "五、教育支出" is the 收支总表's line five: the item is 教育支出
    if label.count("”") > label.count("“"):  # a sentence's subject cut inside its quotes: 三公”经费 → 三公经费
        label = label.replace("”", "")
    if found.how == "share":
        whole = found.inputs[0]
        base = " + ".join(fmt(f.value) for f in found.inputs)  # a base of several items: their sum, shown
        base = f"({base})" if len(found.inputs) > 1 else base
        text = (f"{scope_name(doc)}{label}占{found.base or whole.row_label}的比重为{shown}"
                f"（{fmt(found.facts[0].value)}{first.unit} ÷ {base}{whole.unit}，据{where_printed(first, doc)}计算）。")
    elif found.how in ("difference", "remainder"):  # a remainder (the whole less a part) is a figure of its own
        a, b = found.facts[0], found.inputs[0]
        said = "为" if found.how == "remainder" else "多" if a.value >= b.value else "少"
        text = (f"{scope_name(doc)}{label}{said}{fmt(abs(value))}{unit}"
                f"（{fmt(a.value)} − {fmt(b.value)}，据{where_printed(a, doc)}{'' if b.page == a.page else '、' + where_printed(b, doc)}计算）。")
    elif found.how == "completion":  # 决算 ÷ the stage's figure, both printed, the rate not
        done, planned = found.facts[0], found.inputs[0]
        text = (f"{scope_name(doc)}{label}{_prose_word(found.column)}{shown}（决算{fmt(done.value)} ÷ "
                f"{planned.column.removesuffix('数')}{fmt(planned.value)}，据{where_printed(done, doc)}"
                f"{'' if planned.page == done.page else '、' + where_printed(planned, doc)}计算）。")
    elif found.how == "previous":
        now, change = found.facts[0], found.inputs[0]
        op = "−" if change.column == "增长额" else "+"
        year = f"{doc.year - 1}年" if doc.year else "上年"
        text = (f"{doc.unit_name}{year}{label}{kind_word}为{shown}（据{scope_name(doc)}文件：本年{fmt(now.value)}{now.unit}，"
                f"{where_printed(change, doc)}：“{change.raw_text}”，{fmt(now.value)} {op} {fmt(change.value)}）。")
    elif found.how == "change_rate":  # a rate from the change and amount a sentence states
        change, now = found.facts[0], found.inputs[0]
        down = found.column == "减少率"
        text = (f"{scope_name(doc)}{label}比上年{'下降' if down else '增长'}{shown}（{fmt(change.value)} ÷ "
                f"({fmt(now.value)} {'+' if down else '−'} {fmt(change.value)})，据{where_printed(change, doc)}："
                f"“{change.raw_text}”计算）。")
    elif found.how == "target":  # the indicator's target as its table prints it (≥95%, 2.8万元/人)
        text = f"{scope_name(doc)}{label}的指标值为{first.raw_text or shown}（{where_printed(first, doc)}，{first.column}）。"
    elif found.how == "prose" and found.column in ("增长额", "减少额") and not found.value:
        text = f"{scope_name(doc)}{label}与上年持平，增减0{unit}（{where_printed(first, doc)}：“{first.raw_text}”）。"
    elif found.how == "prose":
        text = f"{scope_name(doc)}{label}{_prose_word(found.column)}{shown}（{where_printed(first, doc)}：“{first.raw_text}”）。"
    else:
        blank = "，表中该栏为空" if all("blank" in f.flags for f in found.facts) else ""  # printed as nought
        text = f"{scope_name(doc)}{label}{column}{kind_word}为{shown}（{where_printed(first, doc)}{blank}）。"
        if found.how == "sum":
            parts = " + ".join(f"{fmt(f.value)}" for f in found.facts)
            if len({(f.row_label, f.column) for f in found.facts}) == 1:
                text = text[:-1] + f"，该表中“{first.row_label}”列在多行，此为各行之和：{parts}。"
            else:
                text = text[:-1] + f"，为各项之和（{parts}）。"  # the addends as a derivation: checked as its operands
    return text, value, unit


def _prose_word(column: str) -> str:
    if column.startswith("完成"):  # 完成全年预算比例 → "完成全年预算的"
        return f"{column.removesuffix('比例')}的"
    if column.startswith(_STAGES):
        return f"{column}为"
    return {"占比": "占比为", "增长额": "比上年增长", "减少额": "比上年减少", "增长率": "增长率为", "减少率": "下降",
            "金额": "为", "数量": "为", "面积": "为", "比率": "为"}.get(column, "为")
