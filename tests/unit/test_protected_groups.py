"""Protected groups of feature rows: locality is only defined where the unit has a province."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.proxy import protected_groups


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
