"""The LLM path with LangChain's fake chat models over the real Xinzhou facts: lies are caught, repaired or replaced."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import Field

from app import prompts
from app.answer import CANNOT_ANSWER
from app.compose import figure_sentence
from app.llm import (
    INSTALL_HINT,
    EvidenceItem,
    LLMError,
    build_messages,
    draft_answer,
    fact_item,
    flag_numbers,
    make_chat_model,
    passage_item,
    resolve_citations,
    stream_answer,
    stream_text,
    strip_citations,
)
from app.lookup import DocFacts, Found
from app.verify import Evidence, verify

QUESTION = "2024年公务接待费预算是多少？"
TRUE = "忻州市商务局2024年公务接待费预算为1.00万元[1]。"
SANGONG = "2024年财政拨款安排“三公”经费支出预算表"


class Scripted(GenericFakeChatModel):
    """GenericFakeChatModel that also keeps the messages of every call, to read the repair prompt."""

    seen: list = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class Broken(GenericFakeChatModel):
    """A provider that fails: the error it raises is the one a client would."""

    error: Exception

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        raise self.error


def scripted(*replies: str) -> Scripted:
    return Scripted(messages=iter(replies))


def _cell(xinzhou, table_kind: str, label: str, column: str):
    return next(f for f in xinzhou.facts
                if f.table_kind == table_kind and f.row_label == label and f.column.endswith(column))


@pytest.fixture(scope="module")
def case(xinzhou):
    """公务接待费 (1.00万元, p.18) asked; the 三公 table's car row (9.00万元) shown beside it as [2]."""
    doc = xinzhou.document
    reception = _cell(xinzhou, "三公经费表", "公务接待费", "/ 合计")
    car = _cell(xinzhou, "三公经费表", "②公务用车运行维护费", "/ 合计")
    doc_facts = DocFacts(doc, xinzhou.facts)
    # As Asker._figure_answer builds it: cited = the facts of the figure found, subjects = its label.
    evidence = Evidence([doc_facts], (), [reception], [reception.row_label])
    found = Found(doc, (reception,), reception.value, reception.unit, reception.row_label, "合计")
    offline = figure_sentence(found, None, "预算")[0]

    class Case:
        items = [fact_item(1, reception, doc), fact_item(2, car, doc)]
        offline_text = offline

        @staticmethod
        def check(text: str):
            return verify(text, evidence)

        facts = doc_facts

    return Case


def draft(case, model, **kw):
    kw.setdefault("timeout", 5)
    return draft_answer(model, QUESTION, case.items, case.offline_text, case.check, **kw)


# --- the evidence and the prompt --------------------------------------------------------------------------

def test_fact_is_rendered_with_its_provenance(case):
    assert case.items[0] == EvidenceItem(
        1, "fact", f"忻州市商务局 2024年单位预算 第18页《{SANGONG}》 公务接待费 | 2024年预算数 / 合计 = 1.00万元",
        case.items[0].source)
    assert case.items[0].source.startswith("fact:")
    assert case.items[0].line.startswith("[1] 忻州市商务局")


def test_passage_is_quoted_and_cut(xinzhou):
    chunk = max(xinzhou.chunks, key=lambda c: len(c.text))
    item = passage_item(3, chunk, xinzhou.document)
    assert item.kind == "passage" and item.source == f"passage:{chunk.chunk_id}"
    assert item.text.startswith(f"忻州市商务局 2024年单位预算 第{chunk.page}页 原文：“")
    assert len(item.text) < len(chunk.text) + 40


def test_prompt_numbers_the_evidence_and_names_the_refusal_phrase(case):
    system, user = build_messages(QUESTION, case.items)
    assert isinstance(system, SystemMessage) and isinstance(user, HumanMessage)
    assert CANNOT_ANSWER in system.content and "[1]" in system.content
    assert user.content.splitlines()[1] == f"[1] {case.items[0].text}"
    assert user.content.splitlines()[2].startswith("[2] ")
    assert QUESTION in user.content
    assert prompts.PROMPT_VERSION


# --- the verifier really flags the lies ------------------------------------------------------------------

@pytest.mark.parametrize("text, supported", [
    ("忻州市商务局2024年公务接待费预算为1.00万元。", True),
    ("忻州市商务局2024年公务接待费预算为10000元。", True),          # the same figure in 元
    ("忻州市商务局2024年公务接待费预算为9.00万元。", False),        # 公务用车运行维护费's value
    ("忻州市商务局2024年公务接待费预算为10.0万元。", False),        # shifted digit (= the 三公 合计)
    ("忻州市商务局2024年公务接待费预算为100.00万元。", False),      # shifted digit, nowhere
    ("忻州市商务局2024年公务接待费预算为1.00亿元。", False),        # wrong scale
    ("忻州市商务局2024年公务接待费预算为1.00元。", False),          # wrong scale (not the 0万元 of another column)
    ("忻州市商务局2024年公务接待费预算为3000元。", False),          # would round to the 0万元 cells; still no fact
])
def test_verifier_on_true_and_lying_figures(case, text, supported):
    (number,) = case.check(text)
    assert number.supported is supported, number


def test_mix_up_names_the_row_the_figure_belongs_to(case):
    (number,) = case.check("公务接待费预算为9.00万元。")
    assert "公务用车运行维护费" in number.problem


def test_a_sum_is_not_a_rows_own_value(case, xinzhou):
    both = [_cell(xinzhou, "三公经费表", label, "/ 合计") for label in ("公务接待费", "②公务用车运行维护费")]
    evidence = Evidence([case.facts], (), both, ["公务接待费"])
    (number,) = verify("公务接待费预算为10.00万元。", evidence)
    assert not number.supported


def test_swapped_values_in_one_sentence_are_caught(case):
    numbers = case.check("三公经费中，公务接待费9.00万元，公务用车运行维护费1.00万元。")
    assert [n.supported for n in numbers] == [False, False]


def test_citation_markers_are_not_figures(case):
    # The verifier blanks citation markers itself, so "[2]" is never read as a bare sum of money.
    assert [n.text for n in case.check("公务接待费预算为1.00万元[2]。")] == ["1.00万元"]
    assert [n.text for n in case.check(strip_citations("公务接待费预算为1.00万元[2]。"))] == ["1.00万元"]


# --- drafting ------------------------------------------------------------------------------------------------

def test_honest_model_is_verified(case):
    result = draft(case, GenericFakeChatModel(messages=iter([TRUE])))
    assert (result.text, result.status, result.mode, result.cited, result.notes) == (TRUE, "verified", "llm", (1,), ())
    assert [(n.text, n.value, n.supported) for n in result.numbers] == [("1.00万元", Decimal("1.00"), True)]
    assert result.drafts == (TRUE,)


LIES = [
    "忻州市商务局2024年公务接待费预算为9.00万元[1]。",    # another row's value
    "忻州市商务局2024年公务接待费预算为10.0万元[1]。",    # shifted digit
    "忻州市商务局2024年公务接待费预算为1.00亿元[1]。",    # wrong scale
    "忻州市商务局2024年公务接待费预算为1.00元[1]。",      # wrong scale
]


@pytest.mark.parametrize("lie", LIES)
def test_lying_model_is_repaired(case, lie):
    model = scripted(lie, TRUE)
    result = draft(case, model)
    assert (result.text, result.status, result.mode) == (TRUE, "verified", "llm-repaired")
    assert result.drafts == (lie, TRUE)
    wrong = lie.split("为")[1].split("[")[0]
    assert result.notes[0] == f"LLM初稿中有无法核实的数字：{wrong}"
    # The repair round shows the model its own draft and what was wrong with which number.
    repair = model.seen[1]
    assert isinstance(repair[-2], AIMessage) and repair[-2].content == lie
    assert isinstance(repair[-1], HumanMessage) and f"“{wrong}”：" in repair[-1].content


def test_repair_prompt_says_whose_figure_it_is(case):
    model = scripted(LIES[0], TRUE)
    draft(case, model)
    assert "这个数字属于“公务用车运行维护费”" in model.seen[1][-1].content


def test_model_that_lies_twice_is_replaced_by_the_offline_answer(case):
    result = draft(case, FakeListChatModel(responses=[LIES[0], LIES[1]]))
    assert result.text == case.offline_text and "1.00万元" in result.text
    assert (result.status, result.mode, result.cited, result.refused) == ("verified", "offline-fallback", (), False)
    assert result.notes[-1] == "LLM修正后仍有无法核实的数字：10.0万元，已改用离线答案"
    assert "9.00万元" not in result.text and "10.0万元" not in result.text


def test_lying_twice_can_be_shown_flagged_never_verified(case):
    result = draft(case, FakeListChatModel(responses=[LIES[0], LIES[0]]), flag_unsupported=True)
    assert result.text == "忻州市商务局2024年公务接待费预算为⚠9.00万元（未核验）[1]。"
    assert (result.status, result.mode) == ("unverified", "llm-repaired")
    assert [n.supported for n in result.numbers] == [False]
    assert "已用⚠标出" in result.notes[-1]


def test_timeout_falls_back_with_a_note(case):
    slow = FakeListChatModel(responses=[TRUE], sleep=3)
    result = draft(case, slow, timeout=0.2)
    assert (result.text, result.mode, result.status) == (case.offline_text, "offline-fallback", "verified")
    assert result.notes == ("LLM超时（0.2秒），已改用离线答案",)


def test_provider_timeout_error_falls_back(case):
    result = draft(case, Broken(messages=iter([]), error=TimeoutError("read timed out")))
    assert result.mode == "offline-fallback" and "超时" in result.notes[0]


def test_model_that_raises_falls_back_with_a_note(case):
    result = draft(case, Broken(messages=iter([]), error=ConnectionError("connection refused")))
    assert (result.text, result.mode) == (case.offline_text, "offline-fallback")
    assert result.notes == ("LLM调用失败（ConnectionError: connection refused），已改用离线答案",)


def test_timeout_in_the_repair_round_falls_back(case):
    class SlowSecond(FakeMessagesListChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            if self.i == 1:
                self.sleep = 3
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    model = SlowSecond(responses=[AIMessage(LIES[0]), AIMessage(TRUE)])
    result = draft(case, model, timeout=0.5)
    assert result.mode == "offline-fallback"
    assert result.notes == ("LLM初稿中有无法核实的数字：9.00万元", "LLM超时（0.5秒），已改用离线答案")


def test_cited_ids_that_are_not_evidence_are_dropped(case):
    result = draft(case, scripted("忻州市商务局2024年公务接待费预算为1.00万元[1][7]，见【2,9】。"))
    assert result.cited == (1, 2)
    assert result.text == "忻州市商务局2024年公务接待费预算为1.00万元[1]，见[2]。"
    assert result.notes == ("已删除LLM引用的不存在的证据编号：[7]、[9]",)
    assert result.status == "verified"


def test_refusal_loses_to_a_verified_offline_figure(case):
    result = draft(case, scripted(f"{CANNOT_ANSWER}：证据没有给出公务接待费。"))
    assert (result.text, result.mode, result.refused) == (case.offline_text, "offline-fallback", False)


def test_refusal_stands_when_offline_has_no_figure(case):
    refusal = f"{CANNOT_ANSWER}：证据没有说明2025年的情况。"
    result = draft_answer(scripted(refusal), "2025年公务接待费是多少？", case.items,
                          f"{CANNOT_ANSWER}：没有加载2025年的文件", case.check, timeout=5)
    assert (result.text, result.mode, result.refused, result.status) == (refusal, "llm", True, "verified")


def test_refusal_with_a_wrong_figure_is_repaired(case):
    refusal = f"{CANNOT_ANSWER}：证据没有说明2025年的情况。"
    model = scripted(f"{CANNOT_ANSWER}：只有2024年公务接待费9.00万元[1]。", refusal)
    result = draft_answer(model, "2025年公务接待费是多少？", case.items, f"{CANNOT_ANSWER}：没有加载2025年的文件",
                          case.check, timeout=5)
    assert (result.text, result.mode, result.refused) == (refusal, "llm-repaired", True)


def test_figure_question_answered_without_a_figure_falls_back(case):
    result = draft(case, scripted("公务接待费的预算见三公经费表[1]。"), need_figure=True)
    assert (result.text, result.mode) == (case.offline_text, "offline-fallback")


def test_reasoning_block_is_never_shown_or_checked(case):
    result = draft(case, scripted("<think>也许是9.00万元？</think>\n" + TRUE))
    assert (result.text, result.status, result.mode) == (TRUE, "verified", "llm")


def test_no_model_or_no_evidence_means_offline(case):
    assert draft(case, None).mode == "offline-fallback"
    result = draft_answer(scripted(TRUE), QUESTION, [], case.offline_text, case.check, timeout=5)
    assert result.mode == "offline-fallback" and result.drafts == ()


# --- streaming --------------------------------------------------------------------------------------------

def test_stream_yields_the_verified_text_and_returns_the_result(case):
    gen = stream_answer(GenericFakeChatModel(messages=iter([TRUE + "这是三公经费之一[1]。"])), QUESTION, case.items,
                        case.offline_text, case.check, timeout=5)
    pieces = []
    with pytest.raises(StopIteration) as stop:
        while True:
            pieces.append(next(gen))
    result = stop.value.value
    assert pieces == [TRUE, "这是三公经费之一[1]。"] and "".join(pieces) == result.text
    assert result.status == "verified"


def test_stream_never_yields_an_unverified_number(case):
    chunks = list(stream_answer(FakeListChatModel(responses=[LIES[0]]), QUESTION, case.items, case.offline_text,
                                case.check, timeout=5))
    assert "".join(chunks) == case.offline_text
    assert not any("9.00" in c for c in chunks)


def test_stream_text_keeps_every_character(case):
    result = draft(case, None)
    assert "".join(stream_text(result.text)) == result.text
    assert list(stream_text("甲。乙？\n\n丙")) == ["甲。", "乙？\n\n", "丙"]


# --- helpers --------------------------------------------------------------------------------------------

def test_resolve_citations_normalises_and_filters():
    assert resolve_citations("甲[1、3]乙【2】丙[4]", {1, 2, 4}) == ("甲[1]乙[2]丙[4]", (1, 2, 4), (3,))


def test_flag_skips_markers_and_longer_numbers(case):
    text = "公务接待费11.00万元[1]，公务接待费1.00万元[1]。"
    numbers = case.check(strip_citations(text))
    assert [n.supported for n in numbers] == [False, True]
    assert flag_numbers(text, numbers) == "公务接待费⚠11.00万元（未核验）[1]，公务接待费1.00万元[1]。"


# --- the factory ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["none", "NONE", "", " none "])
def test_none_means_no_model(spec):
    assert make_chat_model(spec) is None


@pytest.mark.parametrize("spec", ["gpt-4o", "anthropic:claude", "openai:", "ollama"])
def test_bad_spec_names_the_choices(spec):
    with pytest.raises(LLMError, match="openai:<model>"):
        make_chat_model(spec)


@pytest.mark.parametrize("spec, module", [("openai:qwen2.5-7b-instruct", "langchain_openai"),
                                          ("ollama:qwen2.5:7b", "langchain_ollama")])
def test_missing_package_says_how_to_install(spec, module, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail as if not installed
    with pytest.raises(LLMError, match=f"{module.replace('_', '-')}.*{INSTALL_HINT}".replace("[", r"\[")
                       .replace("]", r"\]")):
        make_chat_model(spec)


def test_openai_compatible_server_without_key(monkeypatch):
    pytest.importorskip("langchain_openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    model = make_chat_model("openai:qwen2.5-7b-instruct", timeout=7)
    assert (model.model_name, model.temperature, model.request_timeout) == ("qwen2.5-7b-instruct", 0, 7)
    assert model.openai_api_base == "http://127.0.0.1:8000/v1"


def test_openai_needs_a_key_or_a_server(monkeypatch):
    pytest.importorskip("langchain_openai")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMError, match="OPENAI_API_KEY"):
        make_chat_model("openai:gpt-4o-mini")


def test_ollama_model_name_keeps_its_tag():
    pytest.importorskip("langchain_ollama")
    model = make_chat_model("ollama:qwen2.5:7b", base_url="http://127.0.0.1:11434", timeout=9)
    assert (model.model, model.temperature, model.client_kwargs) == ("qwen2.5:7b", 0, {"timeout": 9})
