"""Foreign languages on a CV, as ISO 639-1 codes with a CEFR level: ``en:B2;fr:A2``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hientai.contract import vocab as v
from hientai.synth.encode import join_strings, sigmoid, strings

LANGUAGES = ("en", "fr", "zh", "ru", "ja", "ko", "de", "nl", "vi")
TOKENS = tuple(f"{lang}:{level}" for lang in LANGUAGES for level in v.CEFR_LEVELS)
SLOTS = 3  # at most three languages per person
_CEFR_CUTS_INTERNAL = (0.08, 0.30, 0.68, 0.90, 0.98)  # A1 | A2 | B1 | B2 | C1 | C2


def token(language: np.ndarray | int, level: np.ndarray | int) -> np.ndarray:
    return np.asarray(language) * len(v.CEFR_LEVELS) + np.asarray(level)


def cefr_level(latent: np.ndarray, cuts: tuple[float, ...] = _CEFR_CUTS_INTERNAL) -> np.ndarray:
    """CEFR level index (0 = A1 ... 5 = C2) from a latent, by its quantiles."""
    if len(latent) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.searchsorted(np.quantile(latent, cuts), latent)


def internal_languages(
    rng: np.random.Generator, potential: np.ndarray, education: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Mostly English at B1-B2; older cadres and those without a degree often list none."""
    n = len(potential)
    degree = education >= v.EDUCATION_LEVELS.index("bachelor")
    postgraduate = education >= v.EDUCATION_LEVELS.index("master")
    has_any = rng.random(n) < sigmoid(0.2 + 0.8 * degree + 0.5 * postgraduate - 0.05 * (age - 35))
    first = np.where(rng.random(n) < 0.9, 0, rng.integers(1, 6, n))
    level = cefr_level(0.3 * potential + 0.5 * postgraduate + rng.standard_normal(n))
    tokens = np.full((n, SLOTS), -1, dtype=np.int16)
    tokens[has_any, 0] = token(first, level)[has_any]
    second = has_any & (rng.random(n) < 0.1)
    second_language = np.where(first == 0, rng.integers(1, 7, n), 0)
    tokens[second, 1] = token(second_language, rng.integers(1, 3, n))[second]
    return tokens


def external_languages(
    rng: np.random.Generator, potential: np.ndarray, native: np.ndarray, foreigner: np.ndarray
) -> np.ndarray:
    """Candidates from abroad list strong English; foreigners often some Vietnamese too.

    ``native`` is the index into LANGUAGES of a foreign national's own language (-1 for
    Vietnamese nationals), which is not listed as a foreign language.
    """
    n = len(potential)
    level = cefr_level(0.4 * potential + rng.standard_normal(n), (0.0, 0.02, 0.15, 0.50, 0.85))
    first = np.where(native == 0, rng.integers(1, 7, n), 0)
    tokens = np.full((n, SLOTS), -1, dtype=np.int16)
    tokens[:, 0] = token(first, level)
    extra = rng.random(n) < 0.3
    extra_language = np.where(first == 0, rng.integers(1, 7, n), 0)
    extra &= extra_language != native
    tokens[extra, 1] = token(extra_language, rng.integers(2, 5, n))[extra]
    vietnamese = foreigner & (rng.random(n) < 0.45)
    tokens[vietnamese, 2] = token(LANGUAGES.index("vi"), rng.integers(0, 4, n))[vietnamese]
    return tokens


def languages_column(tokens: np.ndarray) -> pd.Series:
    """The ``languages`` column: tokens joined with ';', NA when the person lists none."""
    parts = [strings(TOKENS, tokens[:, k].clip(0), tokens[:, k] >= 0) for k in range(SLOTS)]
    joined = parts[0]
    for part in parts[1:]:
        joined = _join_skipping_missing(joined, part)
    return joined


def _join_skipping_missing(left: pd.Series, right: pd.Series) -> pd.Series:
    both = join_strings(left, right, separator=";")
    return both.where(left.notna() & right.notna(), left.where(left.notna(), right))
