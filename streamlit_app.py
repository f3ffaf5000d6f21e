"""预算公开问答：the Streamlit page for finance staff — a thin shell over app.ui.page (also ``budgetqa ui``)."""

from app.ui.page import render

render()
