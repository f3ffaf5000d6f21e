"""A question typed with a pinyin keyboard's wrong pick, read as meant: 三工经费 → 三公经费, 人元经费 → 人员经费.

A Chinese keyboard offers every character of a sound, and staff pick the wrong one (机关运型经费, 因公出过, 住房公基金,
项木支出, 几俩车). A piece of the question that names nothing the documents or the lexicon know, but sounds exactly like
one word they do (the same toneless pinyin, most of its characters the same), is read as that word. Real words are
never respelled: a piece found in the vocabulary, or a two-character word of the dictionary (公物, 出过), stays.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LONGEST = 8  # the longest piece respelled (机关运行经费 is 6)
_READINGS = 16  # at most this many readings of one piece are tried (polyphones multiply)
_COUNTED = re.compile(r"(?:几|多少)([\u4e00-\u9fff])")  # "几俩车": the counter after 几/多少
_NOT_COUNTER = set("亿万元千百十分角资钱")  # 多少亿元, 多少分, 多少资金: a unit or a word, not a wrong counter


@functools.cache
def _sounds(char: str) -> tuple[str, ...]:
    """The toneless pinyin readings of one character (polyphones have several)."""
    from pypinyin import Style, pinyin  # loaded on first use: most questions are spelled right

    return tuple(dict.fromkeys(pinyin(char, style=Style.NORMAL, heteronym=True)[0]))


def _keys(word: str) -> list[tuple[str, ...]]:
    """Every reading of a piece, as a tuple of syllables (a bounded number for polyphones)."""
    return list(itertools.islice(itertools.product(*(_sounds(c) for c in word)), _READINGS))


@functools.cache
def _dictionary_word(piece: str) -> bool:
    """A word of the segmenter's dictionary (公物, 出过, 今年): a real word, not a wrong pick."""
    import jieba

    if not jieba.dt.initialized:
        jieba.dt.initialize()
    return bool(jieba.dt.FREQ.get(piece))


def _word_ends(text: str) -> set[int]:
    """Where the segmenter's words of a run of characters begin and end: a wrong pick is a word or several."""
    import jieba

    ends, at = {0}, 0
    for word in jieba.lcut(text, HMM=False):  # the dictionary alone: guessed words would swallow the wrong pick
        at += len(word)
        ends.add(at)
    return ends


@dataclass(frozen=True)
class Respelling:
    """One piece of the question read as another word."""

    typed: str
    meant: str


class Homophones:
    """Respells wrong picks against a vocabulary: the lexicon's words, the documents' row labels, the unit names."""

    def __init__(self, vocabulary: Iterable[str], counters: Iterable[str] = ()) -> None:
        words = {run for w in vocabulary for run in _HAN_RUN.findall(w) if len(run) >= 2}
        self._known = "\n".join(sorted(words))  # a piece in here is a real word (or part of one)
        self._by_sound: dict[tuple[str, ...], set[str]] = {}
        for word in words:
            if len(word) <= _LONGEST:
                for key in _keys(word)[:1]:  # the word's own first reading: pieces try all of theirs
                    self._by_sound.setdefault(key, set()).add(word)
        self._counters = {c for c in counters if len(c) == 1}

    def _meant(self, piece: str) -> str | None:
        """The one known word that sounds like the piece and shares most of its characters, if any."""
        found = {w for key in _keys(piece) for w in self._by_sound.get(key, ())}
        # (the sound first: most pieces sound like no known word, and the search of the vocabulary is the costly step)
        if not found or piece in self._known or (len(piece) == 2 and _dictionary_word(piece)):
            return None
        # 三工→三公 (1 of 2), 公物接待费→公务接待费 (1 of 5); never a whole new word of the same sound
        close = {w for w in found if 1 <= sum(a != b for a, b in zip(w, piece, strict=True)) <= max(1, len(piece) // 2)}
        return close.pop() if len(close) == 1 else None

    def respell(self, question: str) -> tuple[str, tuple[Respelling, ...]]:
        """The question with its wrong picks replaced, and what was replaced."""
        fixes: list[Respelling] = []
        out: list[str] = []
        last = 0
        for run in _HAN_RUN.finditer(question):
            i, text = run.start(), run.group()
            ends = _word_ends(text)  # "商务委生命健康": 委生 (卫生) straddles two words and is no piece
            start = 0
            while start < len(text) - 1:
                if start not in ends:
                    start += 1
                    continue
                for end in range(min(len(text), start + _LONGEST), start + 1, -1):  # the longest piece first
                    if end in ends and (meant := self._meant(text[start:end])):
                        out.append(question[last:i + start] + meant)
                        fixes.append(Respelling(text[start:end], meant))
                        last, start = i + end, end
                        break
                else:
                    start += 1
        respelled = "".join(out) + question[last:]
        respelled = _COUNTED.sub(lambda m: self._counter(m, fixes), respelled)
        return respelled, tuple(fixes)

    def _counter(self, m: re.Match[str], fixes: list[Respelling]) -> str:
        """几俩 → 几辆: a character after 几/多少 that sounds like a counter and is not one."""
        typed = m.group(1)
        if typed in self._counters or typed in _NOT_COUNTER:
            return m.group()
        sounds = set(_sounds(typed))
        meant = [c for c in self._counters if sounds & set(_sounds(c))]
        if len(meant) != 1:
            return m.group()
        fixes.append(Respelling(typed, meant[0]))
        return m.group()[:-1] + meant[0]
