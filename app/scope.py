"""Which loaded documents a question is about: unit names (and their short forms), years, 预算/决算."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.data import load_toml
from app.frame import Frame
from store.models import Document

# Administrative prefixes a short form drops: 上海市普陀区商务委员会 → 普陀区商务委员会 → 商务委员会.
_PLACE = re.compile(r"^(.{1,8}?(省|自治区|市|自治州|盟|地区))?(.{1,8}?(区|县|旗|市))?")
# Unit-like phrases in a question, to notice a unit that is not loaded.
_UNITLIKE = re.compile(
    r"([\u4e00-\u9fff]{1,8}(省|市|区|县|州))?[\u4e00-\u9fff]{0,10}?"
    # a party committee's department (区委组织部, 区委社会工作部) is its own body, not the committee (区委)
    r"(财政局|商务局|教育局|公安局|卫健委|卫生健康委员会|人民政府办公室|政府办|委[\u4e00-\u9fff]{1,5}?部(?!门|分)|委员会|管理局|局|委|厅|办公室|中心|医院|学校|"
    r"街道办事处|街道|镇|乡|人大办公厅|人大常委会|政协办公厅|政协|法院|检察院)"
)
# Bodies whose name alone is a unit (万里街道, 长征镇, 省法院): three characters are enough to be a stranger.
_UNIT_NOUN = re.compile(r"(街道|镇|乡|人大|政协|法院|检察院|办公厅)$")
_JOINERS = re.compile(r"[和与及跟同、的年比]")
_ABBREVIATIONS = (("人民政府办公室", "政府办"), ("委员会", "委"), ("办公室", "办"), ("人民政府", "政府"),
                  ("人民代表大会常务委员会", "人大"), ("人民检察院", "检察院"), ("高级人民法院", "法院"),
                  ("人民法院", "法院"), ("办公厅", "办"), ("街道办事处", "街道"),
                  ("区政府办", "区府办"), ("市政府办", "市府办"), ("县政府办", "县府办"))
# Words a short name drops: 中共…区委社会工作部 → 社会工作部, …人民政府万里街道办事处 → 万里街道.
_GENERIC_PREFIX = re.compile(r"^(中共|中国共产党)")
_PARTY_COMMITTEE = re.compile(r"^(委|党委)(?=.{2,})")
_GOVERNMENT = re.compile(r"^人民政府(?!办公)(?=.{3,})")


Mentions = Callable[[str, Sequence[Document]], bool]


@dataclass(frozen=True)
class Scope:
    """The documents a question may be answered from, or why none can."""

    documents: tuple[Document, ...]
    years: tuple[int, ...] = ()
    units: tuple[str, ...] = ()
    refusal: str = ""
    previous_year: int | None = None  # the year asked is the one before these documents' (their 上年)


def aliases(unit_name: str) -> set[str]:
    """Names staff use for a unit: the full name, without its place prefix or generic words, abbreviated."""
    names = {unit_name}
    bare = _GENERIC_PREFIX.sub("", unit_name)
    names.add(bare)
    m = _PLACE.match(bare)
    if m and m.group(0) and len(bare) - len(m.group(0)) >= 2:
        core = bare[len(m.group(0)):]
        place = m.group(3) or m.group(1)  # the nearest place: 普陀区商务委员会, 忻州市商务局
        cores = {core}
        for generic in (_PARTY_COMMITTEE, _GOVERNMENT):  # 区委社会工作部, 区人民政府万里街道办事处
            if generic.match(core):
                cores.add(generic.sub("", core))  # the place forms of both follow: 区委社会工作部, 区社会工作部
        cores |= {short for c in list(cores) for short in _initials(c)}
        # 区委社工部: the party committee's word before the abbreviation of the body
        cores |= {m.group(0) + short for c in list(cores) if (m := _PARTY_COMMITTEE.match(c))
                  for short in _initials(c[m.end():])}
        for c in cores:
            names.add(c)
            names.add(place + c)
            if len(place) >= 3:  # 忻州商务局, 普陀商务委员会: the place without its 市/区/省
                names.add(place[:-1] + c)
            names.add(place[-1] + c)  # 区政府办, 市商务局, 省政协办公厅: "the district's …"
    for long, short in _ABBREVIATIONS:  # chained: 区人民政府办公室 → 区政府办 → 区府办
        names |= {name.replace(long, short) for name in names if long in name}
    return {n for n in names if len(n) >= 3}


_BODY = re.compile(r"(?<!办公)(?<!委员)(部|局|委)$")


def _initials(core: str) -> set[str]:
    """The everyday abbreviation by each word's first character: 社会工作部 → 社工部, 人力资源和社会保障局 → 人社局.

    Only for a four-character name (two words) or two names joined by 和; never for 办公厅 or 委员会."""
    body = _BODY.search(core)
    if not body:
        return set()
    parts = core[: body.start()].split("和")
    if len(parts) == 1 and len(parts[0]) == 4:
        parts = [parts[0][:2], parts[0][2:]]
    if len(parts) != 2 or any(len(p) < 2 for p in parts):
        return set()
    return {parts[0][0] + parts[1][0] + body.group(0)}


def mentioned_years(frame: Frame, documents: Sequence[Document]) -> list[int]:
    """Years the question names, with 今年/去年 read against the newest loaded year."""
    years = list(frame.years)
    # 今年 is the year the newest document is read in: a budget's own year, the year after a 决算's
    # (the 2024 决算 is "去年的决算" in 2025)
    latest = max((d.year + (d.kind == "决算") for d in documents if d.year), default=None)
    if latest:
        years += [latest + offset for offset in frame.relative_years]
    return list(dict.fromkeys(years))


def resolve(frame: Frame, documents: Sequence[Document], doc_hint: str | None = None,
            strict_units: bool = True, mentions: Mentions | None = None) -> Scope:
    """The documents matching the question's units, years and kind; a refusal reason when none do.

    strict_units: refuse when the question names a unit that is not loaded (figure questions);
    mentions: whether documents speak of a name (a unit they include is no stranger to them)."""
    question = frame.question
    docs = list(documents)
    if not docs:
        return Scope((), refusal="还没有加载任何文件")
    if doc_hint:
        docs = [d for d in docs if d.doc_id.startswith(doc_hint) or d.unit_name == doc_hint
                or doc_hint in aliases(d.unit_name)]
        if not docs:  # a scope that matches nothing must not quietly widen to everything
            return Scope((), refusal=f"没有加载“{doc_hint}”的文件")
    named = [d for d in docs if any(a in question for a in aliases(d.unit_name))]
    named = _most_specific(question, named)
    stranger = _stranger_unit(question, documents) if strict_units else ""
    if stranger and mentions and (named or frame.is_text) and mentions(stranger, named or docs):
        # "政协办公厅部门预算里的博物馆管理建设办公室": a part the named unit's documents speak of; a passage
        # question may ask of any body the documents speak of, never of one they do not (普陀区教育局的职能)
        stranger = ""
    if stranger:
        return Scope((), units=(stranger,), refusal=f"没有加载“{stranger}”的文件")
    units = tuple(sorted({d.unit_name for d in named}))
    if len(units) >= 2 and (same := _one_name_for_several(question, units)):
        return Scope((), units=units, refusal=f"“{same}”可能指{'、'.join(units)}，请写明是哪一个单位")
    if named:
        docs = named
    elif placed := _in_place(question, docs):  # "普陀区哪家单位…": the district's documents, no other's
        docs = placed
    years = mentioned_years(frame, docs)  # 今年 means the newest year of the documents in scope
    newest = max((d.year for d in docs if d.year), default=None)
    if newest and (later := [y for y in frame.years if y > newest and y != frame.base_year]):
        # "2020年比2019年增长多少" with 2019 the newest loaded: no loaded document speaks of 2020
        asked = "、".join(f"{y}年" for y in later)
        return Scope((), tuple(years), units, f"没有加载{asked}的文件（已加载的最新为{newest}年）")
    own_years = [y for y in frame.years if y != frame.base_year]  # "跟2024年比" is every unit's base
    if len(units) >= 2 and own_years and (by_unit := _years_by_unit(question, named, own_years)):
        # "江苏省政协办公厅2019年的车辆数比忻州市商务局多几辆": the year is the first unit's alone
        kept: list[Document] = []
        for unit, own_years in by_unit.items():
            own = [d for d in docs if d.unit_name == unit]
            if not own_years:
                own_years = (max((d.year for d in own if d.year), default=0),)  # its newest document
            chosen = [d for d in own if d.year in own_years]
            if not chosen:
                asked = "、".join(f"{y}年" for y in own_years)
                return Scope((), tuple(years), units, f"没有加载{unit}{asked}的文件")
            kept += chosen
        return _narrowed(frame, kept, tuple(years), units)
    if len(units) >= 2 and not years and (frame.difference or frame.total) and not frame.every_year:
        # two units set against each other, no year named: each one's newest document, not all its years
        newest = {u: max((d.year or 0 for d in docs if d.unit_name == u), default=0) for u in units}
        docs = [d for d in docs if (d.year or 0) == newest.get(d.unit_name, d.year or 0)]
    if years:
        in_years = [d for d in docs if d.year in years]
        if not in_years:
            later = [d for d in docs if d.year and d.year - 1 in years]
            if frame.comparing and any(d.year for d in docs):
                in_years = docs  # "比2023年增长多少" is asked of the newer document
            elif later and len(years) == 1 and strict_units and not frame.is_text:
                # a figure of 2016 asked, the 2017 document loaded: its 上年 column or stated change may say it
                return _narrowed(frame, later, tuple(years), units, previous_year=years[0])
            else:
                have = "、".join(sorted({f"{d.year}年" for d in docs if d.year}))
                return Scope((), tuple(years), units, f"没有加载{'、'.join(f'{y}年' for y in years)}的文件（已加载：{have}）")
        docs = in_years
    return _narrowed(frame, docs, tuple(years), units)


def _years_by_unit(question: str, named: Sequence[Document], years: Sequence[int]) -> dict[str, tuple[int, ...]] | None:
    """Each named unit's own years, when the question gives years to some units only: a year belongs to
    the unit whose part of the question (from its name to the next unit's) it stands in. None when every
    unit has a year or none has, the usual case."""
    starts: dict[str, int] = {}
    for d in named:
        starts.setdefault(d.unit_name, question.find(_named_as(question, d.unit_name)))
    order = sorted(starts, key=starts.__getitem__)
    bounds = [starts[u] for u in order][1:] + [len(question)]
    by_unit: dict[str, tuple[int, ...]] = {}
    for i, unit in enumerate(order):
        begin = 0 if i == 0 else starts[unit]
        part = question[begin:bounds[i]]
        by_unit[unit] = tuple(y for y in years if re.search(rf"{y}\s*年", part))
    has_year = [bool(v) for v in by_unit.values()]
    return by_unit if any(has_year) and not all(has_year) else None


def _narrowed(frame: Frame, docs: list[Document], years: tuple[int, ...], units: tuple[str, ...],
              previous_year: int | None = None) -> Scope:
    """The documents of the kind (决算) and scope (部门/单位) the question names."""
    if frame.kind == "决算" and not any(d.kind == "决算" for d in docs):
        return Scope((), years, units, "没有加载决算文件，只有预算文件")
    if frame.doc_scope and any(d.scope == frame.doc_scope for d in docs):
        docs = [d for d in docs if d.scope == frame.doc_scope]
    return Scope(tuple(docs), years, units, previous_year=previous_year)


def places(unit_name: str) -> set[str]:
    """The places a unit's name begins with: 上海市普陀区商务委员会 → 上海市, 普陀区 (and 上海, 普陀)."""
    m = _PLACE.match(_GENERIC_PREFIX.sub("", unit_name))
    found = {p for p in (m.group(1), m.group(3)) if p} if m else set()
    return found | {p[:-1] for p in found if len(p) >= 3}


def _in_place(question: str, docs: Sequence[Document]) -> list[Document]:
    """The documents of the places the question names, when it names one that not every document shares."""
    hit = [d for d in docs if any(p in question for p in places(d.unit_name))]
    return hit if hit and len(hit) < len(docs) else []


def _named_as(question: str, unit: str) -> str:
    """The longest of a unit's names that the question uses."""
    return max((a for a in aliases(unit) if a in question), key=len)


def _most_specific(question: str, named: list[Document]) -> list[Document]:
    """Drop a unit matched only by a name inside another unit's longer name ("商务委" in "普陀商务委")."""
    best = {d.unit_name: _named_as(question, d.unit_name) for d in named}
    longer = set(best.values())
    return [d for d in named if not any(best[d.unit_name] != o and best[d.unit_name] in o for o in longer)]


def _one_name_for_several(question: str, units: Sequence[str]) -> str:
    """The short name, when the question names several units by one and the same name ("商务局")."""
    names = {_named_as(question, u) for u in units}
    if len(names) == 1:
        return names.pop()
    return ""


_NOT_IN_PLACE = re.compile(r"[和与及的、办委局厅部]")  # "办和区" (区府办和区商务委) is no place


def _place_name_ends(question: str) -> set[int]:
    """Where the place names of a question end, by jieba's part-of-speech tagger (ns: a place name)."""
    import jieba.posseg

    ends, at = set(), 0
    for word, flag in jieba.posseg.lcut(question):
        at += len(word)
        # 大同市 is tagged a noun (大同 is also a word): one word of a name and 市/区/县 is a place too
        if flag == "ns" or (len(word) >= 3 and word[-1] in "省市区县州旗" and not _NOT_IN_PLACE.search(word[:-1])):
            ends.add(at)
    return ends


@functools.cache
def _provinces() -> tuple[str, ...]:
    return tuple(load_toml(Path(__file__).with_name("places.toml"))["provinces"])


def province(name: str) -> str | None:
    """The province a name begins with (浙江省政协办公厅 → 浙江), None when it begins with none."""
    return next((p for p in _provinces() if name.startswith(p)), None)


def other_province(phrase: str, documents: Sequence[Document]) -> bool:
    """Whether a phrase names a province and every loaded unit its names match is of another one."""
    asked = province(phrase)
    hits = [d for d in documents if any(a in phrase for a in aliases(d.unit_name))]
    return bool(asked and hits and all((p := province(d.unit_name)) and p != asked for d in hits))


_GENERIC_BODY = re.compile(r"(人民政府办公室|办公室|办公厅|委员会|管理局|事务中心|服务中心|中心|局|委|厅|办|部|处|科|室)$")
_PLACE_CHARS = re.compile(r"[省市区县州旗镇乡]|街道")


def _known_tail(phrase: str, known: set[str]) -> bool:
    """Whether the phrase ends in three or more characters of a loaded name and what comes before them names
    no place: a question's words run into the name (表里省政协), where 区政协 or 浙江省政协 would be another body."""
    for start in range(len(phrase) - 3 + 1):
        tail = phrase[start:]
        if not _GENERIC_BODY.sub("", tail):
            return False  # 办公室 alone is every office's: "博物馆管理建设办公室" is not a loaded body's name
        if any(tail in a for a in known):
            before = phrase[:start]
            return start > 0 and not _PLACE_CHARS.search(before) and not any(p in before for p in _provinces())
    return False


_DATE = re.compile(r"截[至止]|\d{1,2}月(?:\d{1,2}日)?(?:底|末|初|份)?")


def _stranger_unit(question: str, documents: Sequence[Document]) -> str:
    """A unit the question names that matches no loaded document (太原市财政局, 上海市商务委员会)."""
    known = {a for d in documents for a in aliases(d.unit_name)}
    placed = {a for a in known if re.search(r"[省市区县州旗]", a)}
    place_ends: set[int] | None = None  # tagged only when a phrase begins with a place-like run
    question = _DATE.sub(" ", question)  # "截至2024年3月底忻州商务局": a date is no part of the name after it
    for m in _UNITLIKE.finditer(question):
        phrase = re.sub(r"^(?:\d{0,4}年度?|[和与及跟同、的])+", "", m.group(0))  # "2019年江苏政协办": the year is not the name
        # The place is the two characters before 市/区/县 ("…比普陀区" → 普陀区), not the whole run, and only
        # where the words are a place name (太原市, not 听说省 or 车改后省).
        own = re.split(r"[和与及跟、]", m.group(1))[-1] if m.group(1) else ""  # "区政府办和忻州": 忻州 is the place
        place = own[-3:] if len(own) >= 3 else ""
        if place and place_ends is None:
            place_ends = _place_name_ends(question)
        if place and m.end(1) in (place_ends or ()) and not any(place in d.unit_name for d in documents):
            return re.split(r"[和与及跟、]", phrase)[-1]  # 太原市商务局: a place no loaded document belongs to
        if any(a in phrase for a in placed):
            if other_province(phrase, documents):
                return phrase  # 浙江省政协办公厅: 省政协办公厅 is a loaded name, but of 江苏省
            continue
        phrase = _JOINERS.split(phrase)[-1]  # "人员经费比区委…": the name starts after the joining word
        if len(phrase) < 3:
            continue
        if phrase.startswith(("本", "该", "我", "单位", "部门")):
            continue
        if _known_tail(phrase, known):
            continue  # "政府采购表里省政协": words before a loaded name (省政协), not another body's name
        if _UNIT_NOUN.search(phrase) and len(phrase) >= 3 and not any(phrase in a or a in phrase for a in known):
            return phrase  # 万里街道, 长征镇, 省法院: a unit by its own name, not loaded
        if len(phrase) < 4:
            continue
        if phrase in known:
            continue
        if m.group(1):
            # A place-qualified name is a stranger unless a loaded unit carries that place and body.
            if not any(phrase in a for a in known):
                return phrase
        elif not any(phrase in a or a in phrase for a in known) and len(phrase) >= 5:
            return phrase
    return ""
