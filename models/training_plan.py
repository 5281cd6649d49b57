"""Which as_of dates a model is trained on, and how it is validated.

Yearly dates with ``history_years`` of history before them and a full label horizon after; of
those, the ones where somebody was actually promoted (a date with no promotion teaches nothing
and, in a one-date extract such as WNS, every earlier date is such a date). With more usable
dates than ``n_valid_dates`` the latest ones validate (a time split); with fewer, the extract is a
cross-section: a stratified share of its people is held out at the same date (a people split),
which the model card and the README describe as the weaker guarantee it is. With none, the
error says what is missing and what can still be done.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from features.inputs import empty_table
from features.labels import LabelDefinition, outcome_labels
from features.per_date import PerDate, Tables, per_date
from features.results_label import ResultsDefinition

Split = Literal["time", "people"]

NO_DATE_FITS = (
    "the extract ({first} to {last}) has no {month_day} date with {history} years of history "
    "before it and a {horizon}-year label horizon after it. An extract of one date needs its "
    "outcome (promotions) dated within features.labels.horizon_years after that date; set a "
    "shorter horizon or training.history_years in conf/hientai.yaml, or deliver more history "
    "(docs/mapping.md, 'Extracts of one date')"
)
NO_PROMOTION = (
    "no usable label: no promotion{kind} starts within {horizon} year(s) after any training "
    "date ({dates}). The extract has {all_promotions} promotion record(s) in all "
    "({leadership} into leadership posts). {hint}Without a label this extract cannot train a "
    "model, but it can still be scored: ingest it into a data folder whose registry has a "
    "champion (trained on another extract of the same contract) and run `hientai nightly "
    "--snapshot ID`; see docs/mapping.md, 'Extracts without an outcome'"
)
NO_RESULTS_LABEL = (
    "no usable label: nobody has {evidence} or more records of results (outputs, ratings, 360 "
    "surveys, confidence votes) within {horizon} year(s) after any training date ({dates}). "
    "Map the extract's outputs, evaluations or surveys (docs/mapping.md), or train on "
    "promotions instead: features.labels.family: promotion"
)
LEADERSHIP_HINT = (
    "Promotions exist but none into leadership: set features.labels.leadership_only: false to "
    "learn from every promotion. "
)
TOO_FEW_DATES = (
    "training.split is 'time' but only {n} date(s) have promotions ({dates}); a time split "
    "needs more than {n_valid}. Use split 'auto' or 'people', or deliver more history"
)


class NoUsableLabel(ValueError):
    """The extract has no outcome to learn from; the message says what is missing."""


@dataclass(frozen=True)
class TrainingPlan:
    dates: list[pd.Timestamp]
    split: Split
    # as_of -> people with a positive label, for each fitting date looked at (latest first,
    # until max_dates usable ones were found)
    positives: dict[str, int]
    # as_of -> the labels of each usable date (person_id, label), so they are computed once
    labels: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)


def candidate_dates(
    date_range: tuple[pd.Timestamp, pd.Timestamp],
    *,
    month_day: str,
    history_years: int,
    horizon_years: int,
) -> list[pd.Timestamp]:
    """Yearly as_of dates with enough history before and a full label horizon after."""
    first, last = date_range
    month, day = (int(p) for p in month_day.split("-"))
    candidates = [
        pd.Timestamp(year, month, day) for year in range(first.year + history_years, last.year + 1)
    ]
    end = last + pd.Timedelta(days=1)
    return [d for d in candidates if d + pd.DateOffset(years=horizon_years) <= end]


def plan_training(
    tables: Tables | PerDate,
    date_range: tuple[pd.Timestamp, pd.Timestamp],
    definition: LabelDefinition | ResultsDefinition,
    *,
    month_day: str = "01-01",
    history_years: int = 3,
    max_dates: int = 6,
    n_valid_dates: int = 1,
    split: Literal["auto", "time", "people"] = "auto",
) -> TrainingPlan:
    """The dates and split of a training run (see the module docstring)."""
    if split not in ("auto", "time", "people"):
        raise ValueError(f"split must be 'auto', 'time' or 'people', got {split!r}")
    if max_dates < 1:
        raise ValueError(f"max_dates must be at least 1, got {max_dates}")
    fitting = candidate_dates(
        date_range,
        month_day=month_day,
        history_years=history_years,
        horizon_years=definition.horizon_years,
    )
    if not fitting:
        first, last = date_range
        raise ValueError(
            NO_DATE_FITS.format(
                first=f"{first:%Y-%m-%d}",
                last=f"{last:%Y-%m-%d}",
                month_day=month_day,
                history=history_years,
                horizon=definition.horizon_years,
            )
        )
    runner = per_date(tables)
    usable, positives, labels = _usable_dates(runner, fitting, definition, max_dates)
    if not usable:
        message = functools.partial(_no_label_message, definition=definition, dates=fitting)
        raise NoUsableLabel(runner.call(message))
    if split == "time" and len(usable) <= n_valid_dates:
        listed = ", ".join(f"{d:%Y-%m-%d}" for d in usable)
        raise ValueError(TOO_FEW_DATES.format(n=len(usable), dates=listed, n_valid=n_valid_dates))
    chosen: Split = "time" if split == "time" else "people"
    if split == "auto" and len(usable) > n_valid_dates:
        chosen = "time"
    return TrainingPlan(usable, chosen, positives, labels)


def _usable_dates(
    runner: PerDate,
    fitting: list[pd.Timestamp],
    definition: LabelDefinition | ResultsDefinition,
    max_dates: int,
) -> tuple[list[pd.Timestamp], dict[str, int], dict[str, pd.DataFrame]]:
    """The latest ``max_dates`` fitting dates with a positive label, the positives of every
    date looked at and the labels of the usable ones (``TrainingPlan``'s fields). Latest first,
    until enough are found: an earlier date would not be used, and each date's labels are a
    pass over the whole extract (kept for the training frame). The dates still needed are
    labelled together (where ``runner`` runs them, one per core): the dates looked at are the
    ones a date at a time would look at."""
    label = functools.partial(outcome_labels, definition=definition)
    usable: list[pd.Timestamp] = []
    positives: dict[str, int] = {}
    labels: dict[str, pd.DataFrame] = {}
    waiting = list(reversed(fitting))
    while waiting and len(usable) < max_dates:
        needed = max_dates - len(usable)
        wave, waiting = waiting[:needed], waiting[needed:]
        for day, found in zip(wave, runner.map(label, wave), strict=True):
            key = f"{day:%Y-%m-%d}"
            positives[key] = int(found["label"].sum())
            if positives[key] > 0:
                usable.append(day)
                labels[key] = found
    return sorted(usable), positives, labels


def _no_label_message(
    tables: Tables,
    *,
    definition: LabelDefinition | ResultsDefinition,
    dates: list[pd.Timestamp],
) -> str:
    if isinstance(definition, ResultsDefinition):
        return NO_RESULTS_LABEL.format(
            dates=", ".join(f"{d:%Y-%m-%d}" for d in dates),
            horizon=definition.horizon_years,
            evidence=definition.min_evidence,
        )
    spells = tables.get("assignments", empty_table("assignments"))
    promotions = spells["reason"].astype(str) == "promotion"
    into_leadership = promotions & spells["is_leadership"].fillna(False).astype(bool)
    hint = (
        LEADERSHIP_HINT
        if definition.leadership_only and promotions.any() and not into_leadership.any()
        else ""
    )
    shown = [f"{d:%Y-%m-%d}" for d in dates]
    return NO_PROMOTION.format(
        kind=" into leadership" if definition.leadership_only else "",
        horizon=definition.horizon_years,
        dates=", ".join(shown if len(shown) <= 6 else [*shown[:3], "...", *shown[-2:]]),
        all_promotions=int(promotions.sum()),
        leadership=int(into_leadership.sum()),
        hint=hint,
    )
