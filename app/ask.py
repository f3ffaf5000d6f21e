"""Question → answer: scope, exact fact lookup or passages, the offline draft, the verifier."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz

from app import align
from app.answer import Answer, Citation, NumberCheck, cite_page, refusal
from app.compose import citation, figure_sentence, fmt, passage_citation, scope_name, where_printed
from app.excerpt import excerpts, sentences, whole
from app.frame import Frame
from app.frame_llm import llm_frame
from app.homophones import Homophones
from app.lexicon import get_lexicon, lexicon
from app.llm import draft_answer, fact_item, passage_item
from app.lookup import (
    GENERIC_LABELS,
    DocFacts,
    Found,
    compute_share,
    find_amount,
    find_prose,
    norm,
    previous_year_column,
    titled_in,
)
from app.mentions import equal_figures, extract, is_amount
from app.operands import (
    OTHER_THAN,
    complement,
    completion,
    difference,
    joined,
    operand,
    part_of,
    rate_of_stated_change,
    share,
)
from app.ranking import children_of, explained_total, rank, ranked_sentence, rows_changed
from app.rephrase import rephrased
from app.retrieve import search
from app.scope import Scope, aliases, resolve
from app.spelling import respelled
from app.targets import NAMES_INDICATOR, find_target, named_project, short_project_name
from app.understand import CHECKED_THEN_ASKED, NEVER_GIVEN, understand
from app.verify import Evidence, verify
from ingest.classification import bare
from ingest.numbers import COUNTERS, MONEY, convert
from ingest.overlap import conflicts
from ingest.prose import STAGE_COLUMNS, completion_column
from store.facts import FactStore
from store.models import Chunk, Document
from store.vectors import VectorIndex

_PROSE_COLUMNS = {"share": ("占比",), "change": ("增长额", "减少额"), "rate": ("增长率", "减少率"),
                  "count": ("数量",), "area": ("面积",)}
TEXT_CHUNKS = 2
# A figure asked, then a yes/no question in a second clause ("…有多少，里面有项目的钱吗")
_COMPOUND = re.compile(r"^(?P<main>[^，,；;？?]*?(多少|几)[^，,；;？?]*)[，,；;？?]\s*(?P<rest>[^，,；;？?]+?(吗|没有|么|呢|是否[^，,；;？?]*)[？?]?)$")
_ASKS_FIGURE = re.compile(r"多少|几|百分|比例|占比|金额")
_REASON_WORDS = "(?:原因|主要是|主要由于|由于|因为|系)"
# "决算数为什么比预算少", "没用完全年预算的原因": why a final figure differs from its budget, and where a 决算 says it
_FINAL_AGAINST_BUDGET = re.compile(r"(决算|实际支出|执行).{0,12}(比|较|低于|小于|少于|高于|大于|超过|没用完|未用完).{0,4}预算|"
                                   r"预算.{0,6}(没用完|未用完|没花完|结余)")
_GAP_REASON = re.compile(r"决算数?[^。]{0,6}(?:小于|大于|低于|高于|超过)[^。]{0,10}预算数?的主要原因")
# "部门预算包括哪些单位": the passage that says which units a budget covers, in any template's words
_ASKS_UNITS = re.compile(r"(包括|包含|有)哪[些几].{0,4}单位|(下属|所属|二级|预算)单位(有|是|包括)|单位构成|由哪些单位")
_COMPOSITION = re.compile(r"单位构成看|编制范围的单位|(本部|本级)(以及|和|及)?下属|下属\d+家|下属.{0,4}单位(包括|有)|"
                          r"(行政|事业)单位\s*\d+\s*家|"
                          r"(预算|决算)包括[:：]?[^。]{0,30}(本级|本部|下属|所属)")
_COVERS = re.compile(r"包括|所属|下属|预算单位|二级单位")  # a department's budget covers its own units
MIN_MENTION = 4  # characters of a name a document must print to be said to speak of it
MAX_LISTED = 8  # documents an unscoped figure answer lists one by one
LISTING_CHARS = 1500  # a listing answer may quote its whole section, not more


class Asker:
    """Answers questions over one fact store and vector index."""

    def __init__(self, store: FactStore, vectors: Callable[[], VectorIndex | None], llm=None,
                 llm_timeout: float = 30.0, frame_model=None) -> None:
        self.store = store
        self._vectors = vectors
        self._doc_facts: dict[str, DocFacts] = {}
        self._doc_chunks: dict[str, list[Chunk]] = {}
        self._table_notes: dict[str, list[Chunk]] = {}  # per document: its tables' passages about themselves
        self._homophones: Homophones | None = None  # built on first use from what is loaded
        self.llm = llm  # a LangChain chat model, or None for the offline composer alone
        self.llm_timeout = llm_timeout
        self.frame_model = frame_model  # a chat model that may parse questions into frames, or None

    def doc_facts(self, doc: Document) -> DocFacts:
        """A document's facts, indexed once and kept (the store is append-only per doc_id)."""
        if doc.doc_id not in self._doc_facts:
            self._doc_facts[doc.doc_id] = DocFacts(doc, self.store.facts(doc.doc_id))
        return self._doc_facts[doc.doc_id]

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's passages in order, read once and kept."""
        if doc_id not in self._doc_chunks:
            self._doc_chunks[doc_id] = self.store.chunks(doc_id)
        return self._doc_chunks[doc_id]

    def table_notes(self, doc_id: str) -> list[Chunk]:
        """A document's passages of a table about itself (its note, or that it is printed empty), picked once."""
        if doc_id not in self._table_notes:
            self._table_notes[doc_id] = [c for c in self.doc_chunks(doc_id) if _table_says(c)]
        return self._table_notes[doc_id]

    def homophones(self) -> Homophones:
        """The respeller of wrong keyboard picks, against the lexicon, the loaded row labels and unit names."""
        if self._homophones is None:
            names = [a for d in self.store.documents() if d.unit_name for a in aliases(d.unit_name)]
            self._homophones = Homophones([*lexicon().entries, *self.store.row_labels(), *names], COUNTERS)
        return self._homophones

    def forget(self, doc_id: str | None = None) -> None:
        """Drop cached indexes after documents change."""
        self._homophones = None
        caches = (self._doc_facts, self._doc_chunks, self._table_notes)
        for cache in caches:
            if doc_id:
                cache.pop(doc_id, None)
            else:
                cache.clear()

    def ask(self, question: str, doc_hint: str | None = None) -> Answer:
        """Answer one question; refuse rather than guess."""
        if (spelled := respelled(question)) != question:  # 預算, ２０２５, 二〇二五年: read as the documents print them
            return replace(self.ask(spelled, doc_hint), question=question)
        meant, picks = self.homophones().respell(question)
        if picks:  # 三工经费, 人元经费: a keyboard's wrong pick, read as the word it sounds like (and said so)
            answer = self._read(meant, doc_hint)
            said = "、".join(f"“{p.typed}”" for p in picks) + "按" + "、".join(f"“{p.meant}”" for p in picks) + "理解"
            return replace(answer, question=question, notes=(said, *answer.notes))
        return self._read(question, doc_hint)

    def _read(self, question: str, doc_hint: str | None) -> Answer:
        """Answer a question spelled as the documents spell it: its framing undone, then understood."""
        if (plain := rephrased(question)) != question:
            # the asker's framing (a lead-in, glosses, examples, precision) read as what it asks
            return replace(self._read(plain, doc_hint), question=question)
        if (asked := _asked_after_the_check(question)) and asked != question:
            # "三公经费，出国费是不是占了一半以上？出国费具体是多少": the figure asked settles the check
            answer = self._read(asked, doc_hint)
            return replace(answer, question=question, notes=(*answer.notes, f"按“{asked}”回答，占比可据此判断"))
        if (two := _COMPOUND.match(question.strip())) and not _ASKS_FIGURE.search(two.group("rest")):
            # "三公经费一共多少，跟去年比有变化吗": the figure asked first is the answer; the rest is said
            answer = self._read(two.group("main"), doc_hint)
            note = f"只回答了“{two.group('main')}”；“{two.group('rest')}”请单独再问"
            return replace(answer, question=question, notes=(*answer.notes, note))
        query = understand(question)
        if self.frame_model is not None:  # the model may read the question; its frame is checked first
            query, note = llm_frame(self.frame_model, query, self.llm_timeout)
            if note:
                answer = self._answer(question, query, doc_hint)
                return replace(answer, notes=(*answer.notes, note))
        return self._answer(question, query, doc_hint)

    def _answer(self, question: str, query: Frame, doc_hint: str | None) -> Answer:
        documents = self.store.documents()
        scope = resolve(query, documents, doc_hint, mentions=self._speaks_of if query.is_text else self._mentions)
        if scope.refusal:
            return refusal(question, scope.refusal)
        if query.not_stated:
            return refusal(question, query.not_stated)
        if query.intent == "who":
            return refusal(question, "预算公开文件不提供人员姓名、地址等信息")
        if query.audit:
            return self._audit_answer(question, scope)
        text = _without_scope(question, scope)
        if query.ranking and (ranked := self._ranking_answer(query, scope, text)):
            return ranked
        if query.is_text:
            return self._text_answer(query, scope, text)
        if targets := [t for d in scope.documents if (t := find_target(self.doc_facts(d), query, text))]:
            return self._figure_answer(query, targets, scope)  # a project's indicator: its 绩效目标表 says it
        if NAMES_INDICATOR.search(text):  # "…项目的满意度指标": a project without a 绩效目标表 has none to give
            return refusal(question, "文件中没有列出这个项目的这项绩效指标（没有附它的绩效目标表，或表中没有这项指标）")
        founds = self._figures(query, scope, text)
        if query.never_given:
            # a sentence may state it all the same ("平均得分100.00分"): that sentence's figure, nothing else
            founds = [f for f in founds if f.how == "prose" and NEVER_GIVEN.search(f.facts[0].raw_text or "")]
            if not founds:
                return refusal(question, "预算公开文件不提供这类数字（如人均、执行进度、经济指标）")
        if given := _given_figures(question, query, founds):
            # "招商引资经费60万元，计划签约项目总投资是多少亿元": the figure the question gives is no answer to it
            founds = [f for f in founds if f not in given]
            if not founds:
                said = fmt(given[0].value) + given[0].unit
                return refusal(question, f"问题里已经给出了{said}（{given[0].label}）；文件中没有列出所问的另一个数字")
        checked = [(f, align.check(query, f, text)) for f in founds]
        misses = [m for _, m in checked if m]
        founds = [f for f, m in checked if not m]
        if not founds and misses:
            miss = misses[0]
            return refusal(question, f"文件中没有单独列出“{miss.asked}”（{miss.reason}：找到的是“{miss.found}”）")
        if not founds and query.intent in ("change", "compare", "rate"):
            # "与上年预算数相同" is said in words; passages that state no change of the subject are no answer
            answer = self._text_answer(query, scope, text)
            asks_items = re.search(r"哪些|什么|怎么样|如何|情况", question) and not re.search(r"多少|百分之|几", question)
            if answer.status == "refused" or asks_items:
                return answer
            if (clause := _stated_change(answer.answer, text, query)) is not None:
                # the passage states the change asked for: its figure is the answer's (checked with the passage)
                figure = _change_figure(clause, query.intent == "rate")
                return replace(answer, value=figure.value, unit=figure.unit) if figure else answer
            if (earlier := self._last_years_frame(query, scope, documents)) is not None:
                # "最新一年比上一年…": the change is not stated, but last year's document is loaded: the two figures
                return self._answer(question, earlier, doc_hint)
            return refusal(question, "文件中没有单独列出这一项与上年相比的变化")
        if not founds and not _ASKS_ANYTHING.search(question) and not scope.previous_year:
            # "商务委 加挂 牌子": keywords typed as into a search box; no figure is named, and a passage that
            # has every keyword may answer
            answer = self._text_answer(query, scope, text)
            keywords = [w for w in text.split() if len(w) >= 2]
            if answer.status != "refused" and keywords and all(w in answer.answer for w in keywords):
                return answer
        if not founds:
            return refusal(question, "文件中没有找到这个数字")
        return self._figure_answer(query, founds, scope)

    def _figures(self, query: Frame, scope: Scope, text: str) -> list[Found]:
        raw: list[Found] = []
        # "2018年的支出总计比2017年多多少" with both years loaded: each year's figure, then their difference
        across_years = len({d.year for d in scope.documents if d.year}) >= 2 and (
            len({d.year for d in scope.documents if d.year in scope.years}) >= 2 or query.every_year or query.extreme)
        intent = "amount" if across_years and query.intent in ("change", "compare", "rate") else query.intent
        # "2019年比2018年…差额": one subject in two years, each document its own year — no operands to split
        operands = _operands_by_document(query, scope) if query.difference else {}
        whole_part = align.focus(text)  # "三公经费里的公务接待费": the part is asked, in the whole's table
        # An unscoped figure over many documents is answered for the first few (MAX_LISTED) and says there are
        # more: past twice that, looking further changes nothing (a sum, a ranking or a comparison needs them all)
        enough = None if (query.total or query.extreme or query.difference or query.every_year or across_years
                          or query.intent in ("change", "compare", "rate")) else 2 * MAX_LISTED + 2
        for doc in scope.documents:
            if enough is not None and len(raw) >= enough:
                break
            facts = self.doc_facts(doc)
            frame, words = operands.get(doc.doc_id, (query, text))
            part = whole_part if frame is query else align.focus(words)
            part_query = part_of(frame, words, part) if part else None
            # "A比B少了多少" in one document reads like a change; its two operands decide first
            two = difference(facts, frame, words) if frame.difference and frame is query and intent != "amount" else None
            if two is not None:
                found = two
            elif intent == "completion":
                stages = (frame.stage,) if frame.stage else (*dict.fromkeys(STAGE_COLUMNS.values()), "预算数")
                found = find_prose(facts, frame, words, tuple(map(completion_column, stages)))
                found = found or completion(facts, frame, words)  # not printed: 决算 ÷ the stage, both printed
            elif intent in _PROSE_COLUMNS:
                found = find_prose(facts, frame, words, _PROSE_COLUMNS[intent])
                if intent == "share" and (not found or align.check(frame, found, words) or not _of_the_part(found, words)):
                    # a share the prose states of another item is no answer: compute the one asked
                    found = share(facts, frame, words) or compute_share(facts, frame, words) or found
                if intent == "rate" and not found:
                    found = rate_of_stated_change(facts, frame, words)  # "比2024年预算减少2,389.52万元": its rate
            elif scope.previous_year:
                disclosure = [self.doc_facts(d) for d in scope.documents if d.disclosure_id == doc.disclosure_id]
                found = _previous_year_figure(facts, disclosure, frame, words)
            else:
                found = complement(facts, frame, words) if OTHER_THAN.search(words) else None
                if part_query:  # "基本支出里，会议费和培训费加起来": the part may itself be a sum
                    found = found or (joined(facts, part_query, part) if frame.total else None)
                    found = found or find_amount(facts, part_query, part)
                found = found or (explained_total(facts, words) if frame.total else None)
                found = found or (joined(facts, frame, words) if frame.total else None)
                found = found or (difference(facts, frame, words) if frame.difference and frame is query else None)
                found = found or find_amount(facts, frame, words)
            if found is not None:
                raw.append(found)
        # One disclosure in two files (prose, tables) answers once, from its tables: they are authoritative.
        by_disclosure: dict[str, Found] = {}
        for f in raw:
            kept = by_disclosure.get(f.doc.disclosure_id)
            if kept is None or (kept.how == "prose" and f.how != "prose"):
                by_disclosure[f.doc.disclosure_id] = f
        raw = [replace(f, dissent=self._dissent(f, raw)) for f in raw if by_disclosure[f.doc.disclosure_id] is f]
        # The 部门 and 单位 budgets of a body with one unit print the same figures: say them once,
        # unless the question compares exactly those two.
        unique = list({(f.doc.unit_name, f.doc.year, f.label, f.value, f.unit): f for f in raw}.values())
        both = "部门" in query.question and "单位" in query.question
        chosen = raw if query.intent == "compare" and both and len(unique) < 2 <= len(raw) else unique
        return sorted(chosen, key=lambda f: _mentioned_at(query, f.doc))

    def _ranking_answer(self, query: Frame, scope: Scope, text: str) -> Answer | None:
        """Rows of one table in the order asked (哪项最多, 排前三, 排第几, 超过…的有哪些); None if no table has them."""
        if query.ranking in ("new", "gone"):
            return self._rows_changed_answer(query, scope, text)
        for doc in sorted(scope.documents, key=lambda d: d.table_count == 0):  # a disclosure's tables file first
            facts = self.doc_facts(doc)
            ranked = rank(facts, query, text)
            if ranked is None:
                continue
            first = ranked.rows[0]
            sentence, value, unit = ranked_sentence(ranked, query, where_printed(first, doc), scope_name(doc))
            shown = ranked.picked or ranked.rows[:1]
            numbers = verify(sentence, Evidence([facts], (), list(shown), [f.row_label for f in shown]))
            status = "verified" if all(n.supported for n in numbers) else "unverified"
            cited = list(dict.fromkeys((*shown, *ranked.rows)))
            return Answer(query.question, status, sentence, value, unit or None, numbers,
                          tuple(citation(f, doc) for f in cited))
        return None

    def _rows_changed_answer(self, query: Frame, scope: Scope, text: str) -> Answer | None:
        """"比2018年多了哪个科目": the items one year's table prints under the named row and the other year's does
        not; None unless both years' tables print the row."""
        years = sorted({y for y in query.years if any(d.year == y for d in scope.documents)})
        if len(years) < 2:
            return None
        found = {}
        for year in (years[0], years[-1]):
            for doc in sorted((d for d in scope.documents if d.year == year), key=lambda d: d.table_count == 0):
                if (rows := children_of(self.doc_facts(doc), query, text)) is not None:
                    found[year] = (doc, rows)
                    break
        if len(found) < 2:
            return None
        (early_doc, early), (late_doc, late) = found[years[0]], found[years[-1]]
        new = query.ranking == "new"
        changed = rows_changed(early, late, new)
        doc = late_doc if new else early_doc
        head = f"{scope_name(late_doc)}{late[0].row_label}下比{years[0]}年{'多' if new else '少'}列了"
        if changed:
            listed = "、".join(f"{bare(f.row_label)}（{fmt(f.value)}{f.unit}）" for f in changed)
            whose = "" if new else f"{years[0]}年的数，"
            sentence = f"{head}：{listed}（{whose}{where_printed(changed[0], doc)}）。"
        else:
            sentence = f"{scope_name(late_doc)}{late[0].row_label}下列出的科目与{years[0]}年相同。"
        shown = changed or [late[0]]
        numbers = verify(sentence, Evidence([self.doc_facts(early_doc), self.doc_facts(late_doc)], (), shown,
                                            [f.row_label for f in shown]))
        status = "verified" if all(n.supported for n in numbers) else "unverified"
        cited = [early[0], late[0], *changed]
        docs = {early_doc.doc_id: early_doc, late_doc.doc_id: late_doc}
        return Answer(query.question, status, sentence, None, None, numbers,
                      tuple(citation(f, docs[f.doc_id]) for f in dict.fromkeys(cited)))

    def _last_years_frame(self, query: Frame, scope: Scope, documents: Sequence[Document]) -> Frame | None:
        """The question asked of this year and the one before, when it compares with last year (比上年) and one
        unit's one year is in scope while that unit's previous year is loaded too; else None."""
        years = {d.year for d in scope.documents}
        units = {d.unit_name for d in scope.documents}
        if len(years) != 1 or len(units) != 1 or None in years or len(query.years) > 1 or not _ASKED_AGAINST_LAST_YEAR.search(
                query.question):
            return None
        year = years.pop()
        if not any(d.unit_name in units and d.year == year - 1 for d in documents):
            return None
        return replace(query, years=(year, year - 1), base_year=year - 1, relative_years=())

    def _project_named(self, scope: Scope, text: str) -> str | None:
        """The short name of a project the question names (a row of a 项目支出表 or a 绩效目标表's project)."""
        names = sorted({f.row_path[0] if f.table_kind == "绩效目标表" else f.row_label for d in scope.documents
                        for f in self.doc_facts(d).facts if f.table_kind in ("项目支出表", "绩效目标表") and f.row_path})
        project = named_project([n for n in names if len(n) >= 4], norm(text))
        return short_project_name(project) if project else None

    def _mentions(self, name: str, documents: Sequence[Document]) -> bool:
        """Whether the documents name it among the units their budget covers ("本部门预算还包括…X办公室"):
        a sentence with its last four or more characters and 包括/所属/下属, more than the unit's own name."""
        own = {a for d in documents for a in aliases(d.unit_name)}
        tails = [t for t in _tails(name) if not any(t in a for a in own)]
        return any(t in sentence and _COVERS.search(sentence) for d in documents for c in self.doc_chunks(d.doc_id)
                   if c.kind == "text" for sentence in sentences(c.text) for t in tails)

    def _speaks_of(self, name: str, documents: Sequence[Document]) -> bool:
        """Whether the documents' passages print the name, or its last four or more characters, at all."""
        tails = _tails(name)
        return any(t in c.text for d in documents for c in self.doc_chunks(d.doc_id) if c.kind == "text" for t in tails)

    def _dissent(self, kept: Found, founds: list[Found]) -> tuple[Found, ...]:
        """The other files of kept's disclosure that print its figure otherwise: the same cell (or the same
        sentence's subject) with another value. A prose file and its tables file of other items do not count."""
        own = self.doc_facts(kept.doc).facts
        return tuple(o for o in founds if o is not kept and o.doc.disclosure_id == kept.doc.disclosure_id
                     and not equal_figures(o.value, o.unit, kept.value, kept.unit) and conflicts(o.facts[:1], own))

    def _figure_answer(self, query: Frame, founds: list[Found], scope: Scope) -> Answer:
        if query.extreme and len(founds) > 1 and _same_unit(founds):  # "哪家最多": the highest first
            pick = (max if query.extreme == "max" else min)(founds, key=lambda f: f.value)
            founds = [pick, *(f for f in founds if f is not pick)]
        more = len(founds) - MAX_LISTED
        founds = founds[:MAX_LISTED]  # an unscoped question over many documents: the first few, and say so
        sentences, citations, cited, numbers, shown = [], [], [], [], []
        for found in founds:
            sentence, value, unit = figure_sentence(found, query.want_unit, "预算" if found.doc.kind == "预算" else "决算")
            sentences.append(sentence)
            shown.append((value, unit))
            citations += [citation(f, found.doc) for f in (*found.facts, *found.inputs)]
            cited += [*found.facts, *found.inputs]
            # each document's sentence is checked against that document's facts alone
            # (a figure may draw on both files of one disclosure: the tables' amount, the prose's change)
            files = [found.doc.doc_id, *{f.doc_id for f in found.inputs} - {found.doc.doc_id}]
            own = Evidence([self._doc_facts[i] for i in files if i in self._doc_facts] or [self.doc_facts(found.doc)],
                           (), [*found.facts, *found.inputs], [found.label])
            numbers += verify(sentence, own)
            for other in found.dissent:  # never merged silently: the other file's figure, said and checked
                said = _dissent_sentence(found, other)
                sentences.append(said)
                citations += [citation(f, other.doc) for f in other.facts]
                numbers += verify(said, Evidence([self.doc_facts(other.doc)], (), list(other.facts), [other.label]))
                if other.how != "prose":  # two tables disagree: which is right, the documents do not say
                    numbers.append(NumberCheck(fmt(found.value), found.value, found.unit, False, (),
                                               f"另一份文件《{other.doc.file_name}》的表格中为{fmt(other.value)}{other.unit}"))
        value, unit = shown[0]  # the asked figure: the first document's, in the unit asked for
        units = {f.doc.disclosure_id for f in founds}
        comparing = query.intent in ("compare", "change", "rate") or query.difference
        evidence = Evidence([self.doc_facts(f.doc) for f in founds], (), cited, [f.label for f in founds])
        summary = ""
        common = _in_one_unit(founds, query.want_unit)  # 元 of one document, 万元 of another: one unit
        pair = founds  # what a comparison compares: over a span of years (2017 到 2019), its last and first
        if comparing and not query.extreme and len(units) > 2 and len(scope.years) > 2 and \
                len({f.doc.year for f in founds}) == len(founds):
            by_year = sorted(founds, key=lambda f: f.doc.year or 0)
            pair = [by_year[-1], by_year[0]]
        if query.total and not comparing and len(query.years) >= 2 and len(founds) < len(query.years):
            # "2017、2018、2019三年合计": a sum of the years found is not the sum asked
            have = {f.doc.year for f in founds}
            missing = "、".join(f"{y}年" for y in query.years if y not in have)
            if missing:
                return refusal(query.question, f"问的是{len(query.years)}年之和，{missing}的这一项没有找到")
        converted = bool(common) and not _same_unit(founds)
        if len(founds) > 1 and query.extreme and len(units) == len(founds) and _same_unit(founds):
            # "哪年最高": the figures side by side, the highest (or lowest, put first) named again
            pick = founds[0]
            value, unit = pick.value, pick.unit
            word = "最高" if query.extreme == "max" else "最低"
            summary = f"其中{pick.label}{word}的是{scope_name(pick.doc)}，为{fmt(value)}{unit}。"
        elif len(pair) > 1 and comparing and len({f.doc.disclosure_id for f in pair}) == 2 and \
                (two := _in_one_unit(pair, query.want_unit)) and more <= 0:
            a, b = two[0], two[1]
            if query.base_year and a.doc.year == query.base_year:  # "和2017年比，2019年…": 2017 is the base
                a, b = b, a
            base = b
            if query.less:  # "A比B少多少", "比2017年减少多少": how far below B, as a positive figure
                a, b = b, a
            elif not query.more and a.value < b.value:  # "A和B差多少": the gap, larger first
                a, b = b, a
            value = a.value - b.value
            unit = a.unit
            what = f"的{a.label}" if a.label == b.label else f"（{a.label}与{b.label}）"
            u = unit if converted else ""  # a converted figure says its unit: it is checked in that unit
            summary = f"两者{what}相差{fmt(value)}{unit}（{fmt(a.value)}{u} − {fmt(b.value)}{u}）。"
            if query.intent == "rate" and base.value:
                value = (value / base.value * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
                unit = "%"
                word = "下降" if query.less else "增长"
                summary = (f"{scope_name((a if base is b else b).doc)}比{scope_name(base.doc)}{word}{fmt(value)}%"
                           f"（({fmt(a.value)} − {fmt(b.value)}) ÷ {fmt(base.value)}）。")
        elif (len(founds) > 1 and query.total and len(units) == len(founds) and common and more <= 0
              and (len(scope.units) > 1 or len(scope.years) > 1 or query.every_year)):
            # a sum across documents only of those the question names: "收入总计" over every loaded
            # document is each one's total, not their sum
            value = sum((f.value for f in common), common[0].value * 0)
            unit = common[0].unit
            same = len({f.label for f in founds}) == 1  # else each figure is named by its own sentence above
            what = founds[0].label.removesuffix('合计') if same else "各项"
            u = unit if converted else ""
            summary = f"以上{what}合计{fmt(value)}{unit}（{' + '.join(fmt(f.value) + u for f in common)}）。"
        elif len(founds) > 1:
            several = len(query.years) >= 2 or query.every_year  # the years were asked for: one line each
            sentences.insert(0, "各年的数字如下：" if several else "已加载的以下文件都有这一项：")
        changes = ("增长额", "减少额", "增长率", "减少率")
        if query.difference and not summary and not any(f.how == "difference" or f.column in changes for f in founds):
            # "A比B多多少" with one side not found: half an operation is no answer
            found = "、".join(f"{scope_name(f.doc)}{f.label}" for f in founds)
            return refusal(query.question, f"问的是两项之差，只找到了其中一项：{found}")
        if more > 0:
            sentences.append("另有更多已加载的文件也有这一项；请在问题中写明单位或年度。")
        if summary:
            sentences.append(summary)
            numbers += verify(summary, evidence)  # a sum or difference is checked against its inputs
        text = "".join(sentences)
        numbers = tuple(numbers)
        status = "verified" if all(n.supported for n in numbers) else "unverified"
        offline = Answer(query.question, status, text, value, unit, numbers, tuple(_dedupe(citations)))
        pairs = list({f.fact_id: (f, found.doc) for found in founds for f in (*found.facts, *found.inputs)}.values())
        items = [fact_item(i, f, d) for i, (f, d) in enumerate(pairs, 1)]
        sources = {f"fact:{f.fact_id}": citation(f, d) for f, d in pairs}
        return self._with_llm(offline, items, evidence, sources, need_figure=True)

    def _with_llm(self, offline: Answer, items, evidence: Evidence, sources: dict[str, Citation],
                  need_figure: bool) -> Answer:
        """Let the configured LLM write the answer from numbered evidence; the verifier has the last word.

        The asked figure (value, unit) always comes from the fact lookup, never from the model's text."""
        if self.llm is None or offline.status == "refused":
            return offline
        result = draft_answer(self.llm, offline.question, items, offline.answer, lambda t: verify(t, evidence),
                              timeout=self.llm_timeout, need_figure=need_figure)
        notes = offline.notes + result.notes
        if result.offline:
            return replace(offline, mode=result.mode, notes=notes)
        if result.refused:
            return replace(refusal(offline.question, result.text.split("：", 1)[-1], mode=result.mode), notes=notes)
        cited = [sources[items[n - 1].source] for n in result.cited if items[n - 1].source in sources]
        return replace(offline, answer=result.text, status=result.status, numbers=result.numbers,
                       citations=tuple(cited) or offline.citations, mode=result.mode, notes=notes)

    def _audit_answer(self, question: str, scope: Scope) -> Answer:
        """"这份文件有没有不一致的地方？": the consistency audit, told in sentences with pages."""
        from app.audit import audit_stored

        lines, citations, messages = [], [], []
        for doc in scope.documents:
            findings = audit_stored(self.store, [doc])
            real = [f for f in findings if f.severity != "rounding"]
            rounding = len(findings) - len(real)
            head = f"{scope_name(doc)}{doc.scope}{doc.kind}："
            if not findings:
                lines.append(head + "各表勾稽关系一致，未发现不一致之处。")
                continue
            lines.append(head + f"发现{len(real)}处需要核对的问题" + (f"，另有{len(findings) - len(real)}处"
                         "万元取整造成的尾差" if rounding else "") + "。")
            for f in real[:8]:
                lines.append(f"- 第{'、'.join(map(str, f.pages))}页：{f.message}")
                messages.append(f.message)
                citations.append(Citation(doc.doc_id, doc.unit_name, doc.year, f.pages[0] if f.pages else 0,
                                          f.table, f.row, f.column, None))
        text = "\n".join(lines)
        # The findings quote the documents' figures (checked like any answer) and the sums and
        # differences the audit computed from them (marked as such, never shown as verified).
        evidence = Evidence([self.doc_facts(d) for d in scope.documents], (), ())
        numbers = tuple(n if n.supported else replace(n, problem="未能与文件中某一行的数字直接对上（可能是审核计算的合计或差额）")
                        for n in verify("\n".join(messages), evidence))  # counts and page lists are not figures
        status = "verified" if all(n.supported for n in numbers) else "unverified"
        return Answer(question, status, text, numbers=numbers, citations=tuple(citations),
                      notes=("一致性检查的结果：合计与差额为审核计算所得",))

    def _whole_section(self, first: Chunk, limit: int = LISTING_CHARS) -> list[Chunk]:
        """A list runs on past one passage ("设10个内设机构，包括：（一）…（十）"): the passages that
        follow under the same heading, up to a limit."""
        same = [c for c in self.doc_chunks(first.doc_id) if c.kind == "text"
                and c.metadata.get("headings") == first.metadata.get("headings")]
        ids = [c.chunk_id for c in same]
        start = ids.index(first.chunk_id) if first.chunk_id in ids else 0
        if sum(len(c.text) for c in same[: start + 1]) <= limit:
            start = 0  # the section from its start, when that still ends with the passage found
        out, size = [], 0
        for c in same[start:]:
            if out and size + len(c.text) > limit:
                break
            out.append(c)
            size += len(c.text)
        return out or [first]

    def _text_answer(self, query: Frame, scope: Scope, text: str) -> Answer:
        doc_ids = [d.doc_id for d in scope.documents]
        # a figure the question quotes ("为什么下降了45.44%") is in the passage that explains it
        figures = [n.replace(",", "") for n in re.findall(r"\d[\d,]*\.\d+|\d{3,}", text) if not re.fullmatch(r"20\d\d", n)]
        terms = [*_subject_words(text, query), *figures]
        glossary = "名词解释" if query.intent == "definition" else None
        # extra candidates are read from the first few documents only: a glossary (or the passage on which units a
        # budget covers) reads alike in every document, and reading all of a thousand documents' passages costs seconds
        nearby = doc_ids[:MAX_LISTED]
        extra = [c for d in nearby for c in self.doc_chunks(d) if glossary and glossary in c.metadata.get("headings", "")]
        composition = _COMPOSITION if _ASKS_UNITS.search(query.question) else None
        if composition is not None:  # the passage that says which units a budget covers, wherever search ranks it
            extra += [c for d in nearby for c in self.doc_chunks(d) if c.kind == "text" and composition.search(c.text)]
        named = [n for t in query.terms if len(n := norm(t)) >= 3 and n not in GENERIC_LABELS]
        gap = query.intent == "reason" and not composition and bool(_FINAL_AGAINST_BUDGET.search(query.question))
        if gap:  # "决算为什么比预算少": a 决算 explains each gap in its template's words, after the item's figures
            subject = f"(?:{'|'.join(map(re.escape, named))})[^。]*?(?:。[^。]*?)?" if named else ""
            composition = re.compile(subject + _GAP_REASON.pattern)
        if query.intent == "reason" and not composition and named:
            # "…为啥一下子少了三分之二": the passage that gives the subject's reason, not one that names it
            composition = re.compile(f"(?:{'|'.join(map(re.escape, named))})[^。]*?(?:。[^。]*?)?{_REASON_WORDS}")
        if composition is None and (project := self._project_named(scope, text)):
            # "给食品公司拨的钱用来干什么": the project's own 绩效目标表 or 经费情况说明 says what it is for
            composition = re.compile(re.escape(project))
        hits = search(text, self.store, self._vectors(), doc_ids, k=6, kinds=("text",), terms=terms,
                      prefer_section=glossary, extra=extra, prefer_text=composition)
        hits = [(c, score) for c, score in hits if not _CONTENTS_PAGE.search(c.text.strip())]
        # "…功能分类预算表为什么是空的": what the table named says of itself (its note, "本表无数据") comes first
        # (only a question that names a table: reading every document's table notes costs seconds at a thousand)
        own = [c for d in doc_ids for c in self.table_notes(d) if titled_in(c.metadata["table"], text)] if "表" in text else []
        hits = [(c, 1.0) for c in own] + [(c, score) for c, score in hits if c not in own]
        if not hits:
            return refusal(query.question, "文件中没有找到相关内容")
        docs = {d.doc_id: d for d in scope.documents}
        chosen: list[Chunk] = [c for c, _ in hits[:TEXT_CHUNKS]]
        if query.intent in ("listing", "duty"):  # a list runs on past one passage
            chosen = self._whole_section(chosen[0]) + [c for c in chosen[1:]]
        # only the sentences that answer; a list or duties question gets its whole section
        if gap:  # "决算数小于预算数的主要原因：…" is quoted, though it names no subject
            terms = [*terms, *(m.group() for c in chosen if (m := _GAP_REASON.search(c.text)))]
        cut = [whole(c) for c in chosen] if query.intent in ("listing", "duty") else excerpts(chosen, terms)
        chosen = [e.chunk for e in cut]
        parts, said = [], None
        for e in cut:
            doc = docs[e.chunk.doc_id]
            if doc.doc_id != said:  # each document's passages under its own name
                parts.append(f"据{scope_name(doc)}{doc.scope}{doc.kind}公开文件：")
                said = doc.doc_id
            parts.append(e.text)
        answer_text = "\n".join(parts)
        evidence = Evidence([self.doc_facts(docs[c.doc_id]) for c in chosen], chosen, ())
        numbers = verify(answer_text, evidence)
        status = "verified" if all(n.supported for n in numbers) else "unverified"
        citations = [passage_citation(c, docs[c.doc_id]) for c in chosen]
        offline = Answer(query.question, status, answer_text, None, None, numbers, tuple(citations))
        items = [passage_item(i, c, docs[c.doc_id]) for i, c in enumerate(chosen, 1)]
        sources = {f"passage:{c.chunk_id}": passage_citation(c, docs[c.doc_id]) for c in chosen}
        return self._with_llm(offline, items, evidence, sources, need_figure=False)


def _tails(name: str) -> list[str]:
    """The name and its endings of MIN_MENTION or more characters, longest first (…博物馆管理建设办公室)."""
    return [name[-k:] for k in range(len(name), MIN_MENTION - 1, -1)]


def _asked_after_the_check(question: str) -> str | None:
    """The figure question after a yes/no check, when it names its own item: the question's lead (unit, year) and it."""
    checked = CHECKED_THEN_ASKED.search(question)
    if not checked:
        return None
    lex = get_lexicon()
    own = [m for m in lex.scan(checked.group("ask")) if m.kind in ("term", "code")]
    first = next((m for m in lex.scan(question) if m.kind in ("term", "code", "column")), None)
    if not own or first is None or (at := question.find(first.text)) < 0:
        return None
    return question[:at] + checked.group("ask").strip()


def _table_says(chunk: Chunk) -> bool:
    """A passage of a table about itself: its note, or that it is printed empty."""
    meta = chunk.metadata
    return bool(meta.get("table")) and (bool(meta.get("empty")) or meta.get("headings") == meta.get("table"))


# Words that make a question ask something (a figure, a yes/no, a list); keywords alone ask none of them
_ASKS_ANYTHING = re.compile(r"多少|几|吗|呢|什么|哪|怎么|如何|为何|为什么|是否|有没有|金额|数额|[？?]|是|多大|占|比")


# A cover or contents heading ("江苏省政协办公厅 2018 年度部门预算公开目 录") names the unit and year, and says nothing
_CONTENTS_PAGE = re.compile(r"目\s*录$")


# A clause that states a change: a change word with its figure, or "unchanged" in words.
# (相同/一致 against a year only: "应与《收支预算总表》数对应一致" states no change)
_STATED_CHANGE = re.compile(r"(增加|减少|增长|下降|降低|上升)了?\s*[\d.,]+|持平|(上年|去年|\d{4}\s*年)[^，,。；]{0,10}(相同|一致)|"
                            r"不变|没有变化")


def _stated_change(answer: str, text: str, query: Frame) -> str | None:
    """The clause(s) of the passages that name the asked subject and state its change, or None.

    "基本支出人员经费增加" (a reason, no figure) is not the change of 基本支出."""
    words = [w for w in _subject_words(text, query) if len(w) >= 2]
    clauses = re.split(r"[，。；;\n]|,(?!\d{3})", answer)  # "1,050.79" is one figure, not two clauses
    for i, clause in enumerate(clauses):
        if not any(w in norm(clause) for w in words):
            continue
        # "基本支出预算数为6,522.75万元。与上年相比增加844.58万元": the change may open the next clause
        following = [c for c in clauses[i + 1:i + 3] if re.match(r"\s*(与上年|比上年|较上年|同比|比\d{4})", c)]
        stating = [c for c in (clause, *following) if _STATED_CHANGE.search(c)]
        if stating:
            # the change and its rate may stand in consecutive clauses ("增加844.58万元，增长14.87%")
            start = (clause, *following).index(stating[0])
            return "，".join((clause, *following, *clauses[i + 1 + len(following):i + 3 + len(following)])[start:])
    return None


def _change_figure(clause: str, want_rate: bool):
    """The figure a change clause states: its rate when a rate is asked, else its amount."""
    from app.mentions import extract

    after = clause[_STATED_CHANGE.search(clause).start():]
    figures = [m for m in extract(after) if m.value is not None and (m.unit == "%") == want_rate and m.unit]
    return figures[0] if figures else None


_NO_SUBJECT = re.compile(r"[的年度了呢吗么啊呀没增减多少高低更\s？?，,。]|谁家|哪家|哪个|哪一个|谁|多少|几|增加|减少|增长|下降|降低|上升|提高|相比|比较|部门|单位|预算|决算")
_OPERAND_SPLIT = re.compile(r"(?<![增减])比(?!例|重)|较|和|与|跟|同")


def _dissent_sentence(found: Found, other: Found) -> str:
    """另一份文件《…》（同一单位、年度）中公务接待费为9.00万元（第2页），与此不一致，请核对。"""
    where = "说明" if other.how == "prose" else "表格"
    ruling = "以表格为准" if other.how == "prose" and found.how != "prose" else "请核对原件（一致性检查会列出差异）"
    page = other.facts[0].page if other.facts else 0
    return (f"另一份文件《{other.doc.file_name}》（同一单位、年度）的{where}中{other.label}为{fmt(other.value)}{other.unit}"
            f"（{cite_page(page, other.doc.page_label(page))}），与此不一致，{ruling}。")


def _operands_by_document(frame: Frame, scope: Scope) -> dict[str, tuple[Frame, str]]:
    """"A单位X比B单位Y多多少" over two disclosures: each document's own operand (its unit or year is named
    in that part), looked up by that part's subject, or by A's when B names none ("2019年X比2017年多")."""
    if len({d.disclosure_id for d in scope.documents}) < 2:
        return {}
    question = frame.question
    split = _OPERAND_SPLIT.search(question)
    if not split:
        return {}
    a_part, b_part = question[: split.start()], question[split.end():]
    texts = [_COMPARISON_WORDS.sub(" ", _without_scope(p, scope)) for p in (a_part, b_part)]
    named = [bool(_NO_SUBJECT.sub("", t)) for t in texts]
    out = {}
    for doc in scope.documents:
        names = [a for a in aliases(doc.unit_name) if a in question] + [f"{doc.scope}{doc.kind}"]
        names += [f"{doc.year}年"] if doc.year else []
        side = int(any(n in b_part for n in names) and not all(n in a_part for n in names if n in b_part))
        own = side if named[side] else 1 - side  # "A和B的X差多少": the subject is named once, for both
        out[doc.doc_id] = (operand(frame, texts[own]) if own else frame, texts[own])
    return out


def _previous_year_figure(facts: DocFacts, disclosure: Sequence[DocFacts], query: Frame, text: str) -> Found | None:
    """A figure of the year before the document's: its 上年 column, else this year's amount less the
    change the disclosure's prose states for it ("443.50万元，与上年数相比，减少0.8万元" → 444.30)."""
    found = find_amount(facts, query, text)
    year = facts.doc.year - 1
    if found and found.how != "prose" and all(previous_year_column(f.column, year) for f in found.facts):
        return found
    current = find_amount(facts, replace(query, years=(facts.doc.year,)), text)
    if not current or len(current.facts) != 1 or current.unit not in MONEY or not current.value:
        return None
    asked = re.sub(r"(合计|小计|总计)$", "", norm(current.label))
    # The change belongs to this figure when the prose states this figure (in any unit: the tables may
    # print 元 and the prose 万元) for the change's subject; the sum is then taken in the prose's unit.
    for other in disclosure:
        for change in (f for f in other.prose if f.column in ("增长额", "减少额") and f.unit in MONEY
                       and _AGAINST_LAST_YEAR.search(f.raw_text)):
            now = next((f for f in other.prose if f.column == "金额" and f.unit == change.unit
                        and norm(f.row_label) == norm(change.row_label)
                        and equal_figures(f.value, f.unit, current.value, current.unit)), None)
            named = norm(change.row_label)  # (norm drops ordinals and the （类）（款）（项） markers)
            if now is None or not (named in asked or asked in named):  # equal figures of unrelated items
                continue
            base = current.facts[0] if now.unit == current.unit else now
            value = base.value - change.value if change.column == "增长额" else base.value + change.value
            return Found(facts.doc, (base,), value, base.unit, current.label, current.column, "previous", (change,))
    return None


_COMPARISON_WORDS = re.compile(r"(相差|差|多|少|高|低)了?(多少|几)(万元|元|辆|个|人)?|相差|差额|(?<![增减])比(?!例|重)|相比|较")
# A change stated against last year ("与上年相比增加", "比2016年减少"), not a name with 增长 in it (商销稳增长).
_AGAINST_LAST_YEAR = re.compile(r"(比|较|与|同|和)(上年|去年|上一年|20\d{2}\s*年)|同比")


def _mentioned_at(frame: Frame, doc: Document) -> tuple[int, int, int]:
    """Where the question names a document's year, then its unit, for ordering comparisons
    ("2019年比2018年": the 2019 document first, whichever unit name stands before both); years it
    does not name (这三年) in order."""
    question = frame.question
    year = frame.years.index(doc.year) if doc.year in frame.years else len(frame.years)
    units = [p for p in (question.find(a) for a in aliases(doc.unit_name)) if p >= 0]
    return (year, min(units, default=len(question)), doc.year or 0)


_ASKED_AGAINST_LAST_YEAR = re.compile(r"(比|较|与|和|跟)(上一?年|去年|上年度)")  # the question's, not a sentence's
_CONFIRMS = re.compile(r"吗|对不对|是不是|是否|对得上|核对|确认|没错")


def _given_figures(question: str, query: Frame, founds: Sequence[Found]) -> list[Found]:
    """The found figures the question itself states as a money amount, when it asks for an amount (not to confirm)."""
    if query.intent != "amount" or _CONFIRMS.search(question):
        return []
    stated = [m for m in extract(question) if is_amount(m) and m.value is not None and m.unit]
    return [f for f in founds if any(equal_figures(f.value, f.unit, m.value, m.unit) for m in stated)]


def _of_the_part(found: Found, text: str) -> bool:
    """Whether a stated share is of the part the question puts before 占 ("食品公司经费占全部项目支出": a share
    stated of 项目支出 is the base's own, no answer)."""
    at = text.find("占")
    if at <= 0:
        return True
    # the part is what stands right before 占: "基本支出560.30万元里，人员经费占…" asks of 人员经费, in 基本支出
    pieces = [p for p in re.split(r"[，,。；;：:]|里面?|之中|当中|中的?", text[:at]) if norm(p)]
    part, label = norm(pieces[-1] if pieces else text[:at]), norm(found.label)
    return bool(label) and (label in part or part in label or fuzz.partial_ratio(label, part) >= PART_NAMED)


PART_NAMED = 80


def _same_unit(founds: Sequence[Found]) -> bool:
    return len({f.unit for f in founds}) == 1


def _in_one_unit(founds: Sequence[Found], wanted: str | None) -> list[Found] | None:
    """The figures in one unit: as they are, or money converted to the unit asked (else 万元); None when
    they are of kinds that do not add up (辆 and 万元)."""
    units = {f.unit for f in founds}
    if len(units) == 1:
        return list(founds)
    if not units <= set(MONEY):
        return None
    to = wanted if wanted in MONEY else "万元"
    cent = Decimal("0.01")
    return [replace(f, value=convert(f.value, f.unit, to).quantize(cent, ROUND_HALF_UP), unit=to) for f in founds]


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        key = (c.doc_id, c.page, c.table, c.row, c.column, c.fact_id)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _subject_words(text: str, query: Frame) -> list[str]:
    """What a prose question is about, as words a passage should contain."""
    from app.lookup import key_phrases, norm

    return list(dict.fromkeys([*key_phrases(text), *(norm(t) for t in query.terms)]))


_BODY_WORD = re.compile(r"政协|人大|政府|局|委|厅|办|部|街道|镇")


def _alone(piece: str) -> str:
    """A pattern for a piece of a name standing alone: followed by a year, 的, a pause or nothing."""
    return re.escape(piece) + r"(?=\d|年|的|[，,。？?：:\s（(]|$)"


def _without_scope(question: str, scope: Scope) -> str:
    """The question with unit names and years taken out, so they are not mistaken for row labels."""
    text = question
    names = sorted({a for d in scope.documents for a in aliases(d.unit_name)}, key=len, reverse=True)
    for name in names:
        text = text.replace(name, " ")
    for name in names:  # "江苏省政协的主要职能": the name cut short (江苏省政协[办公厅]) is still the unit's
        cut = next((name[:n] for n in range(len(name) - 1, 3, -1) if name[:n] in text), "")
        if cut:
            text = text.replace(cut, " ")
    for name in names:  # "省政协": a piece of 江苏省政协办公厅 that still names the body
        pieces = (name[i:i + n] for n in range(len(name) - 1, 2, -1) for i in range(1, len(name) - n + 1))
        # …not where it begins a longer name (省政协全委会 is a 专项, not the body)
        if piece := next((p for p in pieces if _BODY_WORD.search(p) and re.search(_alone(p), text)), ""):
            text = re.sub(_alone(piece), " ", text)
    text = re.sub(r"(^|\s)[和与及跟、]+(?=\s)", " ", text)  # "商务委和区政府办…": the joining word goes too
    return re.sub(r"20\d{2}\s*年度?", " ", text)

