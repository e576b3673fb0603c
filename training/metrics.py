"""BLEU and ROUGE-L in plain Python, scored as in the PanzaMail paper's evaluation.

Texts are lowercased and stripped of punctuation, then split on whitespace. BLEU is the
mean of BLEU-1 .. BLEU-4, each computed on its own (uniform weights over 1..n, clipped
counts against all references, brevity penalty from the closest reference length, no
smoothing, as torchmetrics' BLEUScore does). ROUGE-L is the F1 of the longest common
subsequence (rouge-score's rougeL with the default beta 1).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")


def words(text: str) -> list[str]:
    """Lowercase, drop punctuation, split on whitespace."""
    return _PUNCT.sub(" ", text.lower()).split()


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu_n(candidate: str, references: Sequence[str], n: int) -> float:
    """BLEU with uniform weights over 1..n-grams for one candidate."""
    cand = words(candidate)
    refs = [words(r) for r in references]
    if not cand or not refs:
        return 0.0
    log_sum = 0.0
    for k in range(1, n + 1):
        counts = _ngrams(cand, k)
        total = sum(counts.values())
        if total == 0:
            return 0.0
        best: Counter[tuple[str, ...]] = Counter()
        for ref in refs:
            best |= _ngrams(ref, k)
        matched = sum(min(c, best[g]) for g, c in counts.items())
        if matched == 0:
            return 0.0
        log_sum += math.log(matched / total) / n
    ref_len = min((abs(len(r) - len(cand)), len(r)) for r in refs)[1]
    penalty = 1.0 if len(cand) > ref_len else math.exp(1 - ref_len / len(cand))
    return penalty * math.exp(log_sum)


def bleu(candidate: str, references: Sequence[str]) -> float:
    """Mean of BLEU-1, BLEU-2, BLEU-3 and BLEU-4."""
    return sum(bleu_n(candidate, references, n) for n in range(1, 5)) / 4


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 of one candidate against one reference."""
    cand, ref = words(candidate), words(reference)
    lcs = _lcs(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)
