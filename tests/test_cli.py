"""The CLI contract: every command has help, facts export the documented fields."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app.cli import main
from tests.test_ingest import loaded_home  # noqa: F401  (module-scoped fixture reused)


@pytest.mark.parametrize("command", ["ingest", "docs", "facts", "ask", "verify", "eval", "audit", "ui"])
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "--home" in text and len(text.splitlines()) > 4


def test_top_level_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(c in out for c in ("ingest", "docs", "facts"))


def test_facts_jsonl_has_the_contract_fields(loaded_home, capsys):  # noqa: F811
    assert main(["facts", "--home", str(loaded_home), "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    need = {"doc_id", "unit_name", "year", "table", "table_kind", "page", "row_code", "row_label", "column", "value", "unit"}
    assert rows and all(need <= set(r) for r in rows)
    hit = [r for r in rows if r["table_kind"] == "三公经费表" and r["row_label"] == "公务接待费" and r["column"].endswith("合计")]
    assert hit[0]["value"] == "1.00" and hit[0]["unit"] == "万元" and hit[0]["year"] == 2024 and hit[0]["page"] == 18


def test_facts_csv_filters_by_doc(loaded_home, capsys):  # noqa: F811
    assert main(["facts", "--home", str(loaded_home), "--doc", "忻州市商务局"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["unit_name"] for r in rows} == {"忻州市商务局"}
    assert main(["facts", "--home", str(loaded_home), "--doc", "no-such-doc"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1  # the header only


def test_docs_json(loaded_home, capsys):  # noqa: F811
    assert main(["docs", "--home", str(loaded_home), "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert docs[0]["unit_name"] == "忻州市商务局" and docs[0]["year"] == 2024 and docs[0]["kind"] == "预算"


def test_ingest_json_reports_each_file(tmp_path, capsys):
    missing = tmp_path / "nope.pdf"
    assert main(["ingest", str(missing), "--home", str(tmp_path / "h"), "--json"]) == 2
    line = json.loads(capsys.readouterr().out.strip())
    assert line["status"] == "failed" and line["code"] == "missing"


def test_an_empty_path_is_an_error_not_the_current_folder(tmp_path, capsys):
    assert main(["ingest", "", "--home", str(tmp_path / "h")]) == 2
    assert "empty path" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()


@pytest.mark.parametrize("command", [["ask", "公务接待费是多少"], ["docs"], ["facts"], ["audit"]])
def test_reading_commands_never_create_a_data_folder(command, tmp_path, capsys):
    home = tmp_path / "typo"
    assert main([*command, "--home", str(home)]) == 1
    assert "budgetqa ingest" in capsys.readouterr().err and not home.exists()


def test_docs_set_corrects_identity_and_says_so(loaded_home, capsys):  # noqa: F811
    assert main(["docs", "--home", str(loaded_home), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)[0]
    assert main(["docs", "set", doc["doc_id"][:10], "--year", "2030", "--home", str(loaded_home), "--json"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert (fixed["year"], fixed["identity_source"]) == (2030, "user")
    assert main(["docs", "set", doc["doc_id"][:10], "--year", str(doc["year"]), "--home", str(loaded_home)]) == 0


def test_tables_fold_to_an_80_column_terminal_and_keep_whole_values(loaded_home, capsys, monkeypatch):  # noqa: F811
    from rich.cells import cell_len
    from rich.console import Console

    import app.cli as cli

    monkeypatch.setattr(cli, "out", Console(width=80, force_terminal=False))
    assert main(["docs", "--home", str(loaded_home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80  # CJK characters are two cells wide
    assert "…" not in "".join(lines)  # nothing is cut off: long names fold onto more lines


def test_a_narrow_terminal_lists_one_block_per_document(loaded_home, capsys, monkeypatch):  # noqa: F811
    from rich.console import Console

    import app.cli as cli

    monkeypatch.setattr(cli, "out", Console(width=80, force_terminal=False))
    assert main(["docs", "--home", str(loaded_home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("忻州市商务局 · 2024 · 单位预算")  # the name whole, on its own line
    assert "34 pages · 19 tables · 1010 facts" in lines[2]
    monkeypatch.setattr(cli, "out", Console(width=160, force_terminal=False))
    assert main(["docs", "--home", str(loaded_home)]) == 0
    assert "doc_id" in capsys.readouterr().out  # a wide terminal gets the table


def test_audit_report_is_a_printable_page_with_each_finding_and_its_printed_page(loaded_home, tmp_path, capsys):  # noqa: F811
    report = tmp_path / "审核报告.html"
    assert main(["audit", "--home", str(loaded_home), "--report", str(report), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]  # --json stays the contract's, report aside
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "忻州市商务局 2024年 单位预算" in page
    assert page.count("<section") == len(findings) > 0
    assert "项目名称不一致" in page and "尚未复核" in page
    assert page.count("data:image/png;base64,") >= len(findings)  # the cell's band, and the prose side's page


@pytest.mark.parametrize("command", ["doctor", "migrate"])
def test_the_server_commands_have_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "--json" in capsys.readouterr().out
