"""LIX (läsbarhetsindex, Björnsson 1968): words per sentence plus the share of long words
(more than six letters) in per cent. Below 30 is very easy, 30-40 easy, over 50 hard.

Words are runs of letters (å, ä, ö and other accented letters count as letters; a hyphen or
apostrophe inside a word keeps it one word); numbers, phone numbers, e-mail
addresses and links are not words. A
sentence ends at ".", "!", "?" or ":" before a space or the end, and at the end of a line
that holds words (a heading or a list item is read as a sentence of its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# E-mail addresses and web links are not read as words.
_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?:]+(?=[\s\"”’)]|$)")
LONG_WORD = 6


@dataclass(frozen=True)
class LixScore:
    words: int
    sentences: int
    long_words: int

    @property
    def score(self) -> float:
        if self.words == 0:
            return 0.0
        return self.words / max(self.sentences, 1) + 100 * self.long_words / self.words


def words(text: str) -> list[str]:
    return _WORD.findall(_ADDRESS.sub(" ", text))


def letters(word: str) -> int:
    return sum(1 for ch in word if ch.isalpha())


def sentence_count(text: str) -> int:
    count = 0
    for line in text.splitlines():
        if not words(line):
            continue
        parts = [p for p in _SENTENCE_END.split(line) if words(p)]
        count += max(len(parts), 1)
    return count


def lix_score(text: str) -> LixScore:
    found = words(text)
    return LixScore(
        words=len(found),
        sentences=sentence_count(text),
        long_words=sum(1 for w in found if letters(w) > LONG_WORD),
    )


def lix(text: str) -> float:
    """The LIX of a text (0 for a text without words)."""
    return lix_score(text).score
