"""The rule parser: question → Frame (what is asked, about what, which column, stage, years and unit)."""

from __future__ import annotations

import re
from decimal import Decimal

from app.frame import Frame
from app.lexicon import get_lexicon

# Questions about people and places: budget disclosures name neither.
_WHO = re.compile(r"是谁|叫什么|名字|姓名|地址|(?<![用挂花放列排归记])在哪(?!个|一|项|类|款|些|年|部分|方面)|电话(?:号码)?(?:是|多少号)|联系电话|联系方式")
_REASON = re.compile(r"原因|为什么|为何|为啥|咋(回事|会)|怎么回事|干什么用|做什么用|干啥用|做啥用|干嘛用|啥用途|用于什么|用来干|用在哪")
_OPEN = re.compile(r"哪|什么|怎么|如何|吗|是否|有没有|谁|概况|简介|介绍|依据|内容|目标|情况如何")
_MONEY_FOR = re.compile(r"有[^，。？?]{0,14}(钱|费|资金|预算|支出|拨款)吗|有没有[^，。？?]{0,14}(钱|费|资金|预算|支出|拨款)")
_SCORE = re.compile(r"得分|分数|评分|打了?(?:多少|几)分|(?:多少|几)分(?![之钟])")
_HOW_MANY_THINGS = re.compile(r"(?:多少|几)(?:件|期|份|套|处|间|户|批|趟|分(?!之))")
_COUNT_FOR = re.compile(r"(?:有没有|是否有|有无)[^，。？?]{0,4}(?:项目|车辆|公务用车|设备|机构)(?![^，。？?]*(?:费|支出|资金|预算|钱|拨款|库))")
_FIGURE_WORDS = re.compile(r"多少|几|金额|数额|比例|占比|百分|增长|增加|减少|合计|一共|总计")
_HEADCOUNT = re.compile(r"人数|在编|在职|编制人|几人|多少人|人员多少|多少名|(职工|员工|人员)(有)?多少(个|位)?$|"
                        r"(职工|员工)[？?]?$|(职工|员工)有几")
# The lexicon's intents folded into the answer shapes this package knows.
_SHAPES = {"total": "amount", "convert": "amount", "rank": "amount", "vehicle": "count",
           "basis": "reason", "purpose": "reason"}
_RATE_OF_CHANGE = re.compile(r"(增长|增加|减少|下降|降低|上升|增减|变化|变动|涨|降|跌).{0,4}(百分之几|百分比|幅度|几成|多少个百分点)|"
                             r"(增长|减少|下降|增减|变动)率")
# The budget stage a 决算 question names (its figure is then that stage's, not the 决算数), and a question
# after the completion of a budget ("完成全年预算的百分之多少", "预算完成率").
_STAGES = ((re.compile(r"年初(?:预算|安排|批复|下达)"), "年初预算数"), (re.compile(r"全年预算|调整后?预算"), "全年预算数"),
           (re.compile(r"决算数|实际支出|实际完成|执行数"), "决算数"))
_COMPLETION = re.compile(r"完成(?:了)?(?:年初|全年|调整后?)?预算(?:数)?的?(?:百分之|比例|多少|几|比重|程度)|预算完成率|完成率|"
                         r"(?:预算)?执行率")
_WANT_UNIT = re.compile(r"多少(万元|元|亿元)|(?:折合|换算成|换成)(万元|元|亿元)|多少(万)(?![元亿])|[（(]?(万元|元|亿元)[)）]?[?？]?$|以(万元|元|亿元)计")
_CODE = re.compile(r"(?<!\d)(\d{3}\s?\d{2}\s?\d{2}|\d{3}\s\d{2}|\d{7}|\d{5}|\d{3})(?![\d年.%])")
_YEAR = re.compile(r"(20\d{2})\s*年")
# "2017—2019年", "2017年到2019年", "2017、2018、2019年": every year of the span or list
_YEAR_SPAN = re.compile(r"(?<!\d)(20\d{2})\s*年?度?\s*(?:—|–|-|~|～|至|到)\s*(20\d{2})(?!\d)\s*年?")
_YEAR_LISTED = re.compile(r"(20\d{2})\s*年?\s*(?=[、和与及,，]\s*20\d{2})")
_YEAR_LAST_LISTED = re.compile(r"(?<=\d{4}[、和与及,，])(20\d{2})(?![\d年])")  # "2017、2018、2019三年": the last one
_EVERY_YEAR = re.compile(r"[这近]?[两三四五几]年(?:里|中|来|间|内|当中)?(?!度)(?=.*(?:哪|合计|加起来|一共|总共|最|分别|各))|历年|各年|每年|逐年")
_BASE_YEAR = re.compile(r"(?:比|较)\s*(20\d{2})\s*年|(?:和|与|跟|同)\s*(20\d{2})\s*年度?(?:相比|比较|比|对比)")
_EXTREME = re.compile(r"最(?:(?P<max>高|多|大)|(?P<min>低|少|小))(?!生活|工资|限|额|保障)")  # not 最低生活保障
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "本年度": 0, "最新一年": 0, "最近一年": 0, "最新年度": 0, "最新的一年": 0,
                   "明年": 1, "去年": -1, "上年": -1, "上一年": -1, "前年": -2}
_COMPARING = re.compile(r"比|较|相比|增长|增加|减少|下降|变化")
_DIFFERENCE = re.compile(r"(?<![出偏误时])差(?!旅)|相差|多多少|少多少|高多少|低多少|多几|少几|哪个多|哪个少|[多高超]出了?多少|"
                         r"(?<=[\u4e00-\u9fff])比(?!\s*(?:20\d{2}|上年|去年|上一年|前年))[^，。？?]{2,}?(?<![减增降])(多|少|高|低)了多少")
# ("A比B少了多少" is two operands; "比上年减少了多少", "比2017年少了多少" a change)
_MORE = re.compile(r"多多少|多了多少|高多少|多几|[多高超]出|增加|增长|上升|提高")
_LESS = re.compile(r"少多少|少了多少|低多少|减少|下降|降低|少几")
_AUDIT = re.compile(r"不一致|勾稽|对不上|不相符|矛盾|有没有错|哪里有错|核对一下|审核一下|加总对不对|是否平衡")
# Figures a budget disclosure never gives: per-person amounts, execution progress, economic targets.
_OFFICIAL = r"[局处科部厅市区县镇院校所站]长|秘书长|主任|书记|主席"  # a person by title
NEVER_GIVEN = re.compile(r"人均|平均|每人|每个人|每家|执行进度|执行了|执行情况|上半年|下半年|月份|季度|每月|用款计划|美元|零售总额|出口总额|"
                          rf"GDP|({_OFFICIAL}|委员|个人|领导|干部|科员|职员|"
                          r"(一|每)(名|位|个)[\u4e00-\u9fff]{1,4})[^。？?]{0,10}(工资|收入|薪|奖金)")
# Questions no disclosure answers, whatever it prints: an opinion of the budget, where the money was spent abroad
_NOT_STATED = ((re.compile(r"合理吗|是否合理|合不合理|偏高|偏低|过高|过低|太高|太低|高不高|多不多|浪费|值不值|应不应该|你觉得|你认为|评价一下"),
                "预算公开文件只列出安排和原因，不评价是否合理、是否偏高；可以问具体数字或文件给出的原因"),
               (re.compile(r"(哪些|哪个|什么)(国家|城市)|(出国|出访|出境|出差|考察)[^。？?]{0,10}(去了?哪|哪些地区|目的地)"),
                "预算公开文件不列出出访或出差的目的地"),
               (re.compile(rf"({_OFFICIAL})[^。？?]{{0,10}}(年薪|工资|薪水|薪酬|奖金)"),
                "预算公开文件不提供个人的工资收入"),
               (re.compile(r"开户(银行|行)|银行账[户号]|账号|零余额账户|供应商|中标|承包商|哪家公司|哪个公司|合同编号"),
                "预算公开文件不列出银行账户、供应商或合同"))


_FIGURES_LISTED = re.compile(r"列出|列一下|列个表|列表|分别|各是|各为|各年")
_COUNT_NOUN = re.compile(r"(个|项目|机构|科室|车辆|单位|处室|人)数(是|有|为)?(多少)?\s*[？?]?$")
_CHANGE_WORDS = re.compile(r"增长|增加|减少|下降|降低|上升|多了|少了|增减|变化|变动|涨|降|跌|比上年|比去年|同比")


# Questions about the order of a table's rows (app.ranking), not about the years or units compared ("哪年最高").
_WHICH_ROW = re.compile(r"哪(?:一|几)?(?:个|项|类|款|些|种|块|部分|方面)|什么(?:科目|项目|支出)|有哪些|是哪")
# (nor about bodies and people: no budget table has a row per 科室, committee or person, so none is ranked)
_NOT_ROWS = re.compile(r"哪(?:一)?年|哪个年度|哪家|哪(?:一|几)?(?:个|些|位|名)?(?:单位|部门|科室|处室|内设机构|机构|委员会|专委会|"
                       r"街道|镇|区|县|市|学校|医院|人|同志|领导|干部)")
# "比2018年多了哪个科目", "少了哪几项": the rows one year prints under a row that the other does not
_ROWS_CHANGED = re.compile(r"(?:(?P<new>多|新增|增加|增设|多出)|(?P<gone>少|减少|去掉|取消|不再有))了?(?:哪|什么)"
                           r"(?:一|几)?(?:个|些|项|类|款)*(?:科目|项目|明细|支出|经费)?")
_TOP_N = re.compile(r"前([一二两三四五六七八九十]|\d{1,2})(?:位|名|项|个|大)?|"
                    r"最(?:大|多|高|小|少|低)的([两三四五六七八九十]|\d{1,2})(?:项|个|类|款|位)")
_POSITION = re.compile(r"排(?:在|名)?第几|第几(?:位|名|大)|排名(?:多少|第几)")
_NTH = re.compile(r"(?:排(?:在|名)?)?第([二两三四五六七八九十]|\d)(?:位|名|大|多|高|的)")
_OVER = re.compile(r"(?P<dir>超过|高于|大于|多于|不低于|不少于|低于|少于|不足)\s*(?P<num>[\d,]+(?:\.\d+)?)\s*(?P<unit>万元|元|亿元)")
_LEVEL = re.compile(r"([类款项])级|按(?:功能分类的?)?([类款项])(?:来|看|分|[)）])")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _ranking(question: str) -> tuple[str | None, int, str | None, tuple[Decimal, str] | None]:
    """(how rows are ranked, how many, the level, the line) when the question asks about the order of rows."""
    level_m = _LEVEL.search(question)
    level = next((g for g in level_m.groups() if g), None) if level_m else None
    if (changed := _ROWS_CHANGED.search(question)) and len(_years(question)) >= 2:
        return ("gone" if changed.group("gone") else "new"), 1, level, None
    if _NOT_ROWS.search(question):
        return None, 1, None, None
    if _POSITION.search(question):
        return "position", 1, level, None
    if (nth := _NTH.search(question)) and _WHICH_ROW.search(question):
        n = nth.group(1)
        return "nth", int(n) if n.isdigit() else _CN_DIGITS[n], level, None  # "排第二的是哪一项": that one row
    if not _WHICH_ROW.search(question) and not _TOP_N.search(question):
        return None, 1, None, None
    if over := _OVER.search(question):
        line = Decimal(over.group("num").replace(",", ""))
        return "over", 1, level, (line, over.group("unit"))
    if top := _TOP_N.search(question):
        n = top.group(1) or top.group(2)
        return "top", int(n) if n.isdigit() else _CN_DIGITS[n], level, None
    if _EXTREME.search(question):
        return "top", 1, level, None
    return None, 1, None, None


def intent_of(question: str) -> str:
    """The answer shape a question asks for: a figure (amount, share, change …) or prose (definition …)."""
    shape = _shape(question)
    if shape == "count" and _CHANGE_WORDS.search(question) and re.search(r"比|较|同比", question):
        return "change"  # "比上年增加了几人": the change of a count
    if shape == "count" and _MONEY_ASKED.search(question):
        return "amount"  # "编报绩效目标的项目，一共涉及多少项目预算资金（万元）": money, though projects are counted
    if shape == "share" and CHECKED_THEN_ASKED.search(question):
        return "amount"  # "占一半以上吗？具体是多少万元": the check is settled by the figure asked after it
    return shape


# A yes/no check of a share, then a clause of its own that asks the figure ("…占一半以上吗？项目支出是多少万元？")
CHECKED_THEN_ASKED = re.compile(r"(?:吗|没有|是不是[^？?，,]*)[？?，,]\s*(?P<ask>[^？?，,占比例百重]*(?:多少|几)(?:万元|万|元|钱)?)[？?]?\s*$")


# A question that asks for money, whatever else it names
# (a figure before the unit is a line the question draws, 单价20万元以上, not the unit asked)
_MONEY_ASKED = re.compile(r"(?<![\d.\s])\s*(?:万元|亿元)|多少元|[（(]元[)）]|资金|金额|多少钱")


def _shape(question: str) -> str:
    if _WHO.search(question):
        return "who"
    if _REASON.search(question):
        return "reason"
    if _COMPLETION.search(question):
        return "completion"
    intent = get_lexicon().primary_intent(question) or "amount"
    if intent in ("listing", "definition") and _FIGURES_LISTED.search(question) and len(_years(question)) >= 2:
        return "amount"  # "列出2017到2019年的三公经费": each year's figure, side by side
    if _SCORE.search(question):
        return "count"  # "绩效自评平均得分", "打了多少分": a score in 分, never the money of its sentence
    if _COUNT_NOUN.search(question) or intent == "amount" and _HOW_MANY_THINGS.search(question):
        return "count"  # "绩效目标 项目数", "内设机构个数", "多少件提案": a number of things
    if intent == "rate" and "占" in question and not _CHANGE_WORDS.search(question):
        return "share"  # "占全部项目支出的百分之多少": a part of a whole; no change is named
    if _RATE_OF_CHANGE.search(question):
        return "rate"  # "比上年减少了百分之几" is a rate of change, never a share
    if intent in ("amount", "total") and _HEADCOUNT.search(question):
        return "count"
    if intent in ("duty", "listing", "definition") and re.search(r"是多少|多少(万元|元|钱)?[？?]?$|金额", question):
        return "amount"  # "2080504未归口管理的行政单位离退休是多少": a figure, though 管理 reads like a duty
    if _COUNT_FOR.search(question) and not re.search(r"哪些|什么|多少(万元|元|钱)", question):
        return "count"  # "有没有项目实行绩效目标管理": how many (0 is "no")
    if _MONEY_FOR.search(question) and not re.search(r"哪些|什么", question):
        return "amount"  # "有搞基建的钱吗": whether there is money for it is its figure (or "not listed")
    if intent == "amount" and _OPEN.search(question) and not _FIGURE_WORDS.search(question) and not _extreme(question):
        return "listing"  # 哪个单位, 单独编预算吗: asked in words, answered from prose
    return _SHAPES.get(intent, intent)


def understand(question: str) -> Frame:
    """Parse a question into a Frame using the budget lexicon."""
    lex = get_lexicon()
    q = question.strip()
    want = _WANT_UNIT.search(q)
    codes = tuple(re.sub(r"\s", "", m.group(1)) for m in _CODE.finditer(q) if not _is_year_like(m.group(1)))
    ranking, top_n, level, threshold = _ranking(q)
    if threshold:  # "超过100万元": the line is no code
        codes = tuple(c for c in codes if Decimal(c) != threshold[0])
    return Frame(
        question=q,
        intent=intent_of(q),
        terms=tuple(lex.terms_in(q)),
        codes=codes,
        column=_column(lex.column_in(q)),
        want_unit=next((g if g != "万" else "万元" for g in want.groups() if g), None) if want else None,
        total=bool(re.search(r"一共|合计|总共|总计|加起来|总额|共计|总数", q)),
        table_kinds=tuple(lex.table_kinds_for(q)),
        stage=next((name for word, name in _STAGES if word.search(q)), None),
        years=_years(q),
        relative_years=tuple(dict.fromkeys(offset for word, offset in _RELATIVE_YEARS.items()
                                           if word in q and not re.search(rf"比{word}|较{word}|{word}结转", q))),
        comparing=bool(_COMPARING.search(q)),
        every_year=bool(_EVERY_YEAR.search(q)),
        base_year=next((int(y) for m in _BASE_YEAR.finditer(q) for y in m.groups() if y), None),
        extreme=_extreme(q) or ("min" if threshold and re.search(r"低于|少于|不足", q) else None),
        kind="决算" if "决算" in q else None,
        doc_scope=_doc_scope(q),
        difference=bool(_DIFFERENCE.search(q)),
        less=bool(_LESS.search(q)),
        more=bool(_MORE.search(q)),
        audit=bool(_AUDIT.search(q)),
        never_given=bool(NEVER_GIVEN.search(q)),
        not_stated=next((why for words, why in _NOT_STATED if words.search(q)), None),
        ranking=ranking,
        top_n=top_n,
        level=level,
        threshold=threshold,
    )


def _years(question: str) -> tuple[int, ...]:
    """The years named, spans and lists spelled out, in question order."""
    found: list[tuple[int, int]] = [(m.start(), int(m.group(1))) for m in _YEAR.finditer(question)]
    found += [(m.start(), int(m.group(1))) for m in _YEAR_LISTED.finditer(question)]
    found += [(m.start(), int(m.group(1))) for m in _YEAR_LAST_LISTED.finditer(question)]
    for m in _YEAR_SPAN.finditer(question):
        first, last = sorted((int(m.group(1)), int(m.group(2))))
        if last - first <= 10:
            found += [(m.start(), y) for y in range(first, last + 1)]
    return tuple(dict.fromkeys(y for _, y in sorted(found, key=lambda p: p[0])))


# "哪家预算多", "哪个单位花得少": of two or more bodies, the larger (smaller) one is asked, without 最
_WHICH_MORE = re.compile(r"哪(?:一)?(?:家|个单位|个部门|年)[^，。？?]{0,10}?(?:(?P<max>多|高|大)|(?P<min>少|低|小))(?![少多])")


def _extreme(question: str) -> str | None:
    """max or min when the question asks which figure is the highest or lowest (哪年最高, 哪个最少, 哪家多)."""
    m = _EXTREME.search(question) or (None if _DIFFERENCE.search(question) else _WHICH_MORE.search(question))
    if not m:
        return None
    return "max" if m.group("max") else "min"


def _doc_scope(question: str) -> str | None:
    """部门 or 单位, when the question names exactly one of 部门预算/部门决算 and 单位预算/单位决算."""
    says = [s for s in ("部门", "单位") if f"{s}预算" in question or f"{s}决算" in question]
    return says[0] if len(says) == 1 else None


def _column(column: str | None) -> str | None:
    # 合计 is every row's first figure already: naming it must not rule out tables that print it otherwise.
    return None if column == "合计" else column


def _is_year_like(token: str) -> bool:
    return bool(re.fullmatch(r"20\d{2}", token))
