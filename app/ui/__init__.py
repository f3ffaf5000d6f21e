"""The Streamlit app's parts: pure helpers (labels, scope, upload, sources, facts, charts) and the views that draw them."""
