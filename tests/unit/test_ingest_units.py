"""Pure pieces of ingestion, each against a hand-computed answer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hientai.contract import get_table
from hientai.ingest.apply import apply_source
from hientai.ingest.coerce import as_text, coerce
from hientai.ingest.issues import Issues
from hientai.ingest.mapping import SourceSpec
from hientai.ingest.readers import RawFrame
from hientai.ingest.validate import _check_hierarchy


def _raw(frame: pd.DataFrame) -> RawFrame:
    return RawFrame("src.csv", frame, np.arange(2, len(frame) + 2), header_row=1)


def test_as_text_prints_whole_floats_without_decimals() -> None:
    values = pd.Series([1.0, 2.5, None, 10.0])
    assert as_text(values).tolist()[:2] == ["1", "2.5"]
    assert pd.isna(as_text(values).iloc[2])
    assert as_text(values).iloc[3] == "10"


@pytest.mark.parametrize(
    ("column", "raw", "expected", "bad"),
    [
        ("year", ["2024", "20x4", None, "2024.5"], [2024, None, None, None], [0, 1, 0, 1]),
        ("high_share", ["0,5", "abc", "1"], [0.5, None, 1.0], [0, 1, 0]),
    ],
)
def test_numeric_coercion(column: str, raw: list, expected: list, bad: list) -> None:
    table = get_table("evaluations") if column == "year" else get_table("confidence_votes")
    values, failed = coerce(pd.Series(raw, dtype=object), table.column(column), date_format=None)
    assert failed.astype(int).tolist() == bad
    assert [None if pd.isna(v) else v for v in values] == expected


def test_bool_coercion_accepts_common_spellings() -> None:
    column = get_table("people").column("party_member")
    raw = pd.Series(["true", "No", "1", "có", "không", "maybe", None], dtype=object)
    values, failed = coerce(raw, column, date_format=None)
    assert values.tolist()[:5] == [True, False, True, True, False]
    assert failed.tolist() == [False] * 5 + [True, False]


def test_date_coercion_with_format_and_excel_cells() -> None:
    column = get_table("people").column("hire_date")
    raw = pd.Series(["31/12/2020", dt.datetime(2021, 5, 1, 13, 30), "2020-12-31", None])
    values, failed = coerce(raw, column, date_format="%d/%m/%Y")
    assert values.iloc[0] == pd.Timestamp("2020-12-31")
    assert values.iloc[1] == pd.Timestamp("2021-05-01")  # time of day dropped
    assert failed.tolist() == [False, False, True, False]


def test_mapping_templates_values_filters_and_dates() -> None:
    raw = _raw(
        pd.DataFrame(
            {
                "emp": ["7", "8", "9", None],
                "sex": ["m", "f", "x", "m"],
                "age": ["30", "40", "abc", "50"],
                "keep": ["1", "0", "1", "1"],
            }
        ).astype("string[pyarrow]")
    )
    spec = SourceSpec.model_validate(
        {
            "where": {"keep": 1},
            "columns": {
                "person_id": {"template": "e-{emp}-{sex}"},
                "population": {"constant": "internal"},
                "gender": {"source": "sex", "values": {"m": "male", "f": "female"}},
                "birth_date": {"source": "age", "years_before": dt.date(2020, 1, 1)},
            },
        }
    )
    mapped, rows, dropped = apply_source(raw, spec)
    assert dropped == 1 and rows.tolist() == [2, 4, 5]
    assert mapped["person_id"].tolist()[:2] == ["e-7-m", "e-9-x"]
    assert pd.isna(mapped["person_id"].iloc[2])  # a template over a blank is blank
    assert mapped["gender"].tolist() == ["male", "x", "male"]  # unmapped values pass through
    assert mapped["birth_date"].iloc[0] == pd.Timestamp("1990-01-01")
    assert mapped["birth_date"].iloc[1] == "abc"  # left for the date check to reject


def test_distinct_keeps_the_first_row_of_each() -> None:
    raw = _raw(pd.DataFrame({"region": ["r1", "r2", "r1"]}).astype("string[pyarrow]"))
    spec = SourceSpec.model_validate(
        {"distinct": True, "columns": {"org_id": "region", "name": "region"}}
    )
    mapped, rows, dropped = apply_source(raw, spec)
    assert mapped["org_id"].tolist() == ["r1", "r2"]
    assert rows.tolist() == [2, 3] and dropped == 1


def test_hierarchy_rejects_cycles_levels_above_parent_and_orphans() -> None:
    orgs = pd.DataFrame(
        {
            "org_id": ["A", "B", "C", "D", "E", "F", "G"],
            "parent_id": [None, "A", "D", "C", "B", "C", "E"],
            "level": [
                "central",
                "province",
                "province",
                "province",
                "central",
                "commune",
                "commune",
            ],
        }
    )
    issues = Issues(len(orgs))
    _check_hierarchy(orgs, issues, ("central", "province", "commune"))
    found = issues.frame().groupby("position")["rule"].apply(set).to_dict()
    assert set(found) == {2, 3, 4, 5, 6}
    reasons = issues.frame().set_index("position")["reason"]
    assert "loops back" in reasons[2] and "loops back" in reasons[3]  # C <-> D
    assert "loops back" in reasons[5]  # F hangs under the loop, so its chain never ends
    assert reasons[4] == "level is above its parent unit's level"  # central under province
    assert reasons[6] == "parent unit was rejected"  # G's parent E was rejected


def test_deep_hierarchy_is_not_mistaken_for_a_cycle() -> None:
    n = 300
    orgs = pd.DataFrame(
        {
            "org_id": [f"U{i}" for i in range(n)],
            "parent_id": [None] + [f"U{i}" for i in range(n - 1)],
            "level": ["commune"] * n,
        }
    )
    issues = Issues(n)
    _check_hierarchy(orgs, issues, ("central", "province", "commune"))
    assert issues.frame().empty


def test_nfc_composes_each_distinct_text_and_keeps_order_nulls_and_ascii() -> None:
    import unicodedata

    import pyarrow as pa

    from hientai.ingest.readers import to_nfc

    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    values = pa.chunked_array(
        [[decomposed, "Kinh", None], [decomposed, "Lào Cai", unicodedata.normalize("NFD", "Ủy")]]
    )
    composed = to_nfc(values).to_pylist()
    expected = [unicodedata.normalize("NFC", v) if v else v for v in values.to_pylist()]
    assert composed == expected
    assert composed[0] == composed[3] == "Nguyễn Thị Hằng" and composed[2] is None


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["P2", None, "P9", "P1", "P2"], dtype="string[pyarrow]"),
        pd.Series(["P2", None, "P9", "P1", "P2"], dtype=object),
        pd.Series(["P2", None, "P9", "P1", "P2"], dtype="category"),
        pd.Series([2, None, 9, 1, 2], dtype="Int64"),
        pd.Series(["P2", None, "P9", "P1", "P2"], dtype=pd.ArrowDtype(pa.large_string())),
        pd.Series(
            pd.arrays.ArrowExtensionArray(pa.chunked_array([["P2", None], ["P9", "P1", "P2"]]))
        ),
    ],
    ids=["arrow text", "object", "category", "numbers", "large text", "chunked"],
)
def test_key_positions_match_pandas_for_text_and_other_keys(values: pd.Series) -> None:
    from hientai.ingest.validate import positions_in

    keys = ["P1", "P2", "P3"] if values.dtype != "Int64" else [1, 2, 3]
    target = pd.Index(pd.Series(keys, dtype=object))
    assert positions_in(target, values).tolist() == [1, -1, -1, 0, 1]
