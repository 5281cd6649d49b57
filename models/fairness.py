"""Group metrics of a selection (who lands in each cohort's top k), by protected group.

Computed with fairlearn's ``MetricFrame`` per attribute: selection rate at k, true-positive
rate (of those who went on to be promoted, how many the model selects), and the impact ratio
(lowest group selection rate over the highest; the four-fifths rule flags < 0.8), with a
bootstrap interval. Groups smaller than ``min_group`` are reported but left out of the ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

MIN_GROUP = 30


def group_table(
    selected: np.ndarray, y: np.ndarray, groups: pd.DataFrame, *, min_group: int = MIN_GROUP
) -> pd.DataFrame:
    """One row per (attribute, group): n, selection rate, TPR; rows with unknown group dropped.

    fairlearn's ``MetricFrame`` computes the rates on the (group, label, selected) cells
    weighted by their counts: the same numbers as on the rows, at a cost independent of the
    number of rows (fairlearn stacks row values one by one, seconds per attribute at 10^6).
    """
    rows = []
    for attribute in groups.columns:
        known = groups[attribute].notna().to_numpy()
        if not known.any():
            continue
        cells = (
            pd.DataFrame(
                {
                    "group": groups[attribute].to_numpy()[known],
                    "y": np.asarray(y)[known].astype(int),
                    "selected": selected[known].astype(int),
                }
            )
            .value_counts()
            .rename("weight")
            .reset_index()
        )
        weight = {"sample_weight": cells["weight"].to_numpy(dtype=float)}
        frame = MetricFrame(
            metrics={"selection_rate": selection_rate, "tpr": true_positive_rate},
            y_true=cells["y"].to_numpy(),
            y_pred=cells["selected"].to_numpy(),
            sensitive_features=cells["group"].to_numpy(),
            sample_params={"selection_rate": weight, "tpr": weight},
        )
        table = frame.by_group.reset_index()
        table.columns = ["group", "selection_rate", "tpr"]
        sizes = cells.groupby("group")["weight"].sum()
        table.insert(1, "n", table["group"].map(sizes).astype(int))
        rows.append(table.assign(attribute=attribute, small=table["n"] < min_group))
    if not rows:
        return pd.DataFrame(columns=["attribute", "group", "n", "selection_rate", "tpr", "small"])
    out = pd.concat(rows, ignore_index=True)
    return out[["attribute", "group", "n", "selection_rate", "tpr", "small"]]


def _cells(selected: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of (group, selected) cells; rows with an unknown group are left out."""
    known = pd.notna(group)
    codes, _ = pd.factorize(pd.Series(group[known], dtype=object), sort=True)
    picked = selected[known].astype(bool)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    chosen = np.bincount(codes[picked], minlength=n_groups)
    total = np.bincount(codes, minlength=n_groups)
    return chosen, total


def _ratio(chosen: np.ndarray, total: np.ndarray, min_group: int) -> np.ndarray:
    """Impact ratio per row of (draws x groups) counts; NaN where it is undefined."""
    chosen, total = np.atleast_2d(chosen), np.atleast_2d(total)
    big = total >= min_group
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(big, chosen / np.maximum(total, 1), np.nan)
    high, low = np.nanmax(rate, axis=1, initial=-np.inf), np.nanmin(rate, axis=1, initial=np.inf)
    defined = (big.sum(axis=1) >= 2) & (high > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(defined, low / np.where(high > 0, high, 1), np.nan)


def impact_ratio(selected: np.ndarray, group: np.ndarray, *, min_group: int = MIN_GROUP) -> float:
    """Lowest over highest selection rate among groups with at least ``min_group`` people."""
    chosen, total = _cells(selected, group)
    return float(_ratio(chosen, total, min_group)[0]) if len(total) else float("nan")


def impact_ratio_interval(
    selected: np.ndarray,
    group: np.ndarray,
    *,
    draws: int = 200,
    seed: int = 0,
    min_group: int = MIN_GROUP,
) -> tuple[float, float]:
    """95% bootstrap interval of the impact ratio.

    Resampling rows with replacement only changes the counts of the (group, selected) cells,
    which then follow a multinomial law; drawing those counts directly is the same bootstrap,
    without materialising any resample.
    """
    chosen, total = _cells(selected, group)
    if draws <= 0 or len(total) < 2 or total.sum() == 0:
        return float("nan"), float("nan")
    cells = np.concatenate([chosen, total - chosen]).astype(float)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(int(total.sum()), cells / cells.sum(), size=draws)
    boot_chosen = counts[:, : len(total)]
    boot_total = boot_chosen + counts[:, len(total) :]
    ratios = _ratio(boot_chosen, boot_total, min_group)
    finite = ratios[np.isfinite(ratios)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    return float(np.quantile(finite, 0.025)), float(np.quantile(finite, 0.975))


def impact_ratios(
    selected: np.ndarray, groups: pd.DataFrame, *, draws: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Impact ratio with its interval for every attribute."""
    rows = []
    for attribute in groups.columns:
        group = groups[attribute].to_numpy(dtype=object)
        low, high = impact_ratio_interval(selected, group, draws=draws, seed=seed)
        rows.append(
            {
                "attribute": attribute,
                "impact_ratio": impact_ratio(selected, group),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def minimum_impact_ratio(table: pd.DataFrame) -> float:
    finite = table["impact_ratio"].dropna()
    return float(finite.min()) if len(finite) else float("nan")


def merit_precision_by_group(
    selected: np.ndarray, truly_high: np.ndarray, groups: pd.DataFrame
) -> pd.DataFrame:
    """Per group, of those selected, the share who are truly high-potential (precision), and of
    the truly high-potential, the share selected (opportunity); synthetic data only."""
    rows = [
        {
            "attribute": "all",
            "group": "all",
            "n_selected": int(selected.sum()),
            "merit_precision": float(truly_high[selected].mean()) if selected.any() else np.nan,
            "n_truly_high": int(truly_high.sum()),
            "merit_opportunity": float(selected[truly_high].mean())
            if truly_high.any()
            else np.nan,
        }
    ]
    for attribute in groups.columns:
        for value, idx in (
            pd.Series(groups[attribute].to_numpy())
            .groupby(groups[attribute].to_numpy())
            .groups.items()
        ):
            chosen = selected[np.asarray(idx)]
            high = truly_high[np.asarray(idx)]
            rows.append(
                {
                    "attribute": attribute,
                    "group": value,
                    "n_selected": int(chosen.sum()),
                    "merit_precision": float(high[chosen].mean()) if chosen.any() else np.nan,
                    "n_truly_high": int(high.sum()),
                    "merit_opportunity": float(chosen[high].mean()) if high.any() else np.nan,
                }
            )
    return pd.DataFrame(rows)


def lowest_impact_detail(
    impact: pd.DataFrame, groups: pd.DataFrame, attributes: Sequence[str]
) -> str:
    """The gated attribute with the lowest impact ratio and its groups' selection rates, in
    words (what a refused gate names), e.g. "local_hometown: 0.0 = 0.05% of 555,534, 1.0 =
    5.20% of 193,443"; "" when no gated attribute has a ratio."""
    gated = impact.loc[impact["attribute"].isin(list(attributes))].dropna(subset=["impact_ratio"])
    if gated.empty:
        return ""
    attribute = str(gated.loc[gated["impact_ratio"].idxmin(), "attribute"])
    rows = groups.loc[(groups["attribute"] == attribute) & ~groups["small"].astype(bool)]
    rates = ", ".join(
        f"{row.group} = {row.selection_rate:.2%} of {int(row.n):,}"
        for row in rows.sort_values("selection_rate").itertuples(index=False)
    )
    return f"{attribute}: {rates}" if rates else attribute


def lowest_merit_ratios(
    merit: pd.DataFrame, attributes: Sequence[str], *, min_group: int = 20
) -> dict[str, float]:
    """Lowest precision and opportunity ratio (lower rate / higher rate within an attribute)
    over ``attributes``, groups with at least ``min_group`` selected (precision) or truly
    high-potential people (opportunity); NaN when no attribute has two such groups."""
    out = {}
    for measure, size in (("precision", "n_selected"), ("opportunity", "n_truly_high")):
        ratios = []
        for attribute in attributes:
            rows = merit.loc[(merit["attribute"] == attribute) & (merit[size] >= min_group)]
            rates = rows[f"merit_{measure}"].dropna()
            if len(rates) >= 2 and rates.max() > 0:
                ratios.append(float(rates.min() / rates.max()))
        out[f"merit_{measure}_ratio_min"] = min(ratios) if ratios else float("nan")
    return out
