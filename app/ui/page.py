"""预算公开问答：the whole Streamlit page, runnable from the installed package (``budgetqa ui``)."""

import streamlit as st

from app.ui import audit_view, browse, chat, sidebar


def render() -> None:
    """Draw the page: sidebar (documents, scope), then the 问答 / 数字明细 / 图表 / 审核 tabs."""
    st.set_page_config(page_title="预算公开问答", page_icon=":material/account_balance:", layout="wide")
    side = sidebar.render()
    st.title("预算公开文件问答")
    st.caption("答案中的每个数字都与文件中的表格核对过，并注明出处（单位、年度、页码、表格、行、列）。")
    ask_tab, facts_tab, charts_tab, audit_tab = st.tabs([":material/forum: 问答", ":material/table_rows: 数字明细",
                                                         ":material/bar_chart: 图表", ":material/fact_check: 审核"])
    with ask_tab:
        chat.render(side)
    with facts_tab:
        browse.facts_tab(side)
    with charts_tab:
        browse.charts_tab(side)
    with audit_tab:
        audit_view.audit_tab(side)


if __name__ == "__main__":  # `streamlit run` executes the file as __main__ on every rerun
    render()
