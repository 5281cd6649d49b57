"""Per-recommendation explanations: reason codes from exact TreeSHAP, and development ideas.

Each person's raw score is the model's base value plus one exact TreeSHAP contribution per
feature (LightGBM ``pred_contrib``, the same values as ``shap.TreeExplainer``). The reasons
are the largest contributions of each sign, worded by ``features.reasons``; the dimension
totals group contributions by the catalog dimension. Nothing is published unless the
contributions add up to the raw score for every row. Development suggestions ask the model
itself how much a realistic improvement of an actionable feature would raise the calibrated
score.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from features.catalog import BY_NAME, DIMENSIONS
from features.reasons import Lang, check_lang, description_phrase, format_number, reason_phrase
from models.potential import PotentialClassifier

ADDITIVITY_GAP = (
    "row {row!r}: base value + contributions differ from the raw score by {gap:.3g} "
    "(tolerance {tolerance:.3g}; {count} row(s) fail). These contributions do not explain "
    "the score: do not publish them; check the model file and the LightGBM version"
)
MISSING_COLUMNS = "X lacks feature columns the model was trained on: {missing}"
MISSING_REFERENCE = "reference lacks actionable feature columns: {missing}"
CAP_QUANTILE = 0.9
REFERENCE_ROWS = 50_000  # population rows the realistic improvements are measured against
# Candidate rows scored per predict call: about 550 MB of float64 with 68 features.
MAX_BATCH_ROWS = 1_000_000


class AdditivityError(AssertionError):
    """Base value plus contributions do not add up to a row's raw score."""


def explain_rows(
    classifier: PotentialClassifier,
    X: pd.DataFrame,
    *,
    top: int = 3,
    tolerance: float = 1e-6,
    contributions: np.ndarray | None = None,
) -> pd.DataFrame:
    """One explanation per row of ``X`` (same index), from one pass of exact TreeSHAP.

    Columns: ``base_value``, ``raw_score``, ``score`` (calibrated, equal to
    ``classifier.predict_proba(X)``), ``additivity_error``, ``dimensions`` (dimension ->
    summed contribution), ``reasons_positive`` and ``reasons_negative`` (at most ``top``
    dicts with feature, dimension, value, contribution, text_vi, text_en: the largest
    strictly positive contributions first, and the most negative first) and
    ``contributions`` (feature -> contribution, non-zero only). Raises ``AdditivityError``
    naming the first row whose base value plus contributions miss its raw score by more
    than ``tolerance``. ``contributions``: ``classifier.contributions(X)`` if the caller has
    it already (it is checked like any other).
    """
    _check_top(top)
    names = _model_columns(classifier, X)
    if contributions is None:
        contributions = classifier.contributions(X)
    raw = classifier.raw_score(X)
    gap = np.abs(contributions.sum(axis=1) - raw)
    _check_additivity(X.index, gap, tolerance=tolerance)
    per_feature = contributions[:, :-1]
    values = X[names].to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "base_value": contributions[:, -1],
            "raw_score": raw,
            "score": _calibrated(classifier, raw),
            "additivity_error": gap,
            "dimensions": _dimension_totals(per_feature, names),
            "reasons_positive": _reasons(per_feature, values, names, top=top, sign=1),
            "reasons_negative": _reasons(per_feature, values, names, top=top, sign=-1),
            "contributions": _nonzero(per_feature, names),
        },
        index=X.index,
    )


def development_suggestions(
    classifier: PotentialClassifier,
    X: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    top: int = 3,
    quantile_step: float = 0.25,
) -> pd.Series:
    """Per row, the realistic improvements that would raise the calibrated score the most.

    Only catalog features that are actionable and have a direction are tried. The realistic
    improvement of a feature is measured against ``reference`` (the population's values):
    a person at quantile q of the reference (the share of reference values <= theirs) moves
    to the reference value at quantile min(q + ``quantile_step``, 0.9), an observed value
    (inverted-CDF quantile). Nothing changes if that is not above their value, that is if
    they are already at or above the 0.9 quantile. For lower-is-better features the same
    rule runs on the negated values (lower by a quantile step, floored at the 0.1
    quantile). A missing value moves to the reference median. Every (row, feature) change is
    scored by the model in batched predicts; a suggestion is kept only if it raises the
    calibrated score (``score_gain`` > 0). Returns lists of dicts {feature, from_value,
    to_value, score_gain, raw_gain, text_vi, text_en}, best first (largest score gain, ties
    broken by the larger raw gain), at most ``top``.
    """
    _check_top(top)
    if not 0 < quantile_step < 1:
        raise ValueError(f"quantile_step must be in (0, 1), got {quantile_step}")
    names = _model_columns(classifier, X)
    actionable = actionable_features(names)
    missing = [name for name in actionable if name not in reference.columns]
    if missing:
        raise ValueError(MISSING_REFERENCE.format(missing=missing))
    base = X[names].to_numpy(dtype="float64")
    position = [names.index(name) for name in actionable]
    targets = _targets(base, reference, actionable, position, quantile_step=quantile_step)
    raw_gain, score_gain = _gains(classifier, base, targets, position)
    suggestions = _suggestions(base, targets, raw_gain, score_gain, actionable, position, top)
    return pd.Series(suggestions, index=X.index, name="development_suggestions", dtype=object)


def reference_sample(population: pd.DataFrame, *, rows: int = REFERENCE_ROWS) -> pd.DataFrame:
    """The population sample development suggestions are measured against (seeded, so the
    nightly run and `hientai explain` suggest the same improvements)."""
    return population.take(reference_positions(len(population), rows=rows))


def reference_positions(n_rows: int, *, rows: int = REFERENCE_ROWS) -> np.ndarray:
    """The positions ``reference_sample`` takes from a population of ``n_rows`` (seeded)."""
    every = pd.Series(np.arange(n_rows))
    return every.sample(n=min(n_rows, rows), random_state=0).to_numpy()


def actionable_features(feature_names: list[str]) -> list[str]:
    """The model's features a development plan can change, in the model's column order."""
    return [
        name
        for name in feature_names
        if name in BY_NAME
        and BY_NAME[name].actionable
        and BY_NAME[name].direction in ("higher_is_better", "lower_is_better")
    ]


def realistic_targets(
    values: np.ndarray,
    reference: np.ndarray,
    *,
    lower_is_better: bool = False,
    quantile_step: float = 0.25,
) -> np.ndarray:
    """Each person's realistic improved value of one feature, NaN where nothing changes.

    See ``development_suggestions`` for the rule; ``reference`` may hold NaN (ignored).
    """
    known = reference[~np.isnan(reference)]
    if len(known) == 0:
        return np.full(len(values), np.nan)
    sign = -1.0 if lower_is_better else 1.0
    ordered = np.sort(sign * known)
    own = sign * values
    share_at_or_below = np.searchsorted(ordered, own, side="right") / len(ordered)
    target = inverted_cdf_quantile(
        ordered, np.minimum(share_at_or_below + quantile_step, CAP_QUANTILE)
    )
    improved = np.where(target > own, sign * target, np.nan)
    median = inverted_cdf_quantile(np.sort(known), np.array([0.5]))[0]
    return np.where(np.isnan(values), median, improved)


def inverted_cdf_quantile(ordered: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The smallest value of sorted ``ordered`` with at least a share q at or below it.

    ``np.quantile(ordered, q, method="inverted_cdf")`` vectorised over many q, except that a
    q * n a rounding error above a whole number counts as that number.
    """
    n = len(ordered)
    # In floating point (3/100 + 0.25) * 100 is 28.000000000000004: it must count as 28.
    index = np.ceil(q * n - 1e-9).astype(np.int64) - 1
    return ordered[np.clip(index, 0, n - 1)]


def _targets(
    base: np.ndarray,
    reference: pd.DataFrame,
    actionable: list[str],
    position: list[int],
    *,
    quantile_step: float,
) -> np.ndarray:
    """Rows x actionable features: the realistic improved value, NaN where none."""
    columns = [
        realistic_targets(
            base[:, j],
            reference[name].to_numpy(dtype="float64"),
            lower_is_better=BY_NAME[name].direction == "lower_is_better",
            quantile_step=quantile_step,
        )
        for name, j in zip(actionable, position, strict=True)
    ]
    return np.column_stack(columns) if columns else np.empty((len(base), 0))


def _check_top(top: int) -> None:
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")


def _model_columns(classifier: PotentialClassifier, X: pd.DataFrame) -> list[str]:
    names = list(classifier.feature_names_)
    missing = [name for name in names if name not in X.columns]
    if missing:
        raise ValueError(MISSING_COLUMNS.format(missing=missing))
    return names


def _check_additivity(index: pd.Index, gap: np.ndarray, *, tolerance: float) -> None:
    failing = np.flatnonzero(~(gap <= tolerance))  # NaN fails too
    if len(failing):
        first = failing[0]
        raise AdditivityError(
            ADDITIVITY_GAP.format(
                row=index[first], gap=gap[first], tolerance=tolerance, count=len(failing)
            )
        )


def _calibrated(classifier: PotentialClassifier, raw: np.ndarray) -> np.ndarray:
    # predict_proba would recompute the raw score; calibrate the one already checked.
    assert classifier.calibrator_ is not None, "fit first"
    return np.asarray(classifier.calibrator_.predict(raw), dtype="float64")


def _dimension_totals(per_feature: np.ndarray, names: list[str]) -> list[dict[str, float]]:
    dimension = [BY_NAME[name].dimension if name in BY_NAME else "other" for name in names]
    codes = [d for d in (*DIMENSIONS, "other") if d in dimension]
    membership = np.array([[d == code for code in codes] for d in dimension], dtype="float64")
    totals = per_feature @ membership
    return [dict(zip(codes, row, strict=True)) for row in totals.tolist()]


def _nonzero(per_feature: np.ndarray, names: list[str]) -> list[dict[str, float]]:
    return [{n: c for n, c in zip(names, row, strict=True) if c} for row in per_feature.tolist()]


def _bounds(counts: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each row's run in a flat, row-major list of per-row items."""
    return list(itertools.pairwise(np.r_[0, np.cumsum(counts)].tolist()))


def _reasons(
    per_feature: np.ndarray, values: np.ndarray, names: list[str], *, top: int, sign: int
) -> list[list[dict[str, Any]]]:
    """The ``top`` largest contributions of one sign per row, strongest first."""
    order = np.argsort(-sign * per_feature, axis=1, kind="stable")[:, :top]
    picked = np.take_along_axis(per_feature, order, axis=1)
    keep = sign * picked > 0
    rows, ranks = np.nonzero(keep)  # row-major: each row's reasons stay in rank order
    features = order[rows, ranks].tolist()
    cell_values = values[rows, order[rows, ranks]].tolist()
    dimensions = [BY_NAME[name].dimension if name in BY_NAME else "other" for name in names]
    flat = [
        {
            "feature": names[f],
            "dimension": dimensions[f],
            "value": None if math.isnan(v) else v,
            "contribution": c,
            "text_vi": vi,
            "text_en": en,
        }
        for f, v, c, (vi, en) in zip(
            features,
            cell_values,
            picked[rows, ranks].tolist(),
            _texts(features, cell_values, names),
            strict=True,
        )
    ]
    return [flat[a:b] for a, b in _bounds(keep.sum(axis=1))]


def _texts(features: list[int], values: list[float], names: list[str]) -> list[tuple[str, str]]:
    """(vi, en) reason text per cell; each (feature, value) worded once, as counts repeat."""
    memo: dict[tuple[int, float | None], tuple[str, str]] = {}
    out = []
    for f, v in zip(features, values, strict=True):
        key = (f, None if math.isnan(v) else v)
        pair = memo.get(key)
        if pair is None:
            name = names[f]
            pair = reason_phrase(name, v, lang="vi"), reason_phrase(name, v, lang="en")
            memo[key] = pair
        out.append(pair)
    return out


def _gains(
    classifier: PotentialClassifier,
    base: np.ndarray,
    targets: np.ndarray,
    position: list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Raw and calibrated score gains of each (row, actionable feature) change; NaN if none."""
    raw_base = classifier.raw_from_matrix(base)
    rows, cols = np.nonzero(~np.isnan(targets))
    raw_new = np.empty(len(rows))
    for start in range(0, len(rows), MAX_BATCH_ROWS):
        part = slice(start, start + MAX_BATCH_ROWS)
        batch = base[rows[part]]
        batch[np.arange(len(batch)), np.asarray(position)[cols[part]]] = targets[
            rows[part], cols[part]
        ]
        raw_new[part] = classifier.raw_from_matrix(batch)
    raw_gain = np.full(targets.shape, np.nan)
    score_gain = np.full(targets.shape, np.nan)
    raw_gain[rows, cols] = raw_new - raw_base[rows]
    score_base = _calibrated(classifier, raw_base)
    score_gain[rows, cols] = _calibrated(classifier, raw_new) - score_base[rows]
    return raw_gain, score_gain


def _suggestions(
    base: np.ndarray,
    targets: np.ndarray,
    raw_gain: np.ndarray,
    score_gain: np.ndarray,
    actionable: list[str],
    position: list[int],
    top: int,
) -> list[list[dict[str, Any]]]:
    ranked = np.where(score_gain > 0, score_gain, -np.inf)
    # Calibration is a step function, so gains tie often: the larger raw gain goes first.
    order = np.lexsort((-np.nan_to_num(raw_gain, nan=-np.inf), -ranked), axis=1)[:, :top]
    keep = np.take_along_axis(ranked, order, axis=1) > 0
    rows, ranks = np.nonzero(keep)
    cols = order[rows, ranks]
    flat = [
        _suggestion(actionable[c], before, after, gain, raw)
        for c, before, after, gain, raw in zip(
            cols.tolist(),
            base[rows, np.asarray(position, dtype=np.int64)[cols]].tolist(),
            targets[rows, cols].tolist(),
            score_gain[rows, cols].tolist(),
            raw_gain[rows, cols].tolist(),
            strict=True,
        )
    ]
    return [flat[a:b] for a, b in _bounds(keep.sum(axis=1))]


def _suggestion(
    feature: str, before: float, after: float, score_gain: float, raw_gain: float
) -> dict[str, Any]:
    unknown = math.isnan(before)
    return {
        "feature": feature,
        "from_value": None if unknown else before,
        "to_value": after,
        "score_gain": score_gain,
        "raw_gain": raw_gain,
        "text_vi": suggestion_text(feature, before, after, score_gain, lang="vi"),
        "text_en": suggestion_text(feature, before, after, score_gain, lang="en"),
    }


def suggestion_text(
    feature: str, before: float, after: float, score_gain: float, *, lang: Lang
) -> str:
    """E.g. "raising <catalog description> from 0.92 to 1.05 would raise the score by 0.04"."""
    check_lang(lang)
    what = description_phrase(feature, lang=lang)
    to = format_number(after, lang=lang)
    # Two decimals, or one significant digit for a gain below 0.01.
    digits = max(2, -math.floor(math.log10(score_gain))) if score_gain > 0 else 2
    gain = format_number(score_gain, lang=lang, digits=digits)
    if math.isnan(before):
        if lang == "vi":
            return f"đạt {to} về {what} (hiện chưa có dữ liệu) sẽ tăng điểm thêm {gain}"
        return f"reaching {to} on {what} (no data now) would raise the score by {gain}"
    start = format_number(before, lang=lang)
    if lang == "vi":
        verb, towards = ("nâng", "lên") if after > before else ("giảm", "xuống")
        return f"{verb} {what} từ {start} {towards} {to} sẽ tăng điểm thêm {gain}"
    verb = "raising" if after > before else "lowering"
    return f"{verb} {what} from {start} to {to} would raise the score by {gain}"
