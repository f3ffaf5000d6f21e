"""The sentences of retrieved passages that answer a prose question, instead of the passages whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.lookup import norm, overlap
from store.models import Chunk

# A sentence ends at 。！？； or a line break; an enumerated item ("2、…", "（三）…") is a line of its own.
_SENTENCE = re.compile(r"[^。！？；\n]*(?:[。！？；]+[）)”’」』]*\n?|\n|$)")
# What continues the sentence before it: its reason, its parts, the list it announces.
_CONTINUES = re.compile(r"^\s*(主要原因|主要是|原因是|主要用于|用于|其中|包括|具体包括|即|以上|上述|与上年|与20\d\d年|比上年|较上年|同比|[二三四五六七八九]是|其次|此外|另外|同时|再次)")
_LIST_ITEM = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）、.．]|[①-⑳])")
KEEP_AT = 0.5  # a sentence is kept when it matches at least half as well as the best one
MIN_MATCH = 2  # characters a question piece and a sentence must share to count


@dataclass(frozen=True)
class Excerpt:
    """A passage's answering sentences, with the passage they come from."""

    chunk: Chunk
    heading: str
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        """The heading path, then the sentences as the document prints them."""
        body = "".join(self.sentences).strip()
        return f"{self.heading}\n{body}" if self.heading else body


def sentences(text: str) -> list[str]:
    """A passage's sentences, each with its closing mark (line breaks kept as the end of a line)."""
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def _body(chunk: Chunk) -> tuple[str, str]:
    heading = str(chunk.metadata.get("headings") or "")
    text = chunk.text
    if heading and text.startswith(heading):
        text = text[len(heading):].lstrip("\n")
    return heading, text


def whole(chunk: Chunk) -> Excerpt:
    """A passage quoted whole, under its heading."""
    heading, body = _body(chunk)
    return Excerpt(chunk, heading, tuple(sentences(body)))


def _score(sentence: str, pieces: Sequence[str]) -> int:
    s = norm(sentence)
    return sum(common for piece in pieces if (common := overlap(piece, s)) >= MIN_MATCH)


def excerpts(chunks: Sequence[Chunk], pieces: Sequence[str]) -> list[Excerpt]:
    """Each passage cut to the sentences that match the question's pieces best (with what continues them);
    a passage with no sentence near the best is dropped, a sentence already quoted is not quoted again."""
    pieces = [norm(p) for p in pieces if len(norm(p)) >= MIN_MATCH]
    split = [(c, *_body(c)) for c in chunks]
    scored = [(c, heading, [(s, _score(s, pieces)) for s in sentences(body)]) for c, heading, body in split]
    titled = [_score(heading, pieces) for _, heading, _ in split]
    best = max([*titled, *(score for _, _, ss in scored for _, score in ss)], default=0)
    if best == 0:  # nothing of the question is in the passages' words: they are what retrieval found
        return [whole(c) for c in chunks]
    out, quoted = [], set()
    for (chunk, heading, ss), title in zip(scored, titled, strict=True):
        keep = [False] * len(ss)
        for i, (_, score) in enumerate(ss):
            if score >= best * KEEP_AT:
                keep[i] = True
                _keep_continuation(ss, keep, i)
        if title >= best * KEEP_AT and not any(keep):
            keep = [True] * len(ss)  # its heading names the subject ("…绩效目标表（食品公司经营）"): all of it
        picked = tuple(s for (s, _), k in zip(ss, keep, strict=True) if k and _same(s) not in quoted)
        quoted.update(_same(s) for s in picked)
        if picked:
            out.append(Excerpt(chunk, heading, picked))
    return out


def _same(sentence: str) -> str:
    # The 部门 and 单位 budgets of one body say the same sentence with 本部门 for 本单位: quoted once.
    return norm(sentence).replace("部门", "单位")


def _keep_continuation(ss: list[tuple[str, int]], keep: list[bool], i: int) -> None:
    """The sentences after a kept one that belong to it: the list it opens (with "：" or 包括), the rest of the
    list item it begins, or what continues it (its reason, 二是…, the change against last year)."""
    first = ss[i][0]
    opens_list = first.rstrip().endswith(("：", ":")) or "包括" in first[-12:]
    in_item = bool(_LIST_ITEM.match(first))
    for j in range(i + 1, len(ss)):
        s = ss[j][0]
        if opens_list or (in_item and not _LIST_ITEM.match(s)) or _CONTINUES.match(s):
            keep[j] = True
            continue
        break
