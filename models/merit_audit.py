"""Does a night find real merit, equally for every group? Measures against a known truth.

Pure functions over a night's population (one row per person, with whether the person is
truly high-potential) and its shortlist places (one row per place). Synthetic extracts only:
the truth is the generator's latent potential, read by ``pipelines.merit``.

- *precision* of a group: the share of its shortlist places held by truly high-potential
  people. A precision ratio below 1 means the group needs more merit to be listed.
- *opportunity* of a group: the share of its truly high-potential people who hold at least one
  place. A ratio below 1 means the group's talent is overlooked more often.

Both mix two causes: who the pools admit (an age window admits fewer of an older group) and how
each pool ranks those it admits. Two more measures separate them:

- *eligible opportunity*: opportunity among the truly high-potential people eligible for at least
  one pool (the ranking's share of the gap);
- *within-pool precision*: the precision ratio of places compared pool by pool (Mantel-Haenszel
  risk ratio over pools that list both groups), so a group listed mostly in pools with little
  talent to choose from is not counted as held to a lower bar.

A ratio is the lower rate over the higher (1 = equal; the rates say which way it leans), since
both directions are unfair: a group held to a higher bar, or listed on weaker evidence. Ratios
compare a group with its reference (non-members with Party members, women with men,
foreigners with Vietnamese, external candidates with internal cadres, under-30s with 30-39s in
the young pools); groups with fewer than ``min_group`` places or truly high-potential people
are reported but not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

# (column, group, reference group) of the ratios the targets name.
COMPARISONS: tuple[tuple[str, str, str], ...] = (
    ("party_member", "non-member", "member"),
    ("gender", "female", "male"),
    ("nationality_vn", "foreign", "VN"),
    ("population", "external", "internal"),
)
YOUNG = ("age_band", "under 30", "30-39")
# The group columns a night's people need: models.shortlist.audit_groups gives them.
AUDITED = ["party_member", "gender", "nationality_vn", "age_band"]


@dataclass(frozen=True)
class Ratio:
    # precision | opportunity | eligible_opportunity | within_pool_precision | young_opportunity
    measure: str
    column: str
    group: str
    reference: str
    value: float | None  # lower rate / higher rate; None when a side is too small or zero
    group_rate: float | None
    reference_rate: float | None
    group_n: int
    reference_n: int

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class MeritReport:
    places: int
    precision: float  # share of all places held by truly high-potential people
    random_precision: float  # a random draw from each pool's eligible candidates
    seniority_precision: float  # "seniority + last rating" from the same eligible candidates
    ratios: list[Ratio] = field(default_factory=list)
    external_spearman: float | None = None  # published score vs latent potential
    external_distinct_share: float | None = None  # distinct published scores / externals

    def judged(self) -> list[Ratio]:
        return [r for r in self.ratios if r.value is not None]

    def lowest(self) -> Ratio | None:
        judged = self.judged()
        return min(judged, key=lambda r: r.value or 0.0) if judged else None

    def summary(self) -> dict[str, Any]:
        return {
            "places": self.places,
            "precision": self.precision,
            "random_precision": self.random_precision,
            "seniority_precision": self.seniority_precision,
            "ratios": [r.row() for r in self.ratios],
            "external_spearman": self.external_spearman,
            "external_distinct_share": self.external_distinct_share,
        }


def _ratio(
    measure: str, column: str, group: str, reference: str, rates: pd.Series, sizes: pd.Series, *,
    min_group: int,
) -> Ratio:  # fmt: skip
    g_rate, r_rate = rates.get(group), rates.get(reference)
    g_n, r_n = int(sizes.get(group, 0)), int(sizes.get(reference, 0))
    value = None
    if min(g_n, r_n) >= min_group and g_rate and r_rate:
        value = float(min(g_rate / r_rate, r_rate / g_rate))
    return Ratio(measure, column, group, reference, value, g_rate, r_rate, g_n, r_n)


def merit_report(
    people: pd.DataFrame,
    places: pd.DataFrame,
    pools: pd.DataFrame,
    *,
    min_group: int = 20,
) -> MeritReport:
    """Precision and opportunity ratios of a night, its merit precision against the baselines,
    and how well external candidates' published scores follow their merit.

    ``people``: person_id, high (bool), potential, population, score, the columns of
    ``AUDITED`` (models.shortlist.audit_groups' labels) and, optionally, eligible (bool: some
    pool admits the person). ``places``: person_id, pool_id,
    young_pool (bool), one row per place.
    ``pools``: pool_id, places, eligible_high (share of the eligible candidates who are truly
    high-potential), seniority_high (same share among those "seniority + last rating" picks).
    """
    people = people.set_index("person_id")
    people = people.assign(listed=people.index.isin(places["person_id"]))
    high = people["high"].astype(bool)
    place_high = places["person_id"].map(high).fillna(False).astype(bool).to_numpy()
    ratios = []
    for column, group, reference in COMPARISONS:
        groups_of_places = places["person_id"].map(people[column]).to_numpy()
        frame = pd.DataFrame({"g": groups_of_places, "high": place_high})
        ratios.append(
            _ratio("precision", column, group, reference, frame.groupby("g")["high"].mean(),
                   frame.groupby("g").size(), min_group=min_group)
        )  # fmt: skip
        listed = people["listed"].to_numpy()
        talent = pd.DataFrame({"g": people.loc[high, column], "listed": listed[high.to_numpy()]})
        ratios.append(
            _ratio("opportunity", column, group, reference, talent.groupby("g")["listed"].mean(),
                   talent.groupby("g").size(), min_group=min_group)
        )  # fmt: skip
    if "eligible" in people.columns:
        ratios += _eligible_opportunity(people, high, min_group=min_group)
    ratios += [
        _within_pool_precision(
            column,
            group,
            reference,
            places["person_id"].map(people[column]).to_numpy(),
            place_high,
            places["pool_id"].to_numpy(),
            min_group=min_group,
        )
        for column, group, reference in COMPARISONS
    ]
    ratios.append(_young_opportunity(people, places, min_group=min_group))
    weights = pools["places"].to_numpy(dtype="float64")
    total = weights.sum()
    return MeritReport(
        places=len(places),
        precision=float(place_high.mean()) if len(places) else float("nan"),
        random_precision=float((pools["eligible_high"] * weights).sum() / total)
        if total
        else float("nan"),
        seniority_precision=float((pools["seniority_high"] * weights).sum() / total)
        if total
        else float("nan"),
        ratios=ratios,
        **_external_order(people),
    )


def _eligible_opportunity(people: pd.DataFrame, high: pd.Series, *, min_group: int) -> list[Ratio]:
    """Opportunity among the truly high-potential people some pool admits."""
    talent = people.loc[high & people["eligible"].astype(bool)]
    listed = talent["listed"].astype(bool)
    return [
        _ratio(
            "eligible_opportunity",
            column,
            group,
            reference,
            listed.groupby(talent[column]).mean(),
            talent.groupby(column).size(),
            min_group=min_group,
        )
        for column, group, reference in COMPARISONS
    ]


def _within_pool_precision(
    column: str, group: str, reference: str, groups: np.ndarray, high: np.ndarray,
    pools: np.ndarray, *, min_group: int,
) -> Ratio:  # fmt: skip
    """Mantel-Haenszel risk ratio of the group's precision to the reference's, pools as
    strata; the rates shown are the crude precisions over the pools that list both."""
    frame = pd.DataFrame({"pool": pools, "g": groups, "high": high.astype(float)})
    frame = frame.loc[frame["g"].isin([group, reference])]
    cells = frame.pivot_table(
        index="pool", columns="g", values="high", aggfunc=["sum", "count"], fill_value=0
    )
    if ("count", group) not in cells or ("count", reference) not in cells:
        return Ratio("within_pool_precision", column, group, reference, None, None, None, 0, 0)
    n1, n0 = cells[("count", group)], cells[("count", reference)]
    a, c = cells[("sum", group)], cells[("sum", reference)]
    both = (n1 > 0) & (n0 > 0)
    n1, n0, a, c = n1[both], n0[both], a[both], c[both]
    total = n1 + n0
    numerator, denominator = float((a * n0 / total).sum()), float((c * n1 / total).sum())
    g_n, r_n = int(n1.sum()), int(n0.sum())
    g_rate = float(a.sum() / g_n) if g_n else None
    r_rate = float(c.sum() / r_n) if r_n else None
    value = None
    if min(g_n, r_n) >= min_group and numerator > 0 and denominator > 0:
        mh = numerator / denominator
        value = float(min(mh, 1 / mh))
    return Ratio(
        "within_pool_precision", column, group, reference, value, g_rate, r_rate, g_n, r_n
    )


def _young_opportunity(people: pd.DataFrame, places: pd.DataFrame, *, min_group: int) -> Ratio:
    """Truly high-potential people of the young pools' eligible ages who got a young-pool place,
    under-30s against 30-39s."""
    column, group, reference = YOUNG
    young_listed = set(places.loc[places["young_pool"].astype(bool), "person_id"])
    talent = people.loc[people["high"].astype(bool) & (people["population"] == "internal")]
    frame = pd.DataFrame(
        {"g": talent[column], "listed": talent.index.isin(list(young_listed))}, index=talent.index
    )
    return _ratio(
        "young_opportunity", column, group, reference, frame.groupby("g")["listed"].mean(),
        frame.groupby("g").size(), min_group=min_group,
    )  # fmt: skip


def _external_order(people: pd.DataFrame) -> dict[str, float | None]:
    external = people.loc[people["population"] == "external"].dropna(subset=["potential"])
    if len(external) < 3:
        return {"external_spearman": None, "external_distinct_share": None}
    rho = spearmanr(external["score"], external["potential"]).statistic
    return {
        "external_spearman": None if np.isnan(rho) else float(rho),
        "external_distinct_share": float(external["score"].nunique() / len(external)),
    }
