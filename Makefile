# Two commands for a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= .budgetqa
SAMPLE := examples/xinzhou_commerce_2024_budget.pdf

.PHONY: venv demo test lint bench clean

$(BIN)/budgetqa: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/budgetqa

demo: venv
	$(BIN)/budgetqa ingest $(SAMPLE) --home $(HOME_DIR)
	BUDGETQA_HOME=$(HOME_DIR) $(BIN)/streamlit run streamlit_app.py --server.headless true --browser.gatherUsageStats false

test: venv
	$(BIN)/ruff check app ingest store tests benchmarks
	$(BIN)/pytest

bench: venv
	$(BIN)/python -m benchmarks.ingest

clean:
	rm -rf $(VENV) $(HOME_DIR) *.egg-info
