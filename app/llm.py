"""The LLM path: one chat-model factory, and drafting with the verifier's one repair round and offline fallback.

LangChain objects stay in this module: callers pass a model from `make_chat_model` through, and get back
plain `LLMResult`s. LangChain is imported lazily (≈0.5 s), so the offline path never pays for it.
"""

from __future__ import annotations

import contextvars
import importlib
import os
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from app import prompts
from app.answer import CANNOT_ANSWER, NumberCheck
from app.compose import fmt
from store.errors import BudgetQAError
from store.models import PROSE, Chunk, Document, Fact

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import RunnableConfig

Check = Callable[[str], tuple[NumberCheck, ...]]
Mode = Literal["llm", "llm-repaired", "offline-fallback"]

INSTALL_HINT = "pip install 'budgetqa[llm]'"
PASSAGE_CHARS = 600  # a passage longer than this is cut in the prompt (the verifier still sees all of it)
_PROVIDERS = {"openai": ("langchain_openai", "ChatOpenAI"), "ollama": ("langchain_ollama", "ChatOllama")}

# Notes the answer carries, so people see why they got what they got.
NOTE_NO_MODEL = "未配置LLM，使用离线答案"
NOTE_NO_EVIDENCE = "没有可供LLM依据的证据，使用离线答案"
NOTE_TIMEOUT = "LLM超时（{seconds:g}秒），已改用离线答案"
NOTE_ERROR = "LLM调用失败（{error}），已改用离线答案"
NOTE_EMPTY = "LLM没有给出答案，已改用离线答案"
NOTE_REFUSED = "LLM认为证据不足，而离线答案有核实的数字，已改用离线答案"
NOTE_NO_FIGURE = "LLM的回答没有给出可核实的数字，已改用离线答案"
NOTE_FIRST_DRAFT = "LLM初稿中有无法核实的数字：{numbers}"
NOTE_REPAIRED = "已请LLM按核验结果修正一次，修正后的数字均已核实"
NOTE_STILL = "LLM修正后仍有无法核实的数字：{numbers}，已改用离线答案"
NOTE_FLAGGED = "LLM修正后仍有无法核实的数字：{numbers}，已用⚠标出，未核验"
NOTE_DROPPED = "已删除LLM引用的不存在的证据编号：{ids}"

# [1], [1,2], [1、2], 【3】: the ids a draft cites.
_CITE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
_THINK = re.compile(r"<think>.*?</think>", re.S)
_PIECE = re.compile(r"[^。！？；\n]+[。！？；\n]*|\n+")


class LLMError(BudgetQAError):
    """The LLM setting cannot be used: an unknown spec, a missing package or key."""


@dataclass(frozen=True)
class EvidenceItem:
    """One numbered piece of evidence shown to the model, rendered with its provenance."""

    n: int
    kind: Literal["fact", "passage"]
    text: str
    source: str = ""  # "fact:<fact_id>" or "passage:<chunk_id>", to map a cited [n] back to a Citation

    @property
    def line(self) -> str:
        """The prompt line: "[n] text"."""
        return self.text if self.text.startswith(f"[{self.n}]") else f"[{self.n}] {self.text}"


@dataclass(frozen=True)
class LLMResult:
    """What drafting produced: the text to show, its checked numbers, and how it came about."""

    text: str
    numbers: tuple[NumberCheck, ...]
    status: Literal["verified", "unverified"]
    mode: Mode
    notes: tuple[str, ...] = ()
    cited: tuple[int, ...] = ()  # evidence ids the shown LLM text cites (only ids that exist); () when offline
    refused: bool = False  # the shown text is the model's refusal (CANNOT_ANSWER …)
    drafts: tuple[str, ...] = ()  # what the model said, raw, for logs and audits; never shown as an answer
    prompt_version: str = prompts.PROMPT_VERSION

    @property
    def offline(self) -> bool:
        """Whether the text shown is the offline answer."""
        return self.mode == "offline-fallback"


def make_chat_model(spec: str, *, base_url: str | None = None, api_key: str | None = None,
                    timeout: float = 30) -> BaseChatModel | None:
    """A LangChain chat model for `none | openai:<model> | ollama:<model>`; nothing is contacted here."""
    spec = (spec or "none").strip()
    if spec.lower() in ("none", "off", "offline", ""):
        return None
    provider, _, model = spec.partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    if provider not in _PROVIDERS or not model:
        raise LLMError(f"BUDGETQA_LLM={spec!r} is not a model: use none, openai:<model> (any OpenAI-compatible "
                       f"server: vLLM, Ollama /v1, Qwen, DeepSeek) or ollama:<model>, e.g. ollama:qwen2.5:7b")
    module_name, class_name = _PROVIDERS[provider]
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError as e:
        raise LLMError(f"BUDGETQA_LLM={spec!r} needs the {module_name.replace('_', '-')} package, which is not "
                       f"installed: {INSTALL_HINT}") from e
    if provider == "openai":
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key and not base_url:
            raise LLMError(f"BUDGETQA_LLM={spec!r} needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local "
                           "OpenAI-compatible server (vLLM, Ollama's /v1)")
        # Local servers ignore the key, but the openai client refuses to start without one.
        return cls(model=model, temperature=0, base_url=base_url, api_key=api_key or "EMPTY", timeout=timeout,
                   max_retries=1)
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}  # else OLLAMA_HOST or localhost
    return cls(model=model, temperature=0, client_kwargs={"timeout": timeout}, **kwargs)


def fact_item(n: int, fact: Fact, doc: Document) -> EvidenceItem:
    """A fact as numbered evidence: unit, year, page, table, row path, column, value and unit."""
    if fact.table_kind == PROSE:
        section = fact.table_title.split(" > ")[-1]
        text = f"{_doc_label(doc)} 第{fact.page}页“{section}”原文：“{fact.raw_text}”"
    else:
        row = " > ".join(fact.row_path) or fact.row_label
        code = f"{fact.row_code} " if fact.row_code else ""
        text = (f"{_doc_label(doc)} 第{fact.page}页《{fact.table_title}》 {code}{row} | {fact.column} = "
                f"{fmt(fact.value)}{fact.unit}")
    return EvidenceItem(n, "fact", text, f"fact:{fact.fact_id}")


def passage_item(n: int, chunk: Chunk, doc: Document) -> EvidenceItem:
    """A passage as numbered evidence, quoted (cut at PASSAGE_CHARS)."""
    body = chunk.text if len(chunk.text) <= PASSAGE_CHARS else chunk.text[:PASSAGE_CHARS] + "……"
    return EvidenceItem(n, "passage", f"{_doc_label(doc)} 第{chunk.page}页 原文：“{body}”", f"passage:{chunk.chunk_id}")


def _doc_label(doc: Document) -> str:
    year = f" {doc.year}年" if doc.year else ""
    return f"{doc.unit_name}{year}{doc.scope}{doc.kind}"


def build_messages(question: str, evidence: Sequence[EvidenceItem]) -> list[BaseMessage]:
    """The system prompt and the question with its numbered evidence."""
    from langchain_core.messages import HumanMessage, SystemMessage

    lines = "\n".join(item.line for item in evidence)
    return [SystemMessage(prompts.SYSTEM), HumanMessage(prompts.USER.format(evidence=lines, question=question))]


def draft_answer(model: BaseChatModel | None, question: str, evidence: Sequence[EvidenceItem], offline_text: str,
                 check: Check, *, timeout: float, flag_unsupported: bool = False,
                 need_figure: bool = False) -> LLMResult:
    """Draft with the model, verify, repair once, else fall back to the offline text (or flag the numbers).

    `timeout` bounds the whole drafting, both rounds. `check` is the verifier over this question's evidence;
    it gets the text without the [n] markers. `need_figure`: a figure question, so an LLM answer stating no
    number at all loses to an offline answer with a verified figure.
    """
    deadline = time.monotonic() + timeout
    drafts: list[str] = []
    notes: list[str] = []
    offline_checks: list[tuple[NumberCheck, ...]] = []

    def offline_numbers() -> tuple[NumberCheck, ...]:
        if not offline_checks:
            offline_checks.append(check(offline_text))
        return offline_checks[0]

    def fallback(note: str) -> LLMResult:
        numbers = offline_numbers()
        return LLMResult(offline_text, numbers, _status(numbers), "offline-fallback", (*notes, note), (),
                         False, tuple(drafts))

    def offline_has_figure() -> bool:
        numbers = offline_numbers()
        return bool(numbers) and all(n.supported for n in numbers) and not _is_refusal(offline_text)

    if model is None:
        return fallback(NOTE_NO_MODEL)
    if not evidence:
        return fallback(NOTE_NO_EVIDENCE)
    valid = {item.n for item in evidence}
    messages = build_messages(question, evidence)
    bad: list[NumberCheck] = []
    for attempt in (0, 1):
        try:
            raw = _invoke(model, messages, deadline - time.monotonic())
        except TimeoutError:
            return fallback(NOTE_TIMEOUT.format(seconds=timeout))
        except Exception as e:  # any provider failure (connection, HTTP, parsing) means: answer offline
            return fallback(NOTE_ERROR.format(error=_short(e)))
        drafts.append(raw)
        text, cited, dropped = resolve_citations(_clean(raw), valid)
        if dropped:
            notes.append(NOTE_DROPPED.format(ids="、".join(f"[{i}]" for i in dropped)))
        if not text:
            return fallback(NOTE_EMPTY)
        numbers = check(strip_citations(text))
        bad = [n for n in numbers if not n.supported]
        if _is_refusal(text):
            if offline_has_figure():
                return fallback(NOTE_REFUSED)
            if not bad:  # a refusal that states a wrong figure is repaired like any other draft
                return LLMResult(text, numbers, "verified", _mode(attempt), tuple(notes), cited, True, tuple(drafts))
        if not bad:
            if need_figure and not numbers and offline_has_figure():
                return fallback(NOTE_NO_FIGURE)
            if attempt:
                notes.append(NOTE_REPAIRED)
            return LLMResult(text, numbers, "verified", _mode(attempt), tuple(notes), cited, False, tuple(drafts))
        if attempt == 0:
            notes.append(NOTE_FIRST_DRAFT.format(numbers=_listing(bad)))
            messages = [*messages, *_repair_messages(text, bad)]
    if flag_unsupported:
        notes.append(NOTE_FLAGGED.format(numbers=_listing(bad)))
        return LLMResult(flag_numbers(text, numbers), numbers, "unverified", "llm-repaired", tuple(notes), cited,
                         False, tuple(drafts))
    return fallback(NOTE_STILL.format(numbers=_listing(bad)))


def stream_text(text: str) -> Iterator[str]:
    """A final (already verified or flagged) answer text in sentence-sized pieces, for st.write_stream."""
    yield from (m.group(0) for m in _PIECE.finditer(text))


def stream_answer(model: BaseChatModel | None, question: str, evidence: Sequence[EvidenceItem], offline_text: str,
                  check: Check, *, timeout: float, flag_unsupported: bool = False,
                  need_figure: bool = False) -> Generator[str, None, LLMResult]:
    """Draft and verify the whole answer first, then yield it in pieces; the generator returns the LLMResult.

    Nothing is yielded before verification, so an unverified number is never streamed as if verified."""
    result = draft_answer(model, question, evidence, offline_text, check, timeout=timeout,
                          flag_unsupported=flag_unsupported, need_figure=need_figure)
    yield from stream_text(result.text)
    return result


def resolve_citations(text: str, valid: set[int]) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """The text with markers normalised to [n] and ids that are not evidence removed; cited and dropped ids."""
    cited: list[int] = []
    dropped: list[int] = []

    def one(m: re.Match[str]) -> str:
        ids = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
        keep = [i for i in ids if i in valid]
        dropped.extend(i for i in ids if i not in valid and i not in dropped)
        cited.extend(i for i in keep if i not in cited)
        return "".join(f"[{i}]" for i in keep)

    return _CITE.sub(one, text).strip(), tuple(cited), tuple(dropped)


def strip_citations(text: str) -> str:
    """The text without [n] markers: the verifier would read "[2]" as a bare figure of money."""
    return _CITE.sub("", text)


def flag_numbers(text: str, numbers: Sequence[NumberCheck]) -> str:
    """The text with every unsupported number marked ⚠…（未核验）, matched left to right, markers skipped."""
    marks = [m.span() for m in _CITE.finditer(text)]
    out: list[str] = []
    pos = 0
    for n in numbers:
        start = _find_number(text, n.text, pos, marks)
        if start < 0:
            continue
        end = start + len(n.text)
        out.append(text[pos:start])
        out.append(n.text if n.supported else f"⚠{n.text}（未核验）")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _find_number(text: str, number: str, pos: int, marks: Sequence[tuple[int, int]]) -> int:
    """Where `number` stands from `pos` on, as a whole figure (not inside a marker or a longer number)."""
    if not number:
        return -1
    i = text.find(number, pos)
    while i >= 0:
        end = i + len(number)
        inside = any(a <= i < b for a, b in marks)
        glued = (i > 0 and (text[i - 1].isdigit() or text[i - 1] in ".,")) or (
            end < len(text) and number[-1].isdigit() and (text[end].isdigit() or text[end] == "."))
        if not inside and not glued:
            return i
        i = text.find(number, i + 1)
    return -1


def within(timeout: float, call: Callable[[], Any]) -> Any:
    """`call()`'s result, or TimeoutError after `timeout` seconds whatever the provider does.

    The call runs on a daemon thread: a provider that hangs cannot hold the caller (its own client timeout,
    set by make_chat_model, ends the thread later)."""
    if timeout <= 0:
        raise TimeoutError("no time left")
    box: dict[str, Any] = {}
    done = threading.Event()
    context = contextvars.copy_context()  # tracing callbacks live in context variables

    def run() -> None:
        try:
            box["reply"] = context.run(call)
        except BaseException as e:  # handed to the caller's thread
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="budgetqa-llm", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"no reply in {timeout:.1f} s")
    if "error" in box:
        raise box["error"]
    return box["reply"]


def _invoke(model: BaseChatModel, messages: list[BaseMessage], timeout: float) -> str:
    """The model's reply text, or TimeoutError after `timeout` seconds."""
    config: RunnableConfig = {"run_name": "budgetqa.draft", "metadata": {"prompt_version": prompts.PROMPT_VERSION}}
    reply = within(timeout, lambda: model.invoke(messages, config=config))
    return str(reply.text if hasattr(reply, "text") else reply)


def _clean(text: str) -> str:
    """The answer without a reasoning model's <think> block."""
    text = _THINK.sub("", text)
    if "</think>" in text:  # some servers drop the opening tag
        text = text.rsplit("</think>", 1)[1]
    return text.strip()


def _repair_messages(draft: str, bad: Sequence[NumberCheck]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage

    problems = "\n".join(prompts.PROBLEM.format(number=n.text, why=n.problem or prompts.PROBLEM_UNKNOWN)
                         for n in bad)
    return [AIMessage(draft), HumanMessage(prompts.REPAIR.format(problems=problems))]


def _is_refusal(text: str) -> bool:
    return text.lstrip(" “\"「").startswith(CANNOT_ANSWER)


def _status(numbers: Sequence[NumberCheck]) -> Literal["verified", "unverified"]:
    return "verified" if all(n.supported for n in numbers) else "unverified"


def _mode(attempt: int) -> Mode:
    return "llm-repaired" if attempt else "llm"


def _listing(numbers: Sequence[NumberCheck]) -> str:
    return "、".join(dict.fromkeys(n.text for n in numbers))


def _short(e: BaseException) -> str:
    message = " ".join(str(e).split())
    return f"{type(e).__name__}: {message[:120]}" if message else type(e).__name__

