"""Per-row explanations add up, agree with the shap package, and suggest real improvements."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from features.catalog import BY_NAME, FEATURE_NAMES, FULL_CATALOG
from features.reasons import TEMPLATES, reason_phrase
from models.local_explain import (
    AdditivityError,
    actionable_features,
    development_suggestions,
    explain_rows,
    inverted_cdf_quantile,
)
from models.potential import PotentialClassifier

N_ROWS = 2_000
ACTIONABLE = {"kpi_achievement_3y", "survey_self_gap", "training_courses_5y"}


def _features(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "kpi_achievement_3y": rng.normal(1.0, 0.15, N_ROWS),
            "rating_excellent_count_3y": rng.integers(0, 4, N_ROWS).astype(float),
            "discipline_active": (rng.random(N_ROWS) < 0.1).astype(float),
            "survey_self_gap": rng.normal(0.2, 0.4, N_ROWS),
            "training_courses_5y": rng.poisson(3, N_ROWS).astype(float),
            "tenure_years": rng.uniform(1, 30, N_ROWS),
        },
        index=pd.Index([f"P{i:05d}" for i in range(N_ROWS)], name="person_id"),
    )
    frame.loc[rng.random(N_ROWS) < 0.1, "kpi_achievement_3y"] = np.nan
    frame.loc[rng.random(N_ROWS) < 0.05, "survey_self_gap"] = np.nan
    return frame


@pytest.fixture(scope="module")
def X() -> pd.DataFrame:
    return _features()


@pytest.fixture(scope="module")
def classifier(X: pd.DataFrame) -> PotentialClassifier:
    rng = np.random.default_rng(1)
    logit = (
        3 * (X["kpi_achievement_3y"].fillna(1.0) - 1)
        + 0.8 * X["rating_excellent_count_3y"]
        - 2 * X["discipline_active"]
        - X["survey_self_gap"].fillna(0.2)
        + 0.2 * X["training_courses_5y"]
        - 2
    ).to_numpy()
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    calibrate_on = rng.random(len(X)) < 0.3
    return PotentialClassifier(params={"n_estimators": 30}).fit(X, y, calibrate_on=calibrate_on)


@pytest.fixture(scope="module")
def explained(classifier: PotentialClassifier, X: pd.DataFrame) -> pd.DataFrame:
    return explain_rows(classifier, X)


def _shap_values(classifier: PotentialClassifier, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    with warnings.catch_warnings():
        # Importing shap imports matplotlib, which announces a deprecation; not ours.
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap
    explainer = shap.TreeExplainer(classifier.booster_)
    with warnings.catch_warnings():
        # shap notes that its binary LightGBM output format changed; we read the new one.
        warnings.filterwarnings("ignore", "LightGBM binary classifier", UserWarning)
        values = np.asarray(explainer.shap_values(X[classifier.feature_names_]))
    return values, float(np.ravel(explainer.expected_value)[0])


# --- additivity ---


def test_contributions_add_up_to_the_raw_score_for_every_row(
    classifier: PotentialClassifier, X: pd.DataFrame, explained: pd.DataFrame
) -> None:
    raw = classifier.raw_score(X)
    summed = explained["base_value"] + explained["contributions"].map(lambda d: sum(d.values()))
    np.testing.assert_allclose(summed, raw, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(explained["raw_score"], raw)
    np.testing.assert_array_equal(explained["score"], classifier.predict_proba(X))
    assert (explained["additivity_error"] <= 1e-9).all()
    assert explained.index.equals(X.index)


def test_a_tampered_row_raises_an_additivity_error_naming_it(
    classifier: PotentialClassifier, X: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = classifier.contributions

    def tampered(frame: pd.DataFrame) -> np.ndarray:
        values = honest(frame).copy()
        values[17, 2] += 0.01
        return values

    monkeypatch.setattr(classifier, "contributions", tampered)
    with pytest.raises(AdditivityError, match=r"row 'P00017'.* by 0\.01 .*1 row\(s\) fail"):
        explain_rows(classifier, X)
    # The same gap inside a looser tolerance passes, and is reported.
    loose = explain_rows(classifier, X, tolerance=0.02)
    assert loose.loc["P00017", "additivity_error"] == pytest.approx(0.01, abs=1e-9)


def test_one_contribution_pass_and_the_input_is_untouched(
    classifier: PotentialClassifier, X: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    honest = classifier.contributions
    monkeypatch.setattr(classifier, "contributions", lambda f: calls.append(1) or honest(f))
    before = X.copy()
    explain_rows(classifier, X)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(X, before)


# --- reason codes against the shap package ---


def _expected(row: np.ndarray, names: list[str], sign: int, top: int = 3) -> list[str]:
    """Brute force: the features of the given sign, strongest first (ties by column order)."""
    candidates = [(sign * v, -j) for j, v in enumerate(row) if sign * v > 0]
    return [names[-j] for _, j in sorted(candidates, reverse=True)[:top]]


def test_reason_codes_follow_the_sign_and_size_of_shap_values(
    classifier: PotentialClassifier, X: pd.DataFrame, explained: pd.DataFrame
) -> None:
    shap_values, expected_value = _shap_values(classifier, X)
    names = classifier.feature_names_
    np.testing.assert_allclose(explained["base_value"], expected_value, rtol=0, atol=1e-6)
    for i, (person, out) in enumerate(explained.iterrows()):
        for column, sign in (("reasons_positive", 1), ("reasons_negative", -1)):
            reasons = out[column]
            assert [r["feature"] for r in reasons] == _expected(shap_values[i], names, sign)
            for r in reasons:
                j = names.index(r["feature"])
                assert abs(r["contribution"] - shap_values[i, j]) <= 1e-6
                assert sign * r["contribution"] > 0
                value = X.loc[person, r["feature"]]
                assert r["value"] == (None if math.isnan(value) else value)
                assert r["dimension"] == BY_NAME[r["feature"]].dimension
                assert r["text_en"] == reason_phrase(r["feature"], value, lang="en")
                assert r["text_vi"] == reason_phrase(r["feature"], value, lang="vi")
    # The data were built so that both kinds of reason occur often.
    assert (explained["reasons_positive"].map(len) == 3).sum() > 100
    assert (explained["reasons_negative"].map(len) == 3).sum() > 100


def test_dimension_totals_equal_contributions_grouped_by_catalog_dimension(
    classifier: PotentialClassifier, X: pd.DataFrame, explained: pd.DataFrame
) -> None:
    long = pd.DataFrame(
        classifier.contributions(X)[:, :-1], index=X.index, columns=classifier.feature_names_
    ).melt(ignore_index=False, var_name="feature", value_name="contribution")
    long["dimension"] = long["feature"].map(lambda f: BY_NAME[f].dimension)
    expected = long.groupby([long.index, "dimension"])["contribution"].sum().unstack()
    reported = pd.DataFrame(explained["dimensions"].tolist(), index=X.index)
    assert set(reported.columns) == {"performance", "ratings", "survey_360", "development",
                                     "integrity", "career"}  # fmt: skip
    pd.testing.assert_frame_equal(
        reported[sorted(reported.columns)],
        expected[sorted(expected.columns)].rename_axis(index="person_id", columns=None),
        rtol=0,
        atol=1e-12,
    )


# --- reason phrases ---


def test_every_catalog_feature_has_phrases_in_both_languages() -> None:
    assert list(TEMPLATES) == list(FEATURE_NAMES)
    for spec in FULL_CATALOG:
        for value in (0.0, 1.0, 2.0, 0.37, -0.5, 93.0):
            vi = reason_phrase(spec.name, value, lang="vi")
            en = reason_phrase(spec.name, value, lang="en")
            assert vi and en and vi != en, (spec.name, value)
            assert "{" not in vi + en, (spec.name, value)


def test_missing_values_read_as_no_data() -> None:
    for spec in FULL_CATALOG:
        en = reason_phrase(spec.name, float("nan"), lang="en")
        vi = reason_phrase(spec.name, None, lang="vi")
        assert "data" in en and "dữ liệu" in vi, spec.name
    assert reason_phrase("tenure_years", float("nan"), lang="en") == (
        "no data on years in the public service"
    )
    assert reason_phrase("tenure_years", float("nan"), lang="vi") == (
        "không có dữ liệu về số năm công tác trong khu vực công"
    )


@pytest.mark.parametrize(
    ("feature", "value", "lang", "text"),
    [
        ("rating_excellent_count_3y", 3, "en", "rated excellent in 3 of the last 3 years"),
        ("rating_excellent_count_3y", 3, "vi", "được xếp loại xuất sắc 3 trong 3 năm gần nhất"),
        # The province percentile is on a 0-100 scale (features/performance.py).
        ("kpi_achievement_pctile_province", 93, "en",
         "KPI achievement in the top 7% of the province"),
        ("kpi_achievement_pctile_province", 93, "vi",
         "hoàn thành KPI thuộc nhóm 7% cao nhất của tỉnh"),
        ("kpi_achievement_pctile_province", 20, "en",
         "KPI achievement in the bottom 20% of the province"),
        ("discipline_active", 1, "en", "under an active disciplinary measure"),
        ("discipline_active", 0, "en", "no active disciplinary measure"),
        ("rating_trend_3y", -0.5, "vi", "xếp loại đi xuống 0,5 mức/năm trong 3 năm"),
        ("promotions_count", 1, "en", "promoted 1 time"),
    ],
)  # fmt: skip
def test_phrases_read_as_written(feature: str, value: float, lang: str, text: str) -> None:
    assert reason_phrase(feature, value, lang=lang) == text  # type: ignore[arg-type]


def test_unknown_language_or_feature_is_refused() -> None:
    with pytest.raises(ValueError, match=r"lang must be one of \('vi', 'en'\), got 'fr'"):
        reason_phrase("tenure_years", 3.0, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown feature 'age'"):
        reason_phrase("age", 40.0, lang="en")


# --- development suggestions ---


@pytest.fixture(scope="module")
def suggested(classifier: PotentialClassifier, X: pd.DataFrame) -> pd.Series:
    return development_suggestions(classifier, X, X)


def test_suggested_changes_rescore_to_the_reported_gain(
    classifier: PotentialClassifier, X: pd.DataFrame, suggested: pd.Series
) -> None:
    flat = [(person, s) for person, items in suggested.items() for s in items]
    assert len(flat) > 500
    changed = X.loc[[person for person, _ in flat]].reset_index(drop=True)
    for k, (_, s) in enumerate(flat):
        changed.loc[k, s["feature"]] = s["to_value"]
    before = classifier.predict_proba(X.loc[[person for person, _ in flat]])
    after = classifier.predict_proba(changed)
    np.testing.assert_array_equal(after - before, [s["score_gain"] for _, s in flat])
    raw_gain = classifier.raw_score(changed) - classifier.raw_score(
        X.loc[[person for person, _ in flat]]
    )
    np.testing.assert_array_equal(raw_gain, [s["raw_gain"] for _, s in flat])


def test_suggestions_are_actionable_positive_and_best_first(
    X: pd.DataFrame, suggested: pd.Series
) -> None:
    assert suggested.index.equals(X.index)
    for person, items in suggested.items():
        assert len(items) <= 3
        gains = [(s["score_gain"], s["raw_gain"]) for s in items]
        assert gains == sorted(gains, reverse=True)
        for s in items:
            assert s["feature"] in ACTIONABLE and s["score_gain"] > 0
            before = X.loc[person, s["feature"]]
            assert s["from_value"] == (None if math.isnan(before) else before)
            assert "would raise the score by" in s["text_en"]
            assert "sẽ tăng điểm thêm" in s["text_vi"]


def _exact_target(reference: np.ndarray, value: float, *, lower: bool) -> float:
    """The quantile rule in exact rational arithmetic (no floating-point q * n)."""
    ordered = np.sort(-reference if lower else reference)
    if math.isnan(value):
        return float(np.sort(reference)[math.ceil(Fraction(len(reference), 2)) - 1])
    own = -value if lower else value
    share = Fraction(int(np.sum(ordered <= own)), len(ordered))
    q = min(share + Fraction(1, 4), Fraction(9, 10))
    target = float(ordered[math.ceil(q * len(ordered)) - 1])
    return -target if lower else target


def test_targets_follow_the_quantile_rule(X: pd.DataFrame, suggested: pd.Series) -> None:
    checked = 0
    for person, items in suggested.items():
        for s in items:
            reference = X[s["feature"]].dropna().to_numpy()
            lower = BY_NAME[s["feature"]].direction == "lower_is_better"
            value = X.loc[person, s["feature"]]
            assert s["to_value"] == _exact_target(reference, value, lower=lower)
            checked += 1
    assert checked > 500


def test_a_row_at_the_cap_on_every_actionable_feature_gets_no_suggestion(
    classifier: PotentialClassifier, X: pd.DataFrame
) -> None:
    best = X.iloc[[0, 1]].copy()
    best["kpi_achievement_3y"] = X["kpi_achievement_3y"].quantile(0.95)
    best["training_courses_5y"] = X["training_courses_5y"].max()
    best["survey_self_gap"] = X["survey_self_gap"].min()
    best.iloc[1, best.columns.get_loc("kpi_achievement_3y")] = np.nan  # this one can improve
    out = development_suggestions(classifier, best, X)
    assert out.iloc[0] == []
    assert [s["feature"] for s in out.iloc[1]] in ([], ["kpi_achievement_3y"])
    assert actionable_features(classifier.feature_names_) == [
        name for name in classifier.feature_names_ if name in ACTIONABLE
    ]


def test_inverted_cdf_quantile_matches_numpy() -> None:
    ordered = np.sort(np.random.default_rng(3).integers(0, 7, 37).astype(float))
    q = np.linspace(0, 1, 101)
    expected = [np.quantile(ordered, p, method="inverted_cdf") for p in q]
    np.testing.assert_array_equal(inverted_cdf_quantile(ordered, q), expected)
