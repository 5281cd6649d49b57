"""Proxy audit: how well each feature alone predicts each protected attribute.

No protected attribute is ever a feature, but a feature can stand in for one (political-theory
training for Party membership, tenure for age). For every feature and every protected
attribute (made binary: member or not, majority or minority, local or not, under 40 or not),
this reports the ROC-AUC of the feature as a lone predictor, folded so that 0.5 means "says
nothing" and 1.0 means "gives it away". Features above the threshold are flagged; whether a
flagged feature stays in the model is configuration (``features.proxy`` in conf).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

MIN_GROUP = 30  # fewer people than this on either side: no AUC is reported
MAX_AUDIT_ROWS = 200_000
YOUNG_AGE = 40


def home_province(features: pd.DataFrame) -> pd.Series:
    """The province each row's unit is in, missing where the unit has none (central ministries
    and agencies: the feature build gives such a unit its own id as its locality, see
    ``features.career``). Locality (working in one's home province) means nothing there: a
    ministry's staff are neither locals nor outsiders. Counting them as "not local" once made
    every ranking look as if it held locals to a 20-fold higher bar at national scale, because
    the many small central cohorts (all "not local") fill their top 10 from a few dozen people
    each, and the large provincial ones from thousands (docs/model-selection.md section 8)."""
    province = features["province"].astype(object)
    own_id = province == features["org_id"].astype(object)
    return province.where(~own_id.fillna(False).astype(bool))


def protected_groups(features: pd.DataFrame, protected: pd.DataFrame) -> pd.DataFrame:
    """Binary protected groups per feature row (NaN where the attribute is unknown).

    Age is taken at each row's own as_of, so stacked training frames are handled. Locality is
    unknown where the row's unit has no province (``home_province``).
    """
    located = features[["person_id"]].assign(province=home_province(features).to_numpy())
    rows = located.merge(
        protected.assign(person_id=protected["person_id"].astype("string[pyarrow]")),
        on="person_id",
        how="left",
    )

    def is_value(column: str, value: object) -> pd.Series:
        known = rows[column].notna()
        return (rows[column].astype(object) == value).astype("float64").where(known)

    def is_majority(column: str) -> pd.Series:
        known = rows[column].dropna()
        majority = known.astype(object).mode().iloc[0] if len(known) else None
        return is_value(column, majority)

    as_of = pd.to_datetime(features["as_of"]).reset_index(drop=True)
    age = (as_of - pd.to_datetime(rows["birth_date"])).dt.days / 365.25
    hometown = rows["hometown_province"].astype(object)
    province = rows["province"].astype(object)
    local = (hometown == province).astype("float64")
    return pd.DataFrame(
        {
            "party_member": rows["party_member"].astype("float64"),
            "male": is_value("gender", "male"),
            "vietnamese_nationality": is_value("nationality", "VN"),
            "ethnic_majority": is_majority("ethnicity"),
            "religion_majority": is_majority("religion"),
            "local_hometown": local.where(hometown.notna() & province.notna()),
            f"age_under_{YOUNG_AGE}": (age < YOUNG_AGE).astype("float64").where(age.notna()),
        }
    )


def folded_auc(score: np.ndarray, group: np.ndarray) -> tuple[float, int]:
    """max(AUC, 1 - AUC) of ``score`` separating group 1 from 0, and the rows used."""
    ok = ~np.isnan(score) & ~np.isnan(group)
    score, group = score[ok], group[ok]
    positives, negatives = int((group == 1).sum()), int((group == 0).sum())
    if min(positives, negatives) < MIN_GROUP:
        return float("nan"), int(ok.sum())
    ranks = rankdata(score)
    auc = (ranks[group == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return float(max(auc, 1 - auc)), int(ok.sum())


class _RankedFeature:
    """A feature's values sorted once; the folded AUC of any group from counts per distinct
    value (ties count half, as with mid-ranks): equal to ``folded_auc``, one sort per feature
    instead of one per feature and attribute."""

    def __init__(self, score: np.ndarray) -> None:
        self.known = ~np.isnan(score)
        self.levels = np.unique(score[self.known], return_inverse=True)[1]
        self.size = int(self.levels.max()) + 1 if len(self.levels) else 0

    def folded_auc(self, group: np.ndarray) -> tuple[float, int]:
        labels = group[self.known]
        ok = ~np.isnan(labels)
        used = int(ok.sum())
        positive = np.bincount(self.levels[labels == 1], minlength=self.size).astype("float64")
        negative = np.bincount(self.levels[labels == 0], minlength=self.size).astype("float64")
        n_pos, n_neg = positive.sum(), negative.sum()
        if min(n_pos, n_neg) < MIN_GROUP:
            return float("nan"), used
        below = np.cumsum(negative) - negative
        auc = float((positive * (below + negative / 2)).sum() / (n_pos * n_neg))
        return max(auc, 1 - auc), used


def proxy_audit(
    features: pd.DataFrame,
    groups: pd.DataFrame,
    feature_names: list[str],
    *,
    threshold: float,
    max_rows: int = MAX_AUDIT_ROWS,
    seed: int = 0,
) -> pd.DataFrame:
    """Long table: scope, feature, attribute, folded AUC, rows used, flagged.

    Above ``max_rows`` rows a seeded random sample is audited: at 200,000 rows the AUC's
    standard error is under 0.005, far below the flagging threshold's margin.

    Scopes are everyone, internal cadres only and external candidates only: across everyone,
    "is external" trivially predicts nationality; within internal cadres, political-theory
    training predicting Party membership is the finding that matters.
    """
    if len(features) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(features), max_rows, replace=False))
        features = features.iloc[keep].reset_index(drop=True)
        groups = groups.iloc[keep].reset_index(drop=True)
    population = features["population"].astype(str).to_numpy()
    scopes = {
        "all": np.ones(len(features), dtype=bool),
        "internal": population == "internal",
        "external": population == "external",
    }
    # One sort per feature, shared by the scopes and attributes: a scope's rows are the others'
    # labels set to missing (a level with no row of the scope counts nothing).
    ranked = {n: _RankedFeature(features[n].to_numpy(dtype="float64")) for n in feature_names}
    records = []
    for scope, rows in scopes.items():
        targets = {
            a: np.where(rows, groups[a].to_numpy(dtype="float64"), np.nan) for a in groups.columns
        }
        for name in feature_names:
            for attribute, target in targets.items():
                auc, used = ranked[name].folded_auc(target)
                records.append(
                    {
                        "scope": scope,
                        "feature": name,
                        "attribute": attribute,
                        "auc": auc,
                        "rows": used,
                        "flagged": bool(auc >= threshold),
                    }
                )
    return pd.DataFrame(records)


def flagged_features(audit: pd.DataFrame) -> list[str]:
    return sorted(audit.loc[audit["flagged"], "feature"].unique())


def audit_markdown(audit: pd.DataFrame, *, threshold: float) -> str:
    """The report per feature build: each feature's strongest link, flagged ones first."""
    worst = audit.sort_values("auc", ascending=False).drop_duplicates("feature")
    internal = audit.loc[audit["scope"] == "internal"]
    wide = internal.pivot(index="feature", columns="attribute", values="auc")
    lines = [
        "# Proxy audit",
        "",
        "Folded ROC-AUC of each feature alone predicting each protected attribute (0.5 = no "
        f"information, 1.0 = gives it away). Flagged at >= {threshold:.2f} in any scope "
        "(everyone, internal cadres, external candidates); the table shows the internal scope "
        "and, last, the strongest link found in any scope.",
        "",
        "| feature | " + " | ".join(wide.columns) + " | strongest link |",
        "| --- | " + " | ".join("---:" for _ in wide.columns) + " | --- |",
    ]
    for _, row in worst.iterrows():
        cells = [
            "n/a" if np.isnan(v) else f"{v:.3f}"
            for v in wide.reindex(index=[row["feature"]]).to_numpy()[0]
        ]
        link = (
            "n/a"
            if np.isnan(row["auc"])
            else f"{row['attribute']} ({row['scope']}) {row['auc']:.3f}"
        )
        if row["flagged"]:
            link = f"**flagged**: {link}"
        lines.append(f"| {row['feature']} | " + " | ".join(cells) + f" | {link} |")
    return "\n".join(lines) + "\n"
