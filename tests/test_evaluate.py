"""The evaluation: the scorer's tolerances and units, refusals, the fault generator, the report, the gate."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.answer import Answer, Citation
from app.cli import main
from app.evaluate import Record, load_gold, markdown_report, number_matches, score, summary, verified_but_wrong
from app.faults import FAULT_KINDS, drafts_for
from store.errors import BudgetQAError
from tests.conftest import ROOT
from tests.test_ingest import loaded_home  # noqa: F401  (module-scoped fixture reused)


@pytest.mark.parametrize(
    ("gold_value", "gold_unit", "value", "unit", "ok"),
    [
        (1.00, "万元", "1.00", "万元", True),
        (10000, "元", "1.00", "万元", True),  # converted to the gold unit
        (1.0, "万元", "10000", "元", True),
        (950.12, "万元", "9501164", "元", True),  # the documents round 元 to 万元 at 2 places
        (1.00, "万元", "1.004", "万元", True),  # within 0.005
        (1.00, "万元", "1.01", "万元", False),
        (1.00, "万元", "1.00", "元", False),  # wrong scale
        (54.67, "%", "54.67", "万元", False),
        (3, "辆", "3", "辆", True),
        (9, "人", "9", "名", True),  # counters that count the same things
        (4, "台（套）", "4", "台", True),
        (3, "辆", "3", "个", False),
    ],
)
def test_number_scoring(gold_value, gold_unit, value, unit, ok):
    assert number_matches(gold_value, gold_unit, Decimal(value), unit) is ok


def _answer(status="verified", value=None, unit=None, text="x", citations=()):
    return Answer("q", status, text, Decimal(value) if value is not None else None, unit, (), citations)


def test_refusal_and_text_scoring():
    assert score({"kind": "refuse"}, _answer("refused"))
    assert not score({"kind": "refuse"}, _answer("verified", "1", "万元"))
    assert score({"kind": "text", "must_include": ["因公出国", "接待"]}, _answer(text="因公出国（境）费、公务接待费"))
    assert not score({"kind": "text", "must_include": ["因公出国"]}, _answer("refused", text="因公出国"))


def test_a_wrong_figure_shown_as_verified_is_counted():
    wrong = Record({"kind": "number", "value": 2, "unit": "万元"}, _answer("verified", "1", "万元"), False, "g")
    flagged = Record({"kind": "number", "value": 2, "unit": "万元"}, _answer("unverified", "1", "万元"), False, "g")
    assert verified_but_wrong(wrong) and not verified_but_wrong(flagged)
    result = summary([wrong, flagged])
    assert result["verified_but_wrong"] == 1 and result["accuracy"] == 0.0
    assert result["verified_but_wrong_by_file"] == {"g": 1} and result["verified_but_wrong_by_kind"] == {"number": 1}


def test_gold_files_are_valid_and_big_enough():
    items = load_gold(sorted((ROOT / "tests" / "gold").glob("*.jsonl")))
    ids = [i["id"] for i, _ in items]
    assert len(ids) == len(set(ids)) >= 200
    per_file = {f: sum(1 for _, s in items if s == f) for _, f in items}
    assert per_file["xinzhou.jsonl"] >= 80 and per_file["cross.jsonl"] >= 20
    assert all(per_file[f] >= 30 for f in ("putuo_commerce.jsonl", "putuo_commerce_dept.jsonl", "putuo_gov_office.jsonl"))


def test_bad_gold_line_names_file_and_line(tmp_path):
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"id": "a", "question": "q", "kind": "refuse"}\n{not json\n', encoding="utf-8")
    with pytest.raises(BudgetQAError, match="g.jsonl:2"):
        load_gold([bad])
    with pytest.raises(BudgetQAError, match="missing.jsonl: cannot read this gold file"):
        load_gold([tmp_path / "missing.jsonl"])


def test_fault_drafts_around_a_true_answer():
    cite = Citation("d", "某局", 2024, 3, "表", "公务接待费", "合计", "1.00", "f1", None, "万元")
    drafts = drafts_for(_answer("verified", "1.00", "万元", citations=(cite,)), None, Decimal("9.00"))
    kinds = {d.kind: d.text for d in drafts}
    assert kinds["true"] == "某局2024年公务接待费为1.00万元。" and kinds["converted"] == "某局2024年公务接待费为10000元。"
    assert kinds["other_row"].endswith("9.00万元。") and kinds["wrong_scale"].endswith("1.00元。")
    assert kinds["shifted_digit"].endswith("10.00万元。") and set(FAULT_KINDS) <= set(kinds)


def test_report_lists_the_misses():
    miss = Record({"id": "q9", "kind": "number", "question": "招待费？", "value": 2, "unit": "万元"},
                  _answer("verified", "1", "万元", text="招待费1万元"), False, "g")
    text = markdown_report(summary([miss]), [miss])
    assert "## Misses (1)" in text and "**q9** 招待费？" in text


def test_eval_command_gate(loaded_home, tmp_path, capsys):  # noqa: F811
    gold = tmp_path / "g.jsonl"
    gold.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "a", "question": "公务接待费是多少？", "kind": "number", "value": 1.00, "unit": "万元"},
        {"id": "b", "question": "2025年公务接待费是多少？", "kind": "refuse"},
        {"id": "c", "question": "三公经费指什么？", "kind": "text", "must_include": ["因公出国"]},
    ]), encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    report = tmp_path / "report.md"
    assert main(["eval", str(gold), "--home", str(loaded_home), "--json", "--out", str(out), "--report", str(report),
                 "--min-accuracy", "1.0", "--faults"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accuracy"] == 1.0 and result["verified_but_wrong"] == 0
    assert result["faults"]["catch_rate"] == 1.0 and result["faults"]["false_alarm_rate"] == 0.0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"] and all(line["correct"] for line in lines)
    assert report.read_text(encoding="utf-8").startswith("# budgetqa evaluation")
    gold.write_text(json.dumps({"id": "x", "question": "公务接待费是多少？", "kind": "number", "value": 2, "unit": "万元"},
                               ensure_ascii=False), encoding="utf-8")
    assert main(["eval", str(gold), "--home", str(loaded_home), "--json", "--min-accuracy", "0.5"]) == 1


def test_audit_command_and_chat_question(loaded_home, capsys):  # noqa: F811
    assert main(["audit", "--home", str(loaded_home), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings and {"rule", "severity", "pages", "expected", "actual", "difference", "message"} <= set(findings[0])
    assert main(["ask", "这份文件有没有不一致的地方？", "--home", str(loaded_home), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "绩效目标" in answer["answer"] and answer["status"] != "refused"
