"""The page number printed on each page (``- 15 -``, ``第 15 页``, ``15``, roman numerals in front matter).

Staff cite printed pages, not the PDF's index: the 三公 table is "第15页" in the 目录 and on the page
even when it is the PDF's 18th page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.pdf import Page

MARGIN = 0.12  # the top and bottom share of the page where running headers and footers stand
_LABEL = re.compile(
    r"^(?:[-—－–]\s*(?P<dash>\d{1,4})\s*[-—－–]"
    r"|第\s*(?P<nth>\d{1,4})\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|(?P<of>\d{1,4})\s*/\s*\d{1,4}"
    r"|(?P<bare>\d{1,4})"
    r"|(?P<roman>[ivxlcdm]{1,6}|[IVXLCDM]{1,6}))$"
)


def printed_label(page: Page) -> str | None:
    """The number printed in the page's header or footer, as printed (``15``, ``iii``); None when none is."""
    band = page.height * MARGIN
    candidates = [ln for ln in page.lines if ln.bbox[3] >= page.height - band or ln.bbox[1] <= band]
    # the footer first: most producers print the number at the bottom
    for line in sorted(candidates, key=lambda ln: -ln.bbox[3]):
        m = _LABEL.match(line.text.strip())
        if m:
            return next(g for g in m.groups() if g)
    return None


def page_labels(pages: Sequence[Page]) -> tuple[str | None, ...]:
    """Each page's printed label, kept only where the labels run in order (a stray "2024" is no page number)."""
    raw = [printed_label(p) for p in pages]
    out: list[str | None] = []
    for i, label in enumerate(raw):
        if label is None or not label.isdigit():
            out.append(label)
            continue
        # a number counts when a neighbour confirms the run (n−1 before it or n+1 after it)
        n = int(label)
        before = next((int(x) for x in reversed(raw[:i]) if x and x.isdigit()), None)
        after = next((int(x) for x in raw[i + 1:] if x and x.isdigit()), None)
        ok = (before is not None and 0 < n - before <= 3) or (after is not None and 0 < after - n <= 3)
        out.append(label if ok or len(pages) == 1 else None)
    return tuple(out)
