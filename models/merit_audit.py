"""Does a night find real merit, equally for every group? Measures against a known truth.

Pure functions over a night's population (one row per person, with whether the person is
truly high-potential) and its shortlist places (one row per place). Synthetic extracts only:
the truth is the generator's latent potential, read by ``pipelines.merit``.

- *precision* of a group: the share of its shortlist places held by truly high-potential
  people. A precision ratio below 1 means the group needs more merit to be listed.
- *opportunity* of a group: the share of its truly high-potential people who hold at least one
  place. A ratio below 1 means the group's talent is overlooked more often.

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
    measure: str  # precision | opportunity | young_opportunity
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

    ``people``: person_id, high (bool), potential, population, score, and the columns of
    ``AUDITED`` (models.shortlist.audit_groups' labels). ``places``: person_id, pool_id,
    young_pool (bool), one row per place.
    ``pools``: pool_id, places, eligible_high (share of the eligible candidates who are truly
    high-potential), seniority_high (same share among those "seniority + last rating" picks).
    """
    people = people.set_index("person_id")
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
        listed = people.index.isin(places["person_id"])
        talent = pd.DataFrame({"g": people.loc[high, column], "listed": listed[high.to_numpy()]})
        ratios.append(
            _ratio("opportunity", column, group, reference, talent.groupby("g")["listed"].mean(),
                   talent.groupby("g").size(), min_group=min_group)
        )  # fmt: skip
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
