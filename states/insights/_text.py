"""Vietnamese text compared as people copy it: normalised, blocked by rare shingles, then
scored with rapidfuzz.

Normalising keeps diacritics (`nghỉ` and `nghĩ` are different words), folds case, Unicode
composition (NFC: an `ế` typed as e + two combining marks is the same letter) and spacing,
and drops punctuation. Comparing every pair of an organization's reviews would cost the
square of its size, so candidates come first: each text's runs of four words (shingles) are hashed,
and only the rare ones are kept: in two to four texts of the organization (a shingle in one
text links nothing; one in many is the form everyone writes). Two texts sharing a few rare
shingles are compared in full; a text and its copies share dozens.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, compress

from rapidfuzz.distance import Indel

_WORD = re.compile(r"\w+")
# Texts shorter than this many words say too little to be called copies of each other.
MIN_WORDS = 12
# A shingle in more texts of an organization than this is the form everyone uses, not a
# sign of copying: a text and its few copies share shingles almost nobody else has.
RARE = 8
SHINGLE = 4
SAMPLE = 2
# Two texts sharing fewer rare shingles than this share a coincidence, not a text.
MIN_SHARED = 3


def words_of(text: str) -> list[str]:
    """The words of `text`, case and composition folded, punctuation dropped, diacritics kept."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def normalise(text: str) -> str:
    """Case, composition and spacing folded, punctuation dropped, diacritics kept."""
    return " ".join(words_of(text))


# A submitted review does not change, and every tick reads the cycle's reviews again: the
# words, shingles and scores of texts already seen are remembered (bounded) in the process
# that ticks, so a tick pays only for what is new since the last one.
CACHED = 1 << 16


def similarity(a: str, b: str) -> float:
    """0..1: one minus the share of characters to insert or delete to turn one into the other."""
    return _similarity(a, b) if a <= b else _similarity(b, a)


@lru_cache(maxsize=CACHED * 4)
def _similarity(a: str, b: str) -> float:
    return float(Indel.normalized_similarity(a, b))


def word_similarity(a: list[str], b: list[str]) -> float:
    """0..1 over words, not characters: a sentence of the usual form about another task
    differs in whole words, a copy with a word changed in one."""
    return float(Indel.normalized_similarity(a, b))


@dataclass(frozen=True)
class Text:
    """A text to compare within its group: `key` names it (a unit code)."""

    key: str
    group: str
    text: str


@dataclass(frozen=True)
class Match:
    a: str
    b: str
    group: str
    similarity: float


class _Anchors(dict[str, bool]):
    """Whether a word starts a shingle: one word in SAMPLE, by a hash of the word itself, so a
    copy keeps the same shingles wherever its words are unchanged."""

    def __missing__(self, word: str) -> bool:
        keep = self[word] = zlib.crc32(word.encode()) % SAMPLE == 0
        return keep


_ANCHORS = _Anchors()  # the same for every text: a word's hash decides


@lru_cache(maxsize=CACHED)
def _shingles(words: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """The text's runs of four words (a template's phrase with what fills it) that start at
    an anchor word: a copy and its source share dozens, at a fraction of the cost of all."""
    runs = zip(*(words[i:] for i in range(SHINGLE)), strict=False)
    return frozenset(compress(runs, map(_ANCHORS.__getitem__, words)))


@lru_cache(maxsize=CACHED)
def _words(text: str) -> tuple[str, ...]:
    return tuple(words_of(text))


def near_duplicates(texts: Iterable[Text], *, threshold: float) -> list[Match]:
    """Pairs of texts of the same group at least `threshold` similar (after normalising)."""
    groups: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for t in texts:
        words = _words(t.text)
        if len(words) >= MIN_WORDS:
            groups[t.group].append((t.key, " ".join(words), words))
    found: list[Match] = []
    for group, members in groups.items():
        found += _in_group(group, tuple(members), threshold)
    return sorted(found, key=lambda m: (m.group, m.a, m.b))


# Most organizations' reviews are the same as at the last tick: their pairs are remembered
# whole, as the words and scores are, so a tick counts shingles only where a text came.
@lru_cache(maxsize=CACHED // 16)
def _in_group(
    group: str, members: tuple[tuple[str, str, tuple[str, ...]], ...], threshold: float
) -> tuple[Match, ...]:
    shingles = [_shingles(words) for _, _, words in members]
    df: Counter[tuple[str, ...]] = Counter()
    for s in shingles:
        df.update(s)
    rare = {h for h, n in df.items() if 2 <= n <= RARE}
    buckets: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, s in enumerate(shingles):
        for h in s & rare:
            buckets[h].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in buckets.values():
        shared.update(combinations(ids, 2))
    candidates = [pair for pair, n in shared.items() if n >= MIN_SHARED]
    out = []
    for i, j in sorted(candidates):
        (ka, na, _), (kb, nb, _) = members[i], members[j]
        score = similarity(na, nb)
        if score >= threshold:
            a, b = sorted((ka, kb))
            out.append(Match(a, b, group, round(score, 3)))
    return tuple(out)


def clusters(matches: Iterable[Match]) -> list[list[Match]]:
    """Matches joined into groups of texts copied from each other (connected pairs)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    matches = list(matches)
    for m in matches:
        parent[find(m.a)] = find(m.b)
    joined: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        joined[find(m.a)].append(m)
    return sorted(joined.values(), key=lambda ms: min(m.a for m in ms))
