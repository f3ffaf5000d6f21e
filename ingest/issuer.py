"""The issuer lines of budget tables — ``部门：江苏省政协办公厅 单位：万元``, ``单位名称：…``, ``编制单位：…``."""

from __future__ import annotations

import re

# The key may be spaced ("部 门:") and the line may be glued to the title and the money unit with no
# space at all ("收支预算总表部门：江苏省政协办公厅单位：万元"), so the key is found anywhere in the line.
_KEY = (r"(?:预\s*算\s*主\s*管\s*部\s*门|主\s*管\s*部\s*门|单\s*位\s*名\s*称|编\s*制\s*单\s*位|编\s*制\s*部\s*门|"
        r"部\s*门\s*名\s*称|预\s*算\s*单\s*位|预\s*算\s*部\s*门|决\s*算\s*单\s*位|部\s*门)")
ISSUER = re.compile(_KEY + r"\s*[:：]\s*(?P<name>[^\s:：,，]{2,40}?)\s*(?=单\s*位\s*[:：]|金额单位|[（(]?单位|\s|$)")
_SCOPE_OF_KEY = re.compile(r"部\s*门|主\s*管")


def issuer(text: str) -> tuple[str, str, str] | None:
    """(text before the key, issuer name, the key's scope 部门|单位) of a line that names its issuer."""
    m = ISSUER.search(text)
    if not m:
        return None
    name = re.sub(r"\s+", "", m.group("name"))
    key = text[m.start():m.start("name")]
    scope = "部门" if _SCOPE_OF_KEY.search(key) and "单位" not in key.replace(" ", "") else "单位"
    return text[: m.start()].strip(), name, scope
