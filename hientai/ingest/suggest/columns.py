"""One contract column proposed from a profiled source column, with what to check about it.

A proposal that cannot be used as it is (values that match no contract value, codes that need
the extract's codebook) is disabled: written commented out, with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hientai.contract.vocab import GRADES
from hientai.ingest.coerce import FALSE_TEXT, TRUE_TEXT
from hientai.ingest.suggest.profile import MAX_VALUES, Profile
from hientai.ingest.suggest.render import Line
from hientai.ingest.suggest.synonyms import (
    COUNTRY_CODES,
    EDUCATION_VALUES,
    GENDER_VALUES,
    GRADE_VALUES,
    match_value,
    normalise,
)


def person_lines(roles: dict[str, Profile], as_of: dt.date) -> list[Line]:
    """People columns from the roles found (each role used is removed from ``roles``)."""
    lines: list[Line] = []
    for role in ("full_name", "ethnicity", "religion", "hometown_province", "field"):
        if role in roles:
            lines.append(Line(role, roles.pop(role).name))
    if "languages" in roles:
        lines.append(
            Line("languages", roles.pop("languages").name, "ISO 639-1 codes: en:B2;fr", False)
        )
    for role, vocabulary in (("gender", GENDER_VALUES), ("education_level", EDUCATION_VALUES)):
        if role in roles:
            lines.append(category_line(role, roles.pop(role), vocabulary))
    if "grade" in roles:
        lines.append(ordinal_line("current_grade", roles.pop("grade"), GRADES, GRADE_VALUES))
    if "nationality" in roles:
        lines.append(nationality_line(roles.pop("nationality")))
    if "party_member" in roles:
        lines.append(party_line(roles.pop("party_member")))
    birth = date_line("birth_date", roles.pop("birth_date", None), as_of)
    birth = birth or duration_line("birth_date", roles.pop("age", None), as_of, 14, 100)
    hire = hire_line(roles, as_of, "hire_date", consume=True)
    if "experience_years" in roles:
        years = roles.pop("experience_years")
        lines.append(
            Line("years_experience", years.name, f"{years.name}: years, kept as a number")
        )
    if "recruitment_channel" in roles:
        lines.append(Line("recruitment_channel", roles.pop("recruitment_channel").name))
    return lines + [line for line in (birth, hire) if line is not None]


def hire_line(
    roles: dict[str, Profile], as_of: dt.date, column: str, *, consume: bool
) -> Line | None:
    """``column`` from a hire date, else from years of service, else None."""
    take = roles.pop if consume else roles.get
    line = date_line(column, take("hire_date", None), as_of)
    return line or duration_line(column, take("service_years", None), as_of, 0, 70)


def date_line(column: str, p: Profile | None, as_of: dt.date) -> Line | None:
    if p is None:
        return None
    if not p.date_formats:
        return Line(column, p.name, f"{p.name}: no date format reads every value", False)
    return Line(column, date_spec(p, as_of), f"dates as {' or '.join(p.date_formats)}")


def date_spec(p: Profile, as_of: dt.date) -> dict[str, object]:
    """Read ``p`` with its detected formats; two-digit years in the century before as-of."""
    formats = list(p.date_formats)
    spec: dict[str, object] = {
        "source": p.name,
        "date_format": formats[0] if len(formats) == 1 else formats,
    }
    if any("%y" in f for f in formats):
        spec["two_digit_years_from"] = as_of.year - 99
    return spec


def duration_line(
    column: str, p: Profile | None, as_of: dt.date, low: float, high: float
) -> Line | None:
    if p is None:
        return None
    if not p.is_number or p.low is None or p.high is None or p.low < low or p.high > high:
        return Line(column, p.name, f"{p.name}: expected years between {low} and {high}", False)
    spec: dict[str, object] = {"source": p.name}
    comment = f"{p.name} years before the as-of date"
    if p.is_integer:
        spec["add"] = 0.5
        comment += "; completed years read as their middle (+0.5)"
    spec["years_before"] = as_of
    return Line(column, spec, comment)


def category_line(column: str, p: Profile, vocabulary: dict[str, tuple[str, ...]]) -> Line:
    values, unmatched = _value_map(p, vocabulary)
    spec = {"source": p.name, "values": values} if values else p.name
    if unmatched:
        todo = {**values, **{value_key(v): "TODO" for v in unmatched}}
        todo = dict(sorted(todo.items(), key=lambda kv: (not isinstance(kv[0], int), str(kv[0]))))
        allowed = ", ".join(vocabulary)
        return Line(
            column,
            {"source": p.name, "values": todo},
            f"values not recognised: map each to one of {allowed}",
            False,
        )
    return Line(column, spec)


def _value_map(
    p: Profile, vocabulary: dict[str, tuple[str, ...]]
) -> tuple[dict[object, object], list[str]]:
    if p.n_distinct > len(p.distinct):
        return {}, list(p.distinct)
    values: dict[object, object] = {}
    unmatched = []
    for value in p.distinct:
        target = match_value(value, vocabulary)
        if target is None:
            unmatched.append(value)
        elif target != value:
            values[value_key(value)] = target
    return values, unmatched


def ordinal_line(
    column: str, p: Profile, levels: Sequence[str], vocabulary: dict[str, tuple[str, ...]]
) -> Line:
    """Text matched to the vocabulary; whole-number codes by their order (lowest first)."""
    codes = p.integer_codes
    if not codes or len(codes) > len(levels):
        return category_line(column, p, vocabulary)
    values = {code: levels[i] for i, code in enumerate(codes)}
    return Line(
        column,
        {"source": p.name, "values": values},
        "guessed from the order of the codes: check the extract's codebook",
    )


def nationality_line(p: Profile) -> Line:
    if all(len(v) == 2 and v.isupper() for v in p.distinct) and p.n_distinct <= MAX_VALUES:
        return Line("nationality", p.name)
    values = {value_key(v): COUNTRY_CODES.get(normalise(v), "TODO") for v in p.distinct}
    if "TODO" not in values.values():
        return Line("nationality", {"source": p.name, "values": values})
    return Line(
        "nationality",
        {"source": p.name, "values": values},
        "nationality is an ISO 3166-1 alpha-2 code (VN, US): map each value, or leave it "
        "unmapped (unknown)",
        False,
    )


def party_line(p: Profile) -> Line:
    if all(v.lower() in TRUE_TEXT | FALSE_TEXT for v in p.distinct):
        return Line("party_member", p.name)
    return Line("party_member", p.name, "expected yes/no values", False)


def value_key(value: str) -> object:
    """A value map key: whole numbers as numbers (YAML reads them so), text as text."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else value
