"""The blocks of a suggested mapping: which contract tables each file feeds, and how."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hientai.contract.vocab import RATINGS
from hientai.ingest.errors import IngestError
from hientai.ingest.readers import RawFrame, read_source
from hientai.ingest.suggest.columns import category_line, date_spec, hire_line, person_lines
from hientai.ingest.suggest.profile import Profile, profile
from hientai.ingest.suggest.render import Block, Line, render
from hientai.ingest.suggest.synonyms import RATING_VALUES, UNIT_PREFERENCE, normalise
from hientai.settings import Settings

PERSON_ROLES = (
    "full_name", "gender", "birth_date", "age", "ethnicity", "religion", "nationality",
    "party_member", "hometown_province", "education_level", "field", "languages", "hire_date",
    "service_years", "experience_years", "recruitment_channel", "grade",
)  # fmt: skip
OUTCOME = (
    "an outcome observed after the extract, not a record known before it: map it as a later "
    "event only if the model must learn it (docs/mapping.md, section 'Outcome columns')"
)


def suggest_mapping(files: Sequence[Path], *, as_of: dt.date, settings: Settings) -> str:
    """YAML text of a starting mapping for ``files`` (one extract), read as of ``as_of``."""
    if not files:
        raise IngestError("give at least one file of the extract")
    profiles = {path.name: profile(_read(path, settings)) for path in files}
    builder = _Builder(as_of=as_of, org_level=settings.contract.org_levels[0])
    people_file = _people_file(profiles)
    for name, columns in profiles.items():
        builder.add_file(name, columns, people=name == people_file)
    source = str(files[0]) if len(files) == 1 else str(files[0].parent)
    return render(
        name=normalise(files[0].stem) or "extract",
        source=source,
        as_of=as_of,
        blocks=builder.blocks,
        unmapped=builder.unmapped,
        notes=builder.notes,
    )


def _read(path: Path, settings: Settings) -> RawFrame:
    return read_source(
        path,
        header_row=1 if path.suffix.lower() == ".xlsx" else None,
        na_values=settings.ingest.na_values,
        expected_columns=[],
    )


def _people_file(profiles: dict[str, list[Profile]]) -> str | None:
    """The file whose person id is unique: one row per person."""
    for name, columns in profiles.items():
        if any(p.role == "person_id" and p.n_distinct == p.present > 0 for p in columns):
            return name
    return None


@dataclass
class _Builder:
    """Blocks of the suggestion, file by file, and what was left out and why."""

    as_of: dt.date
    org_level: str
    blocks: list[Block] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_file(self, file: str, columns: list[Profile], *, people: bool) -> None:
        roles: dict[str, Profile] = {}
        for p in columns:
            if p.present == 0 or p.n_distinct == 1:
                self.unmapped.append(f"{file}: {p.name}: the same value (or blank) in every row")
            elif p.role is None:
                self.unmapped.append(f"{file}: {p.name}: no contract column matches the name")
            elif p.role == "outcome":
                self.unmapped.append(f"{file}: {p.name}: {OUTCOME}")
            elif p.role in roles and not (p.role == "unit" and _prefer(p, roles["unit"])):
                self.unmapped.append(f"{file}: {p.name}: {_taken(roles[p.role], p)}")
            else:
                roles[p.role] = p
        person = roles.pop("person_id", None)
        if person is None:
            self.notes.append(f"{file}: no column looks like a person id; name one (person_id)")
            return
        person_ref = person.name
        unit = roles.pop("unit", None)
        if people:
            self._people(file, person_ref, unit, roles)
        else:
            for role in [r for r in roles if r in PERSON_ROLES]:
                self.unmapped.append(
                    f"{file}: {roles.pop(role).name}: a person attribute; read from the "
                    "people file"
                )
        self._records(file, person_ref, unit, roles)
        for p in roles.values():
            self.unmapped.append(f"{file}: {p.name}: recognised as {p.role}, not used here")

    def _people(
        self, file: str, person_ref: str, unit: Profile | None, roles: dict[str, Profile]
    ) -> None:
        if unit is not None:
            self.blocks.append(
                Block(
                    "organizations",
                    file,
                    f"One unit per distinct {unit.name}.",
                    [
                        Line("org_id", unit.name),
                        Line("name", unit.name),
                        Line(
                            "level",
                            {"constant": self.org_level},
                            "one of the levels in conf contract.org_levels",
                        ),
                    ],
                    distinct=True,
                )
            )
        start = hire_line(roles, self.as_of, "start_date", consume=False)
        lines = [
            Line("person_id", person_ref),
            Line("population", {"constant": "internal"}, "external for talent candidates"),
        ]
        lines += person_lines(roles, self.as_of)
        if unit is not None:
            lines.append(Line("current_org_id", unit.name))
        self.blocks.append(Block("people", file, "One row per person.", lines))
        if unit is not None and start is not None:
            self._assignment(file, person_ref, unit, start, roles)

    def _assignment(
        self, file: str, person_ref: str, unit: Profile, start: Line, roles: dict[str, Profile]
    ) -> None:
        lines = [
            Line("assignment_id", {"template": "{" + person_ref + "}-current"}),
            Line("person_id", person_ref),
            Line("org_id", unit.name),
        ]
        title = roles.pop("title", None)
        if title is not None:
            lines.append(Line("title", title.name))
        lines += [
            Line(
                "is_leadership",
                {"constant": False},
                "set it from the title if some titles are leadership posts (`when`)",
            ),
            start,
            Line("reason", {"constant": "recruitment"}),
        ]
        for role in ("role_years", "promotion_years"):
            if role in roles:
                self.notes.append(
                    f"{file}: {roles.pop(role).name}: a career duration; "
                    "conf/mappings/ibm_hr_attrition.yaml rebuilds a career from such durations"
                )
        comment = "The post held at the extract date, since hire."
        self.blocks.append(Block("assignments", file, comment, lines))

    def _records(
        self, file: str, person_ref: str, unit: Profile | None, roles: dict[str, Profile]
    ) -> None:
        last_day = self.as_of - dt.timedelta(days=1)
        rating = roles.pop("rating", None)
        if rating is not None:
            self.blocks.append(_evaluations(file, person_ref, unit, rating, roles, self.as_of))
        count, score = roles.pop("training_count", None), roles.pop("training_score", None)
        if count is not None or score is not None:
            self.blocks.append(_trainings(file, person_ref, count, score, last_day))
        awards = roles.pop("awards", None)
        if awards is not None:
            self.blocks.append(_flag_block("awards", file, person_ref, awards, last_day))
        kpi = roles.pop("kpi_met", None)
        if kpi is not None:
            self.blocks.append(_flag_block("outputs", file, person_ref, kpi, last_day))


def _taken(used: Profile, other: Profile) -> str:
    if used.role == "unit":
        return (
            f"another unit column ({used.name} is the unit); if units are nested, one unit per "
            f'pair is {{template: "{{{used.name}}}-{{{other.name}}}"}}'
        )
    return f"{used.name} was taken for the same role ({used.role})"


def _prefer(candidate: Profile, current: Profile) -> bool:
    """Whether ``candidate`` is a better unit column than ``current`` (name order)."""
    rank = {n: i for i, n in enumerate(UNIT_PREFERENCE)}
    return rank[normalise(candidate.name)] < rank[normalise(current.name)]


def _evaluations(
    file: str,
    person_ref: str,
    unit: Profile | None,
    rating: Profile,
    roles: dict[str, Profile],
    as_of: dt.date,
) -> Block:
    review = roles.pop("review_date", None)
    rated = roles.pop("year", None)
    if rated is not None and rated.is_integer:
        year = Line("year", rated.name)
    elif review is not None and review.date_formats:
        spec = {**date_spec(review, as_of), "date_part": "year"}
        year = Line("year", spec, f"the year of {review.name}")
    else:
        year = Line("year", {"constant": as_of.year - 1}, "the year rated: the one before as-of")
    codes = rating.integer_codes
    if codes and len(codes) <= 6:
        ranked = sorted(codes, reverse=True)
        levels = {c: RATINGS[min(i, len(RATINGS) - 1)] for i, c in enumerate(ranked)}
        line = Line(
            "rating",
            {"source": rating.name, "values": levels},
            "guessed from the order of the codes (highest = excellent): check the codebook",
        )
    else:
        line = category_line("rating", rating, RATING_VALUES)
    lines = [Line("person_id", person_ref), year, line]
    if unit is not None:
        lines.append(Line("org_id", unit.name))
    comment = f"One rating per person from {rating.name}."
    return Block("evaluations", file, comment, lines, enabled=line.enabled)


def _trainings(
    file: str, person_ref: str, count: Profile | None, score: Profile | None, day: dt.date
) -> Block:
    lines = [
        Line("training_id", {"template": "{" + person_ref + "}-training"}),
        Line("person_id", person_ref),
        Line("category", {"constant": "professional"}, "the extract does not say the kind"),
        Line("end_date", {"constant": day}),
    ]
    where: dict[str, object] | None = None
    if count is not None:
        lines.append(Line("sessions", count.name, f"courses counted by {count.name}"))
        where = {"column": count.name, "op": ">", "value": 0}
    if score is not None:
        lines.append(Line("score", score.name, "0-100"))
    return Block("trainings", file, "One record of the courses each person took.", lines, where)


def _flag_block(table: str, file: str, person_ref: str, flag: Profile, day: dt.date) -> Block:
    if table == "awards":
        lines = [
            Line("award_id", {"template": "{" + person_ref + "}-award"}),
            Line("person_id", person_ref),
            Line("award_date", {"constant": day}),
            Line("level", {"constant": "unit"}),
            Line("kind", {"constant": "other"}),
            Line("description", {"constant": f"{flag.name} (source)"}),
        ]
    else:
        lines = [
            Line("output_id", {"template": "{" + person_ref + "}-kpi"}),
            Line("person_id", person_ref),
            Line("period_end", {"constant": day}),
            Line("kind", {"constant": "kpi"}),
            Line("target", {"constant": 1}),
            Line("achieved", flag.name, "1 met, 0 not met"),
        ]
    where: dict[str, object] | None = None
    if table == "awards" and flag.is_integer:
        where = {flag.name: max(flag.integer_codes)}
    comment = f"From the yes/no column {flag.name}."
    return Block(table, file, comment, lines, where, enabled=flag.is_integer)
