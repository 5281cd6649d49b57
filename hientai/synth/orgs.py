"""The synthetic state: ministries, provinces, their departments, sub-units and communes.

Post-2025 two-tier shape: central ministries with departments (level central); each province
has its people's committee, provincial departments and their sub-units (level province) and
communes directly under the province (level commune). Unit counts scale with the number of
people (about ``people_per_unit`` each); communes follow the real per-province counts, capped at
the national 3,321, and small extracts keep an evenly spread subset of the 34 provinces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hientai.synth import reference as ref
from hientai.synth.encode import stream

ORG_LEVELS = ("central", "province", "commune")
# Kinds of unit; the generator's own classification (the contract only knows levels).
MINISTRY, CENTRAL_DEPT, CENTRAL_SUB, PROVINCE, PROVINCE_DEPT, PROVINCE_SUB, COMMUNE = range(7)
LEVEL_OF_KIND = np.array([0, 0, 0, 1, 1, 1, 2], dtype=np.int8)
# Share of the workforce in central, provincial and commune units.
WORKFORCE_SHARES = {"central": 0.10, "province": 0.50, "commune": 0.40}
_PEOPLE_WEIGHT_OF_KIND = np.array([0.6, 1.0, 1.0, 0.8, 1.0, 1.0, 1.0])


@dataclass(frozen=True)
class Orgs:
    """All units, as parallel arrays indexed by unit number."""

    org_id: list[str]
    name: list[str]
    kind: np.ndarray  # int8, one of the kind constants above
    parent: np.ndarray  # int32 unit number, -1 for a top unit
    province: np.ndarray  # int16 index into reference.PROVINCES, -1 for central units
    top: np.ndarray  # int32: the ministry or province committee the unit belongs to
    people_weight: np.ndarray  # float64, sums to 1: where people work

    @property
    def level(self) -> np.ndarray:
        return LEVEL_OF_KIND[self.kind]

    def __len__(self) -> int:
        return len(self.org_id)


class _Builder:
    def __init__(self) -> None:
        self.org_id: list[str] = []
        self.name: list[str] = []
        self.kind: list[int] = []
        self.parent: list[int] = []
        self.province: list[int] = []
        self.top: list[int] = []

    def add(self, org_id: str, name: str, kind: int, parent: int, province: int) -> int:
        index = len(self.org_id)
        self.org_id.append(org_id)
        self.name.append(name)
        self.kind.append(kind)
        self.parent.append(parent)
        self.province.append(province)
        self.top.append(index if parent < 0 else self.top[parent])
        return index

    def branch(self, prefix: str, top_name: str, units: int, province: int, suffix: str) -> int:
        """A ministry or province committee with named departments and numbered sub-units."""
        central = province < 0
        departments = ref.CENTRAL_DEPARTMENTS if central else ref.PROVINCIAL_DEPARTMENTS
        top = self.add(prefix, top_name, MINISTRY if central else PROVINCE, -1, province)
        n_depts = min(len(departments), max(1, round((units - 1) * 0.3)))
        n_subs = max(0, units - 1 - n_depts)
        dept_kind, sub_kind = (
            (CENTRAL_DEPT, CENTRAL_SUB) if central else (PROVINCE_DEPT, PROVINCE_SUB)
        )
        dept_index = []
        for d in range(n_depts):
            code = f"{prefix}-{'V' if central else 'S'}{d + 1:02d}"
            name = f"{departments[d]}{suffix}"
            dept_index.append(self.add(code, name, dept_kind, top, province))
        for s in range(n_subs):
            parent = dept_index[s % n_depts]
            number = s // n_depts
            base = ref.SUBUNITS[number % len(ref.SUBUNITS)]
            series = number // len(ref.SUBUNITS)
            name = f"{base}{f' số {series + 1}' if series else ''} - {self.name[parent]}"
            self.add(f"{self.org_id[parent]}-P{number + 1:03d}", name, sub_kind, parent, province)
        return top


def _chosen_provinces(n_units: int) -> list[int]:
    """All 34 provinces when there are enough units, else an even spread by population."""
    k = int(np.clip(round(n_units / 6), 2, len(ref.PROVINCES)))
    by_population = sorted(range(len(ref.PROVINCES)), key=lambda i: -ref.PROVINCES[i].population_m)
    picks = {by_population[round(x)] for x in np.linspace(0, len(by_population) - 1, k)}
    return sorted(picks)


def _split(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    shares = weights / weights.sum()
    return np.maximum(minimum, np.round(shares * total)).astype(int)


def _commune_names(rng: np.random.Generator, count: int, city: bool) -> list[str]:
    n_second = len(ref.COMMUNE_SECOND)
    distinct = [
        i
        for i in range(len(ref.COMMUNE_FIRST) * n_second)
        if ref.COMMUNE_FIRST[i // n_second] != ref.COMMUNE_SECOND[i % n_second]
    ]
    pairs = rng.choice(np.array(distinct), count, replace=False)
    ward = rng.random(count) < (0.6 if city else 0.15)
    return [
        f"{'Phường' if w else 'Xã'} {ref.COMMUNE_FIRST[p // len(ref.COMMUNE_SECOND)]} "
        f"{ref.COMMUNE_SECOND[p % len(ref.COMMUNE_SECOND)]}"
        for p, w in zip(pairs.tolist(), ward.tolist(), strict=True)
    ]


def _province_label(province: ref.Province) -> str:
    return f"{'thành phố' if province.is_city else 'tỉnh'} {province.name}"


def build_orgs(n_people: int, people_per_unit: float, seed: int) -> Orgs:
    """The unit hierarchy for ``n_people`` internal people (deterministic given the seed)."""
    rng = stream(seed, "orgs")
    n_units = max(10, round(n_people / people_per_unit))
    provinces = _chosen_provinces(n_units)
    real_communes = np.array([ref.PROVINCES[p].communes for p in provinces], dtype=float)
    commune_total = int(np.clip(round(0.40 * n_units), len(provinces), real_communes.sum()))
    communes = _split(commune_total, real_communes, 1)
    central_total = max(2, round(0.10 * n_units))
    n_ministries = int(np.clip(round(central_total / 8), 1, len(ref.MINISTRIES)))
    population = np.array([ref.PROVINCES[p].population_m for p in provinces])
    provincial_total = max(3 * len(provinces), n_units - commune_total - central_total)
    provincial = _split(provincial_total, population, 3)

    build = _Builder()
    for m, units in enumerate(_split(central_total, np.ones(n_ministries), 2)):
        build.branch(f"B{m + 1:02d}", ref.MINISTRIES[m], int(units), -1, f", {ref.MINISTRIES[m]}")
    for i, p in enumerate(provinces):
        province = ref.PROVINCES[p]
        label = _province_label(province)
        top_name = f"Ủy ban nhân dân {label}"
        top = build.branch(f"T{province.code}", top_name, int(provincial[i]), p, f" {label}")
        for c, name in enumerate(_commune_names(rng, int(communes[i]), province.is_city)):
            build.add(f"T{province.code}-X{c + 1:03d}", name, COMMUNE, top, p)

    kind = np.array(build.kind, dtype=np.int8)
    return Orgs(
        org_id=build.org_id,
        name=build.name,
        kind=kind,
        parent=np.array(build.parent, dtype=np.int32),
        province=np.array(build.province, dtype=np.int16),
        top=np.array(build.top, dtype=np.int32),
        people_weight=_people_weights(rng, kind),
    )


def _people_weights(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Where people work: each level gets its workforce share, units vary in size (lognormal)."""
    size = _PEOPLE_WEIGHT_OF_KIND[kind] * rng.lognormal(0.0, 0.3, len(kind))
    level = LEVEL_OF_KIND[kind]
    weight = np.zeros(len(kind))
    for lv, share in enumerate(WORKFORCE_SHARES.values()):
        in_level = level == lv
        weight[in_level] = share * size[in_level] / size[in_level].sum()
    return weight / weight.sum()
