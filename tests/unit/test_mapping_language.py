"""The mapping language on tiny hand-written frames, each feature against an independent answer.

Values go through the mapping stage (``apply_source``) and the per-source contract checks
(``typed_source``) exactly as an ingest runs them, so a value the mapping cannot read shows up
as a quarantined cell with its row, column and reason.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hientai.contract import get_table
from hientai.ingest import IngestError, load_mapping
from hientai.ingest.apply import apply_source, conditions_hold
from hientai.ingest.columns import typed_source
from hientai.ingest.mapping import ColumnSpec, Condition, Mapping, SourceSpec
from hientai.ingest.readers import RawFrame
from hientai.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TODAY = pd.Timestamp("2026-01-15")
LEVELS = ("central", "province", "commune")


def _raw(columns: dict[str, list[object]]) -> RawFrame:
    frame = pd.DataFrame(columns).astype("string[pyarrow]")
    return RawFrame("src.csv", frame, np.arange(2, len(frame) + 2), header_row=1)


def _ingest(
    table: str, raw: RawFrame, spec: dict
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Typed rows, problems (row, column, reason) and source rows, as a batch gets them."""
    source = SourceSpec.model_validate(spec)
    mapped, rows, _ = apply_source(raw, source)
    formats = {k: c.date_format for k, c in source.columns.items() if c.date_format}
    typed, issues = typed_source(
        get_table(table), mapped, date_formats=formats, org_levels=LEVELS, today=TODAY
    )
    found = issues.frame()
    problems = pd.DataFrame(
        {
            "row": rows[found["position"].to_numpy()],
            "column": found["column"].to_numpy(),
            "reason": found["reason"].to_numpy(),
        }
    )
    return typed, problems, rows


def _people(**columns: dict) -> dict:
    return {"columns": {"person_id": "id", "population": {"constant": "internal"}, **columns}}


def _strptime_any(text: str | None, formats: list[str], first_year: int | None) -> object:
    """Brute force: the first format that reads ``text``, two-digit years moved by hand."""
    for fmt in formats:
        try:
            value = dt.datetime.strptime(text or "", fmt)
        except ValueError:
            continue
        if first_year is not None and "%y" in fmt:
            value = value.replace(year=first_year + (value.year - first_year) % 100)
        return pd.Timestamp(value)
    return None


def test_several_date_formats_first_that_reads_wins_and_the_rest_are_quarantined() -> None:
    dob = ["09/19/88", "09/19/1988", "11/24/51", "7/5/2011", "13/45/99", None, "1988-09-19"]
    raw = _raw({"id": [f"E{i}" for i in range(len(dob))], "dob": dob})
    formats = ["%m/%d/%y", "%m/%d/%Y"]
    spec = _people(
        birth_date={"source": "dob", "date_format": formats, "two_digit_years_from": 1925}
    )
    typed, problems, _ = _ingest("people", raw, spec)
    expected = [_strptime_any(v, formats, 1925) for v in dob]
    got = [None if pd.isna(v) else v for v in typed["birth_date"]]
    assert got == expected
    assert got[2] == pd.Timestamp("1951-11-24")  # not 2051: the hundred years from 1925
    assert problems["row"].tolist() == [6, 8]  # header on row 1: '13/45/99' and the ISO date
    assert set(problems["column"]) == {"birth_date"}
    assert problems["reason"].iloc[0] == (
        "expected a date as %m/%d/%y or %m/%d/%Y, got '13/45/99'"
    )


def test_two_digit_years_keep_pythons_window_unless_told() -> None:
    raw = _raw({"id": ["E1", "E2"], "dob": ["11/24/51", "11/24/75"]})
    typed, problems, _ = _ingest(
        "people", raw, _people(birth_date={"source": "dob", "date_format": "%m/%d/%y"})
    )
    assert typed["birth_date"].dt.year.tolist() == [2051, 1975]
    assert problems["reason"].tolist() == ["2051-11-24 is in the future (today is 2026-01-15)"]


def test_date_part_takes_the_year_and_leaves_unreadable_dates_to_be_rejected() -> None:
    raw = _raw({"id": ["E1", "E2", "E3"], "reviewed": ["31/12/2020", "2021-01-05", None]})
    spec = {
        "columns": {
            "person_id": "id",
            "year": {"source": "reviewed", "date_format": "%d/%m/%Y", "date_part": "year"},
            "rating": {"constant": "good"},
        }
    }
    typed, problems, _ = _ingest("evaluations", raw, spec)
    assert typed["year"].tolist()[:1] == [2020]
    assert typed["year"].isna().tolist() == [False, True, True]
    assert problems[["row", "column"]].values.tolist() == [[3, "year"], [4, "year"]]
    assert problems["reason"].tolist() == [
        "expected a year (e.g. 2024), got '2021-01-05'",
        "is blank but required",
    ]


NUMBERS = {
    "a": ["1", "5", "3", None, "x", "10", "2.5", "7"],
    "b": ["2", "5", "1", "4", "3", None, "2.5", "9"],
}


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_between_columns_matches_a_loop(op: str) -> None:
    data = _raw(NUMBERS).data
    got = conditions_hold(data, [Condition(column="a", op=op, other="b")])
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
    expected = [
        x is not None and y is not None and compare(x, y)
        for x, y in zip(map(_number, NUMBERS["a"]), map(_number, NUMBERS["b"]), strict=True)
    ]
    assert got.tolist() == expected


def test_text_conditions_blanks_and_yaml_booleans() -> None:
    data = _raw(
        {
            "status": ["final", "draft", None, "final", "Yes"],
            "other": ["final", "final", "final", None, "no"],
        }
    ).data

    def holds(cond: dict) -> list[bool]:
        spec = SourceSpec.model_validate({"where": cond, "columns": {}})
        return conditions_hold(data, spec.where or []).tolist()

    assert holds({"status": "final"}) == [True, False, False, True, False]
    assert holds({"column": "status", "op": "!=", "value": "final"}) == [
        False, True, False, False, True,
    ]  # fmt: skip
    assert holds({"status": ["draft", "Yes"]}) == [False, True, False, False, True]
    assert holds({"column": "status", "op": "not_in", "value": ["final"]}) == [
        False, True, False, False, True,
    ]  # fmt: skip
    assert holds({"column": "status", "op": "==", "other": "other"}) == [
        True, False, False, False, False,
    ]  # fmt: skip
    assert holds({"column": "status", "op": "!=", "other": "other"}) == [
        False, True, False, False, True,
    ]  # fmt: skip
    assert holds({"status": None}) == [False, False, True, False, False]  # null: blank
    assert holds({"column": "other", "op": "not_blank"}) == [True, True, True, False, True]
    assert holds({"status": True}) == [False, False, False, False, True]  # YAML `Yes`
    both = [{"column": "status", "op": "not_blank"}, {"other": "final"}]
    assert holds(both) == [True, True, False, False, False]


def test_dates_compare_as_dates_with_a_format() -> None:
    data = _raw({"hired": ["31/12/2009", "01/01/2010", "15/06/2015", "2010-01-01", None]}).data
    cond = Condition(column="hired", op=">=", value=dt.date(2010, 1, 1), date_format="%d/%m/%Y")
    assert conditions_hold(data, [cond]).tolist() == [False, True, True, False, False]


def test_when_takes_the_first_branch_that_holds_else_the_default() -> None:
    raw = _raw(
        {
            "id": ["E1", "E2", "E3", "E4", "E5"],
            "role": ["Manager", "Clerk", "Director", "Clerk", None],
            "level": ["2", "5", "4", "1", "5"],
        }
    )
    spec = _people(
        field={
            "when": [
                {"if": {"role": ["Manager", "Director"]}, "then": "leads"},
                {
                    "if": {"column": "level", "op": ">=", "value": 4},
                    "then": {"template": "L{level}"},
                },
            ],
            "else": "staff",
        },
        recruitment_channel={
            "when": [{"if": {"column": "level", "op": "<", "value": 2}, "then": "x"}]
        },
    )
    typed, problems, _ = _ingest("people", raw, spec)
    expected = []
    for role, level in zip(raw.data["role"].fillna(""), raw.data["level"], strict=True):
        if role in ("Manager", "Director"):
            expected.append("leads")
        elif int(level) >= 4:
            expected.append(f"L{level}")
        else:
            expected.append("staff")
    assert typed["field"].tolist() == expected == ["leads", "L5", "leads", "staff", "L5"]
    assert typed["recruitment_channel"].isna().tolist() == [True, True, True, False, True]
    assert problems.empty


def test_when_values_are_checked_like_any_other() -> None:
    raw = _raw({"id": ["E1", "E2"], "sex": ["1", "3"]})
    spec = _people(gender={"when": [{"if": {"sex": 1}, "then": "female"}], "else": "unknown"})
    typed, problems, _ = _ingest("people", raw, spec)
    assert typed["gender"].tolist()[0] == "female"
    assert problems["row"].tolist() == [3]
    assert problems["reason"].str.startswith("unknown value 'unknown'; allowed:").all()


def test_arithmetic_then_years_before() -> None:
    raw = _raw(
        {
            "id": ["E1", "E2", "E3", "E4"],
            "age": ["30", "0", "abc", None],
            "months": ["24", "6", "1,5", "x"],
        }
    )
    spec = _people(
        birth_date={"source": "age", "add": 0.5, "years_before": dt.date(2017, 1, 1)},
        years_experience={"source": "months", "multiply": 1 / 12},
    )
    typed, problems, _ = _ingest("people", raw, spec)
    half_year = pd.Timedelta(days=0.5 * 365.25)
    assert typed["birth_date"].iloc[0] == (pd.Timestamp("1987-01-01") - half_year).normalize()
    assert typed["birth_date"].iloc[1] == (pd.Timestamp("2017-01-01") - half_year).normalize()
    assert typed["years_experience"].round(4).tolist()[:3] == [2.0, 0.5, 0.125]  # '1,5' is 1.5
    assert problems[["row", "column"]].values.tolist() == [
        [4, "birth_date"],
        [5, "years_experience"],
    ]
    assert problems["reason"].tolist() == [
        "expected a date as %Y-%m-%d, got 'abc'",
        "expected a number, got 'x'",
    ]


def test_unmapped_values_pass_through_and_null_blanks_a_value() -> None:
    raw = _raw(
        {"id": ["E1", "E2", "E3", "E4"], "sex": ["M", "F", "U", "?"], "unit": ["a", "b", "c", "d"]}
    )
    spec = _people(
        gender={"source": "sex", "values": {"M": "male", "F": "female", "U": None}},
        field={"source": "unit", "values": {"a": "Finance"}},
    )
    typed, problems, _ = _ingest("people", raw, spec)
    assert typed["gender"].tolist()[:2] == ["male", "female"]
    assert pd.isna(typed["gender"].iloc[2])  # mapped to null: blank, not an error
    assert typed["field"].tolist() == ["Finance", "b", "c", "d"]  # text passes unchanged
    assert problems["row"].tolist() == [5]  # '?' is not a gender: quarantined, not guessed
    assert problems["reason"].item() == "unknown value '?'; allowed: female, male, other"


def test_the_older_forms_still_mean_what_they_meant() -> None:
    raw = _raw({"emp": ["7", "8", "9"], "keep": ["1", "0", "1"]})
    old = SourceSpec.model_validate({"where": {"keep": 1}, "columns": {"person_id": "emp"}})
    new = SourceSpec.model_validate(
        {
            "where": [{"column": "keep", "op": "==", "value": 1}],
            "columns": {"person_id": {"source": "emp"}},
        }
    )
    assert old == new
    mapped, rows, dropped = apply_source(raw, old)
    assert mapped["person_id"].tolist() == ["7", "9"] and rows.tolist() == [2, 4] and dropped == 1
    for name in ("wns_promotion", "ibm_hr_attrition"):
        assert "people" in load_mapping(ROOT / "conf" / "mappings" / f"{name}.yaml").tables


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ({"source": "a", "constant": 1}, "give exactly one of source, constant, template or when"),
        ({"source": "a", "else": 1}, "else belongs to a when"),
        (
            {"source": "a", "date_part": "week"},
            "date_part: Input should be 'year', 'month' or 'day'",
        ),
        (
            {"source": "a", "date_format": "%d/%m/%Y", "years_before": "2020-01-01"},
            "years_before reads a number",
        ),
        (
            {"source": "a", "two_digit_years_from": 1930},
            "two_digit_years_from needs a date_format with %y",
        ),
        (
            {"when": [{"if": {"column": "a", "op": "<"}, "then": 1}]},
            "needs exactly one of value or other",
        ),
        (
            {"when": [{"if": {"column": "a", "op": "<", "value": "x"}, "then": 1}]},
            "compares numbers or dates",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_naming_the_file_and_key(
    tmp_path: Path, column: dict, text: str
) -> None:
    path = tmp_path / "bad.yaml"
    spec = {"name": "bad", "tables": {"people": [{"file": "x.csv", "columns": {"field": column}}]}}
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    with pytest.raises(IngestError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: tables.people.0.columns.field")
    assert text in message
    assert "\n" not in message


def test_column_spec_names_every_source_column_it_reads() -> None:
    spec = ColumnSpec.model_validate(
        {
            "when": [
                {
                    "if": [{"column": "a", "op": "<", "other": "b"}],
                    "then": {"template": "{c}-{d}"},
                },
            ],
            "else": {"source": "e"},
        }
    )
    assert spec.source_columns() == ["a", "b", "c", "d", "e"]


def test_the_mapping_guide_names_every_feature_and_table_and_its_examples_load() -> None:
    from features.catalog import CATALOG
    from hientai.contract import TABLES

    guide = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    feeds = guide[guide.index("## What each table feeds") :]
    assert [f.name for f in CATALOG if f"`{f.name}`" not in feeds] == []
    assert [t.name for t in TABLES if f"| `{t.name}` |" not in feeds] == []
    examples = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    assert len(examples) >= 10
    for example in examples:
        data = yaml.safe_load(example)
        if "features" in data:  # a settings example (extracts of one date)
            Settings.model_validate(data)
            continue
        for key, value in data.items():
            if key == "tables":
                Mapping.model_validate(data)
            elif key == "where":
                SourceSpec.model_validate({"where": value, "columns": {}})
            elif isinstance(value, list):  # a table and its sources
                for source in value:
                    SourceSpec.model_validate(source)
            elif key not in ("name", "description", "encoding"):
                ColumnSpec.model_validate({"source": value} if isinstance(value, str) else value)
