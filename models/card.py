"""The model card: what the model is for, what it is not for, how it did, overall and by group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.experiment import ExperimentResult

INTENDED_USE = (
    "Decision support for HR planners: rank internal cadres (and, with care, external "
    "candidates) by estimated potential within an eligible pool, with reasons and fairness "
    "context, so that people review evidence rather than names. Every recommendation is "
    "reviewed by a person who records a decision."
)
OUT_OF_SCOPE = (
    "Any automatic decision (appointment, dismissal, discipline, pay); screening people out "
    "without human review; use on populations or periods unlike the training data; reading "
    "a score as a measure of a person's worth; use of the score to infer or act on Party "
    "membership, nationality, gender, ethnicity, religion, hometown or age."
)


def _fmt(value: float) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and np.isnan(value))
        else f"{value:.3f}"
    )


def _table(frame: pd.DataFrame) -> str:
    if frame is None or frame.empty:
        return "(none)\n"
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = [
        "| " + " | ".join(_fmt(v) if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows]) + "\n"


SPLIT_TEXT = {
    "time": "Split by time, never at random.",
    "people": (
        "A stratified share of the people was held out at the same date(s) as training (an "
        "extract without a later period to hold out): these figures measure fit to that "
        "moment, not prediction of a later period (a time split over several dates does)."
    ),
}


def model_card(
    result: ExperimentResult,
    *,
    model_name: str,
    snapshot_id: str,
    label_definition: str,
    flagged_proxies: list[str],
    gate_reasons: list[str],
) -> str:
    cfg = result.config
    metrics = pd.DataFrame(
        [{"model": name, **scored.metrics} for name, scored in result.scored.items()]
    )
    lines = [
        f"# Model card: {model_name}",
        "",
        "## Intended use",
        INTENDED_USE,
        "",
        "## Out-of-scope use",
        OUT_OF_SCOPE,
        "",
        "## Data",
        f"- Snapshot `{snapshot_id}`; training as_of dates "
        f"{', '.join(f'{d:%Y-%m-%d}' for d in result.train_dates)} ({result.n_train:,} rows); "
        f"held-out as_of {', '.join(f'{d:%Y-%m-%d}' for d in result.valid_dates)} "
        f"({result.n_valid:,} rows). {SPLIT_TEXT[cfg.split]}",
        f"- Label: {label_definition}",
        f"- {len(result.features)} features from the catalog; no protected attribute or age. "
        f"Flagged proxies: {', '.join(flagged_proxies) or 'none'}; "
        f"{'excluded' if cfg.exclude_proxies else 'kept'}.",
        f"- Reweighing (Kamiran-Calders): {'on' if cfg.reweigh else 'off'}.",
        f"- External candidates: {_external_line(result)}",
        "",
        f"## Metrics on the held-out period (k = {cfg.k} within cohorts)",
        _table(metrics),
        "## Selection by group ("
        + (
            f"top {cfg.fairness_share:.0%} of each cohort"
            if cfg.fairness_share is not None
            else "top k of each cohort"
        )
        + ")",
        _table(result.model.groups),
        "## Impact ratios (lowest / highest selection rate, 95% bootstrap interval)",
        _table(result.model.impact),
    ]
    if result.model.merit is not None:
        lines += [
            "## True merit (synthetic data only: share of selected who are truly high-potential)",
            _table(result.model.merit),
        ]
    lines += [
        "## Fairness findings and promotion decision",
        *(f"- {reason}" for reason in gate_reasons),
        "",
        "## Caveats",
        "- The label comes from past records (decisions or ratings made by people), which may "
        "have favoured some groups; the model learns from them. The results label, reweighing "
        "and proxy exclusion reduce but do not remove that bias; check the impact ratios above "
        "and the fairness audit of every shortlist.",
        "- Scores are calibrated on the latest training period; calibration drifts as "
        "promotion practice changes. Retrain monthly.",
        "- External candidates have no internal history: their scores rest on the evidence "
        "they share with internal recruits (assessments, education, languages, national "
        "awards) and are less certain than a cadre's.",
    ]
    return "\n".join(lines) + "\n"


def _external_line(result: ExperimentResult) -> str:
    profile = getattr(result.classifier, "external_", None)
    if profile is None:
        return (
            "scored by the main model (too few labelled internal rows with the evidence they "
            "share to train a profile model)."
        )
    return (
        "scored by a profile model on the evidence they share with internal recruits ("
        + ", ".join(profile.feature_names_)
        + "), placed on the internal cadres' scale by percentile among recruits "
        "(models/external_profile.py)."
    )
