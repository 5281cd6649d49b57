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
from scipy import sparse
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
    unknown where the row's unit has no province (``home_province``). Each attribute is
    compared by its distinct values (``_Attribute``), not row by row.
    """
    ids = pd.Index(protected["person_id"].astype("string[pyarrow]").astype(object))
    if not ids.is_unique:
        raise ValueError("protected attributes: more than one row for a person_id")
    at = ids.get_indexer(features["person_id"].astype(object))  # -1: no protected row
    found = at >= 0

    def column(name: str) -> _Attribute:
        return _Attribute(protected[name], at)

    as_of = pd.to_datetime(features["as_of"]).reset_index(drop=True)
    birth = pd.Series(pd.to_datetime(protected["birth_date"]).to_numpy()[np.where(found, at, 0)])
    age = (as_of - birth.where(found)).dt.days / 365.25
    hometown = column("hometown_province")
    province = pd.Series(home_province(features).to_numpy(), dtype=object)
    hometown_values = pd.Series(hometown.values(), dtype=object)
    local = (hometown_values == province).astype("float64")
    party = protected["party_member"].astype("float64").to_numpy()
    return pd.DataFrame(
        {
            "party_member": np.where(found, party[np.where(found, at, 0)], np.nan),
            "male": column("gender").is_value("male"),
            "vietnamese_nationality": column("nationality").is_value("VN"),
            "ethnic_majority": column("ethnicity").is_majority(),
            "religion_majority": column("religion").is_majority(),
            "local_hometown": local.where(hometown_values.notna() & province.notna()).to_numpy(),
            f"age_under_{YOUNG_AGE}": (age < YOUNG_AGE).astype("float64").where(age.notna()),
        }
    )


class _Attribute:
    """A protected column taken at some rows (``at``: positions in the column, -1 for none),
    as codes of its distinct values: comparisons cost one per distinct value."""

    def __init__(self, values: pd.Series, at: np.ndarray) -> None:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        self.uniques = list(pd.Series(uniques, dtype=object))
        self.codes = np.where(at >= 0, np.append(codes, -1)[at], -1)

    def values(self) -> np.ndarray:
        """The values as objects (None where unknown)."""
        return np.asarray([*self.uniques, None], dtype=object)[self.codes]

    def is_value(self, value: object) -> np.ndarray:
        """1.0 where the value equals ``value``, 0.0 where it does not, NaN where unknown."""
        hits = np.asarray([u == value for u in self.uniques] + [False], dtype="float64")
        return np.where(self.codes >= 0, hits[self.codes], np.nan)

    def is_majority(self) -> np.ndarray:
        """``is_value`` of the most frequent known value over the rows (ties: the first in
        sorted order, as ``Series.mode`` gives)."""
        counts = np.bincount(self.codes[self.codes >= 0], minlength=len(self.uniques))
        if not counts.sum():
            return self.is_value(None)
        tied = [u for u, n in zip(self.uniques, counts, strict=True) if n == counts.max()]
        return self.is_value(pd.Series(tied, dtype=object).mode().iloc[0])


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
        # np.unique's codes (-0.0 and 0.0 one value) by hashing: most features have a few
        # distinct values, and a sort of each took 0.86 s of the 200,000-row national audit
        # against 0.21 s.
        self.levels = pd.factorize(score[self.known], sort=True)[0]
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

    def counts(self, targets: _Targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per column of ``targets``: positives and negatives per distinct value (columns x
        values, in one sparse product each) and the rows with both value and label known."""
        n = len(self.known)
        used = (targets.known.T @ self.known.astype("float64")).astype(np.int64)
        if not self.size:
            empty = np.zeros((len(used), 0))
            return empty, empty, used
        level = np.full(n, self.size, dtype=np.int64)  # unknown values: a level left out
        level[self.known] = self.levels
        values = sparse.csr_matrix((np.ones(n), (level, np.arange(n))), shape=(self.size + 1, n))
        positive = np.ascontiguousarray((values @ targets.positive)[: self.size].T)
        negative = np.ascontiguousarray((values @ targets.negative)[: self.size].T)
        return positive, negative, used


def _folded_aucs(
    positive: np.ndarray, negative: np.ndarray, used: np.ndarray
) -> list[tuple[float, int]]:
    """``_RankedFeature.folded_auc`` of each row of counts (positives and negatives per
    distinct value, in value order), all rows side by side."""
    n_pos, n_neg = positive.sum(axis=1), negative.sum(axis=1)
    below = np.cumsum(negative, axis=1) - negative
    with np.errstate(invalid="ignore", divide="ignore"):  # too few on a side: not reported
        auc = (positive * (below + negative / 2)).sum(axis=1) / (n_pos * n_neg)
    return [
        (float("nan"), int(u)) if min(p, q) < MIN_GROUP else (max(float(x), 1 - float(x)), int(u))
        for x, p, q, u in zip(auc, n_pos, n_neg, used, strict=True)
    ]


class _Targets:
    """Columns of binary groups (1, 0 or NaN) as the indicators ``_RankedFeature.counts`` uses."""

    def __init__(self, labels: np.ndarray) -> None:
        labels = np.ascontiguousarray(labels)  # rows in memory order: the product reads rows
        self.positive = (labels == 1).astype("float64")
        self.negative = (labels == 0).astype("float64")
        self.known = (~np.isnan(labels)).astype("float64")


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
    # Counted apart: internal cadres, external candidates (and rows of neither, if any). A
    # scope's counts per value are its parts' (everyone: the sum of all parts), so each
    # feature is sorted once and each row counted once.
    parts = {"internal": population == "internal", "external": population == "external"}
    if (neither := ~(parts["internal"] | parts["external"])).any():
        parts["neither"] = neither
    scopes = {"all": list(parts), "internal": ["internal"], "external": ["external"]}
    attributes = list(groups.columns)
    labels = groups.to_numpy(dtype="float64")
    targets = _Targets(
        np.column_stack([np.where(rows[:, None], labels, np.nan) for rows in parts.values()])
    )
    part_at = {part: i * len(attributes) for i, part in enumerate(parts)}
    records = []
    for name in feature_names:
        positive, negative, used = _RankedFeature(features[name].to_numpy("float64")).counts(
            targets
        )
        for scope, members in scopes.items():
            pick = np.stack([np.arange(part_at[m], part_at[m] + len(attributes)) for m in members])
            found = _folded_aucs(
                positive[pick].sum(axis=0), negative[pick].sum(axis=0), used[pick].sum(axis=0)
            )
            for attribute, (auc, rows) in zip(attributes, found, strict=True):
                records.append(
                    {
                        "scope": scope,
                        "feature": name,
                        "attribute": attribute,
                        "auc": auc,
                        "rows": rows,
                        "flagged": bool(auc >= threshold),
                    }
                )
    # Scope by scope, as the table has always been ordered (a stable sort: features and
    # attributes keep their order).
    records.sort(key=lambda record: list(scopes).index(record["scope"]))
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
