"""Training data: time-based splits, cohorts and the model's feature matrix.

Validation is later in time than training: rows are split by their as_of date, never at random
across time. The one exception is an extract of a single date (a cross-section with its own
outcome column, such as the WNS extract): there is no later period to hold out, so a share of
its *people* is held out at the same date (``people_split_rows``). That measures how well the
model fits the same moment, not how well it predicts a later one, and the model card says so.
A cohort is the pool a shortlist is drawn from; here (as_of, province),
the unit planners compare people within. LightGBM's ranker allows at most 10,000 rows per
query group, so larger cohorts are cut into consecutive chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalog import FEATURE_NAMES

MAX_GROUP_ROWS = 10_000
NOT_LATER = "validation dates must all be later than every training date; got {train} / {valid}"


@dataclass(frozen=True)
class TimeSplit:
    train: pd.DataFrame
    valid: pd.DataFrame

    @property
    def train_dates(self) -> list[pd.Timestamp]:
        return sorted(self.train["as_of"].unique())

    @property
    def valid_dates(self) -> list[pd.Timestamp]:
        return sorted(self.valid["as_of"].unique())


def time_split_rows(
    frame: pd.DataFrame, *, n_valid_dates: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (training, validation): the last ``n_valid_dates`` as_of dates validate,
    every earlier one trains; nothing is copied."""
    dates = sorted(frame["as_of"].unique())
    if len(dates) <= n_valid_dates:
        raise ValueError(
            f"need more than {n_valid_dates} as_of dates for a time split, got {len(dates)}"
        )
    in_train = (frame["as_of"] < dates[-n_valid_dates]).to_numpy()
    return np.flatnonzero(in_train), np.flatnonzero(~in_train)


NO_TWO_CLASSES = (
    "a people hold-out needs promoted and not-promoted people in the frame; got {positives} "
    "positive and {negatives} negative people"
)


def people_split_rows(
    frame: pd.DataFrame, *, share: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (training, validation): a stratified ``share`` of the people (by whether
    they were ever labelled positive) validates; every row of a person goes to one side."""
    from sklearn.model_selection import train_test_split

    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    ever = frame.groupby("person_id", observed=True, sort=True)["label"].max()
    positives, negatives = int(ever.sum()), int((ever == 0).sum())
    if min(positives, negatives) < 2:
        raise ValueError(NO_TWO_CLASSES.format(positives=positives, negatives=negatives))
    _, held = train_test_split(
        ever.index.to_numpy(), test_size=share, stratify=ever.to_numpy(), random_state=seed
    )
    in_valid = frame["person_id"].isin(held).to_numpy()
    return np.flatnonzero(~in_valid), np.flatnonzero(in_valid)


def time_split(frame: pd.DataFrame, *, n_valid_dates: int = 1) -> TimeSplit:
    """The last ``n_valid_dates`` as_of dates validate; every earlier one trains."""
    train_rows, valid_rows = time_split_rows(frame, n_valid_dates=n_valid_dates)
    train = frame.iloc[train_rows].reset_index(drop=True)
    valid = frame.iloc[valid_rows].reset_index(drop=True)
    if train["as_of"].max() >= valid["as_of"].min():
        raise ValueError(NOT_LATER.format(train=train["as_of"].max(), valid=valid["as_of"].min()))
    return TimeSplit(train, valid)


def model_features(*, exclude: Sequence[str] = ()) -> list[str]:
    """Catalog features the model sees (all of them, less any excluded proxies)."""
    unknown = sorted(set(exclude) - set(FEATURE_NAMES))
    if unknown:
        raise ValueError(f"cannot exclude {unknown}: not in the feature catalog")
    return [f for f in FEATURE_NAMES if f not in set(exclude)]


def cohort_ids(frame: pd.DataFrame) -> np.ndarray:
    """Integer id of each row's cohort: (as_of, province); missing province is its own pool."""
    keys = (
        frame["as_of"].astype(str) + "|" + frame["province"].astype(object).fillna("?").astype(str)
    )
    return pd.factorize(keys)[0]


def ranker_groups(cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order sorting rows by cohort, and group sizes with no group over MAX_GROUP_ROWS."""
    order = np.argsort(cohorts, kind="stable")
    sorted_ids = cohorts[order]
    _, sizes = np.unique(sorted_ids, return_counts=True)
    groups = []
    for size in sizes:
        full, rest = divmod(int(size), MAX_GROUP_ROWS)
        groups += [MAX_GROUP_ROWS] * full + ([rest] if rest else [])
    return order, np.asarray(groups, dtype=np.int64)
