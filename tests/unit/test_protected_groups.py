"""Protected groups of feature rows: locality is only defined where the unit has a province."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.proxy import home_province, protected_groups


def test_locality_is_unknown_for_staff_of_a_unit_with_no_province() -> None:
    # The feature build gives a unit with no province code its own id as locality (B01, a
    # ministry); its staff are neither locals nor outsiders, whatever their hometown.
    features = pd.DataFrame(
        {
            "person_id": pd.array(["a", "b", "c", "d", "e"], dtype="string[pyarrow]"),
            "as_of": pd.Timestamp("2024-01-01"),
            "org_id": pd.array(["P1", "P1", "B01", "B01", "P2"], dtype="string[pyarrow]"),
            "province": pd.array(["HN", "HN", "B01", "B01", "HP"], dtype="string[pyarrow]"),
        }
    )
    protected = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "birth_date": pd.to_datetime(["1990-01-01"] * 5),
            "hometown_province": ["HN", "HP", "HN", "B01", None],
            "party_member": [True, False, True, False, True],
            "gender": ["male", "female", "male", "female", "male"],
            "ethnicity": ["Kinh"] * 5,
            "religion": ["none"] * 5,
            "nationality": ["VN"] * 5,
        }
    )
    local = protected_groups(features, protected)["local_hometown"].to_numpy()
    np.testing.assert_array_equal(local, [1.0, 0.0, np.nan, np.nan, np.nan])


def _reference_groups(features: pd.DataFrame, protected: pd.DataFrame) -> pd.DataFrame:
    """The groups as first written: a merge on person_id, compared row by row as objects."""
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
            "age_under_40": (age < 40).astype("float64").where(age.notna()),
        }
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_groups_are_the_row_by_row_comparison(seed: int) -> None:
    # Stacked frames (a person at several dates), people with no protected row, missing values,
    # Arrow strings and categories, and majorities tied between two values.
    rng = np.random.default_rng(seed)
    n_people, n_rows = 300, 700
    ids = np.asarray([f"p{i}" for i in range(n_people)], dtype=object)

    def pick(values: list, size: int) -> np.ndarray:
        return np.asarray(values, dtype=object)[rng.integers(0, len(values), size)]

    protected = pd.DataFrame(
        {
            "person_id": pd.array(ids, dtype="string[pyarrow]"),
            "birth_date": pd.to_datetime("1960-01-01")
            + pd.to_timedelta(rng.integers(0, 15_000, n_people), unit="D"),
            "gender": pd.Categorical(pick(["male", "female", None], n_people)),
            "ethnicity": pd.array(pick(["Kinh", "Tay", None], n_people), dtype="string[pyarrow]"),
            "religion": pick(["none", "buddhist"], n_people),
            "nationality": pd.array(pick(["VN", "LA", None], n_people), dtype="string"),
            "party_member": rng.random(n_people) < 0.5,
            "hometown_province": pick(["HN", "HP", "B01", None], n_people),
        }
    )
    protected.loc[rng.random(n_people) < 0.1, "birth_date"] = pd.NaT
    if seed == 2:  # a tie: as many buddhists as not, over the feature rows
        protected["religion"] = np.where(np.arange(n_people) % 2, "none", "buddhist")
    rows = rng.integers(0, n_people + 20, n_rows) if seed != 2 else np.arange(n_people)
    features = pd.DataFrame(
        {
            "person_id": np.asarray([f"p{i}" for i in rows], dtype=object),
            "as_of": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 2_000, len(rows)), unit="D"),
            "org_id": pick(["P1", "P2", "B01"], len(rows)),
            "province": pick(["HN", "HP", "B01", None], len(rows)),
        }
    )
    pd.testing.assert_frame_equal(
        protected_groups(features, protected), _reference_groups(features, protected)
    )
