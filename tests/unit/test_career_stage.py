"""Career-stage-relative ranking: young pools compare each candidate with same-stage peers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.career_stage import UNKNOWN_STAGE, career_stages, stage_relative


def test_stages_are_bands_of_service_and_unknown_is_its_own() -> None:
    tenure = np.array([0.0, 4.99, 5.0, 9.9, 10.0, 14.0, 15.0, 40.0, np.nan])
    assert career_stages(tenure).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, UNKNOWN_STAGE]


def test_place_within_stage_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=200)
    stages = rng.integers(0, 4, size=200)
    got = stage_relative(scores, stages)
    for i in range(200):
        peers = scores[stages == stages[i]]
        place = ((peers < scores[i]).sum() + ((peers == scores[i]).sum() + 1) / 2) / len(peers)
        assert abs(got[i] - place) < 1e-5
    # the raw score only breaks ties: order within a stage is the raw order
    for g in range(4):
        at = stages == g
        assert (np.argsort(got[at]) == np.argsort(scores[at])).all()


def test_the_best_of_each_stage_outranks_the_middle_of_a_stronger_stage() -> None:
    # Seniors' scores are all higher (more evidence); juniors' best still ranks with seniors'
    # best instead of below every senior.
    juniors = np.linspace(0.0, 1.0, 50)
    seniors = np.linspace(2.0, 3.0, 50)
    scores = np.r_[juniors, seniors]
    stages = np.r_[np.zeros(50, int), np.full(50, 3)]
    key = stage_relative(scores, stages)
    top = np.argsort(-key)[:10]
    assert 4 <= (stages[top] == 0).sum() <= 6
    assert (np.argsort(-scores)[:10] >= 50).all()  # the raw score would list seniors only
    assert pd.Series(key).is_unique
