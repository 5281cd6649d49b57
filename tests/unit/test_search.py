"""The budgeted search returns usable params and never looks at the held-out period."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from features.build import build_features
from features.labels import LabelDefinition, training_frame
from models.experiment import ExperimentConfig
from models.search import search_params
from tests.featurekit import random_extract


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = random_extract(6, n_people=300)
    dates = ["2019-01-01", "2020-01-01", "2021-01-01", "2022-01-01"]
    definition = LabelDefinition(horizon_years=2, leadership_only=False, min_rating_after=None)
    frame = training_frame(tables, dates, definition, build=build_features)
    return frame, frame[["population"]].rename(columns={"population": "male"})


def test_search_is_budgeted_and_ignores_the_held_out_period() -> None:
    frame, groups = _frame()
    config = ExperimentConfig(k=3, params={"n_estimators": 20}, seed=1)
    best, trials = search_params(frame, groups, config=config, flagged_proxies=[], trials=3)
    assert len(trials) == 3
    assert 3 <= best["num_leaves"] <= 31 and 0.01 <= best["learning_rate"] <= 0.1
    assert trials["score"].notna().all()
    held_out = frame["as_of"] == frame["as_of"].max()
    scrambled = frame.assign(label=frame["label"].where(~held_out, 1 - frame["label"]))
    again, _ = search_params(scrambled, groups, config=config, flagged_proxies=[], trials=3)
    assert again == best


def test_trials_are_judged_on_the_classifier_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from models import potential

    frame, groups = _frame()
    fits: list[int] = []
    original = potential.PotentialRanker.fit

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        fits.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(potential.PotentialRanker, "fit", counted)
    config = ExperimentConfig(k=3, params={"n_estimators": 20}, seed=1)
    search_params(frame, groups, config=config, flagged_proxies=[], trials=2)
    assert fits == []  # no trial trains the comparison ranker
