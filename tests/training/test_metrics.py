"""BLEU (mean of BLEU-1..4) and ROUGE-L as the PanzaMail evaluation scores drafts."""

from __future__ import annotations

import math

import pytest

from panza.training.metrics import bleu, bleu_n, rouge_l, words


def test_text_is_compared_lowercased_without_punctuation() -> None:
    assert words("Dear Tom, see you at 7!") == ["dear", "tom", "see", "you", "at", "7"]
    assert bleu("Dear Tom, see you.", ["dear tom see you"]) == 1.0


def test_bleu_of_identical_and_disjoint_texts() -> None:
    assert bleu("the cat sat on the mat", ["the cat sat on the mat"]) == 1.0
    assert bleu("a b c d", ["e f g h"]) == 0.0
    assert bleu("", ["anything"]) == 0.0


def test_bleu_n_by_hand() -> None:
    # candidate 4 words, reference 6: unigram 3/4, bigram 2/3; brevity penalty e^(1-6/4).
    cand, ref = "the cat sat down", "the cat sat on the mat"
    penalty = math.exp(1 - 6 / 4)
    assert bleu_n(cand, [ref], 1) == pytest.approx(penalty * 3 / 4)
    assert bleu_n(cand, [ref], 2) == pytest.approx(penalty * math.sqrt(3 / 4 * 2 / 3))
    # Trigrams 1/2 ("the cat sat"); no 4-gram in common, so BLEU-4 is 0.
    b3 = penalty * (3 / 4 * 2 / 3 * 1 / 2) ** (1 / 3)
    expected = (penalty * 3 / 4 + penalty * math.sqrt(1 / 2) + b3 + 0.0) / 4
    assert bleu(cand, [ref]) == pytest.approx(expected)


def test_bleu_clips_repeated_words_and_uses_the_best_reference() -> None:
    assert bleu_n("the the the the", ["the cat"], 1) == pytest.approx(1 / 4)
    assert bleu("see you soon then", ["goodbye", "see you soon then"]) == 1.0
    # Shorter than 4 words: BLEU-4 has no 4-gram to match and is 0, as in torchmetrics.
    assert bleu("see you soon", ["see you soon"]) == 0.75


def test_rouge_l_is_the_f1_of_the_longest_common_subsequence() -> None:
    # LCS "the cat on the mat": all 5 candidate words, 5 of the 6 reference words.
    p, r = 5 / 5, 5 / 6
    assert rouge_l("the cat on the mat", "the cat sat on the mat") == pytest.approx(
        2 * p * r / (p + r)
    )
    assert rouge_l("mat the on", "the cat sat on the mat") == pytest.approx(
        2 * (2 / 3) * (2 / 6) / (2 / 3 + 2 / 6)
    )
    assert rouge_l("a b c", "a b c") == 1.0
    assert rouge_l("a b c", "d e f") == 0.0
