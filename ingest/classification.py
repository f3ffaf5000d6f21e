"""The national classification (政府收支分类科目) names that head a hierarchy when a table prints no codes."""

from __future__ import annotations

import re

# 功能分类 类 (3-digit codes), with old names that documents still print.
FUNCTION_CLASSES = {
    "201": "一般公共服务支出", "202": "外交支出", "203": "国防支出", "204": "公共安全支出",
    "205": "教育支出", "206": "科学技术支出", "207": "文化旅游体育与传媒支出",
    "208": "社会保障和就业支出", "209": "社会保险基金支出", "210": "卫生健康支出",
    "211": "节能环保支出", "212": "城乡社区支出", "213": "农林水支出", "214": "交通运输支出",
    "215": "资源勘探工业信息等支出", "216": "商业服务业等支出", "217": "金融支出",
    "219": "援助其他地区支出", "220": "自然资源海洋气象等支出", "221": "住房保障支出",
    "222": "粮油物资储备支出", "224": "灾害防治及应急管理支出", "227": "预备费", "229": "其他支出",
    "230": "转移性支出", "231": "债务还本支出", "232": "债务付息支出", "233": "债务发行费用支出",
}
RENAMED = {"医疗卫生与计划生育支出": "卫生健康支出", "文化体育与传媒支出": "文化旅游体育与传媒支出"}

# 部门预算支出经济分类 类.
ECON_CLASSES = {
    "301": "工资福利支出", "302": "商品和服务支出", "303": "对个人和家庭的补助",
    "307": "债务利息及费用支出", "309": "资本性支出（基本建设）", "310": "资本性支出",
    "311": "对企业补助（基本建设）", "312": "对企业补助", "313": "对社会保障基金补助", "399": "其他支出",
}
_CLASS_NAMES = {re.sub(r"[（(].*", "", n) for n in (*FUNCTION_CLASSES.values(), *ECON_CLASSES.values(), *RENAMED)}
_ORDINAL = re.compile(r"^[一二三四五六七八九十百]+、")


def bare(label: str) -> str:
    """A label without its list ordinal ("八、社会保障和就业支出" → "社会保障和就业支出")."""
    return _ORDINAL.sub("", label.strip())


def is_class_label(label: str) -> bool:
    """A label that names a top-level class (类) of either classification."""
    return re.sub(r"[（(].*", "", bare(label)) in _CLASS_NAMES


def class_name(code: str) -> str | None:
    """The national name of a 类 code (201 → 一般公共服务支出, 302 → 商品和服务支出), None for any other code."""
    return FUNCTION_CLASSES.get(code) or ECON_CLASSES.get(code)
