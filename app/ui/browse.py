"""The 数字明细 and 图表 tabs: the fact table to browse and download, and charts of the main breakdowns."""

from __future__ import annotations

import altair as alt
import streamlit as st

from app.ui.charts import Chart, chart_frame, unit_charts
from app.ui.facts import HAS_EXCEL, SHOWN, csv_bytes, excel_bytes, facts_frame, filter_facts, kind_label, table_kinds
from app.ui.labels import doc_label
from app.ui.sidebar import Sidebar


def facts_tab(side: Sidebar) -> None:
    """Every figure of one document, filterable by table and text, downloadable."""
    if not side.selected:
        st.info("问答范围内没有文件。请先在左侧加载文件或调整问答范围。")
        return
    st.caption("文件中表格的每一个数字（以及正文中明确说明的数字），附页码、表格、行和列，可筛选、下载。")
    docs = {doc_label(d): d for d in side.selected}
    left, middle, right = st.columns([2, 2, 2])
    chosen = left.selectbox("文件", list(docs), key="facts_doc")
    doc = docs[chosen]
    facts = side.service.facts(doc.doc_id)
    kinds = middle.multiselect("表格", table_kinds(facts), format_func=kind_label, key="facts_kinds",
                               placeholder="全部表格")
    text = right.text_input("按行名称、编码或列查找", key="facts_text", placeholder="例如：公务接待费 或 2080501")
    shown = filter_facts(facts, kinds, text)
    frame = facts_frame(shown, side.documents)
    st.dataframe(frame, hide_index=True, column_order=SHOWN, width="stretch", height=480,
                 column_config={"页码": st.column_config.NumberColumn(format="%d", width="small"),
                                "数值": st.column_config.TextColumn(help="与原表一致的数字")})
    st.caption(f"共 {len(shown)} 个数字（全文件 {len(facts)} 个）。下载的文件包含单位、年度、层级和原文等全部列。")
    name = f"{doc.unit_name}_{doc.year or ''}_{doc.scope}{doc.kind}_数字明细"
    a, b = st.columns([1, 3])
    # Callables: the files are written when someone clicks, not on every rerun (an .xlsx takes ~0.5 s).
    a.download_button("下载 CSV", lambda: csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                      icon=":material/download:", key="facts_csv")
    if HAS_EXCEL:
        b.download_button("下载 Excel", lambda: excel_bytes(frame) or b"", file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/table_view:", key="facts_xlsx")
    else:
        b.caption("CSV 文件可直接用 Excel 打开。")


def charts_tab(side: Sidebar) -> None:
    """The four breakdowns for one unit and document kind, one colour per year."""
    if not side.selected:
        st.info("问答范围内没有文件。请先在左侧加载文件或调整问答范围。")
        return
    groups: dict[str, list] = {}
    for d in side.selected:
        groups.setdefault(f"{d.unit_name} · {d.scope}{d.kind}", []).append(d)
    chosen = st.selectbox("单位与文件类型", list(groups), key="charts_group")
    docs = groups[chosen]
    years = sorted({d.year for d in docs if d.year})
    if len(years) > 1:
        st.caption(f"已加载 {len(years)} 个年度（{'、'.join(f'{y}年' for y in years)}），按年度并列对比。金额单位：万元。")
    else:
        st.caption("金额单位：万元。加载同一单位其他年度的文件后，这里会按年度并列对比。")
    charts = unit_charts([(d, side.service.facts(d.doc_id)) for d in docs])
    for row in (charts[:2], charts[2:]):
        for col, chart in zip(st.columns(2), row, strict=False):
            with col:
                _draw(chart)


def _draw(chart: Chart) -> None:
    st.markdown(f"**{chart.title}**")
    if not chart.bars:
        st.caption(chart.missing)
        return
    frame = chart_frame(chart)
    several = frame["年度"].nunique() > 1
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("项目:N", sort=None, title=None, axis=alt.Axis(labelLimit=240, labelOverlap=False, labelFontSize=12)),
        x=alt.X("金额（万元）:Q", title="万元"),
        color=alt.Color("年度:N", legend=alt.Legend(orient="top", title=None) if several else None),
        tooltip=["年度", "项目", alt.Tooltip("金额（万元）:Q", format=",.2f"), "表格", "页码"],
        **({"yOffset": "年度:N"} if several else {}),
    )
    labels = bars.mark_text(align="left", dx=3, fontSize=11).encode(text=alt.Text("金额（万元）:Q", format=",.2f"))
    height = max(120, 40 * len(frame))
    st.altair_chart((bars + labels).properties(height=height), width="stretch")
    sources = frame.drop_duplicates(["年度", "表格", "页码"])
    st.caption("来源：" + "；".join(f"{r.年度}《{r.表格}》第{r.页码}页" for r in sources.itertuples()))
