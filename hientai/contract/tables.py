"""The hientai HR extract contract: every table, every column, defined once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hientai.contract import vocab as v
from hientai.contract.schema import Column, RowRule, Table

PERSON_FK = "people.person_id"
ORG_FK = "organizations.org_id"


def _person_id(description: str = "The person this record is about.") -> Column:
    return Column("person_id", "string", description, references=PERSON_FK)


def _end_before_start(start: str, end: str) -> RowRule:
    return RowRule(
        name=f"{end}_not_before_{start}",
        columns=(start, end),
        message=f"{end} is before {start}",
        violated=lambda df: df[end].notna() & df[start].notna() & (df[end] < df[start]),
    )


def _shares_do_not_sum_to_one(df: pd.DataFrame) -> pd.Series:
    total = df["high_share"] + df["medium_share"] + df["low_share"]
    return (total - 1.0).abs() > 0.011


def _survey_has_no_score(df: pd.DataFrame) -> pd.Series:
    return df[list(v.SURVEY_DIMENSIONS)].isna().all(axis=1)


def _kpi_without_target(df: pd.DataFrame) -> pd.Series:
    is_kpi = df["kind"] == "kpi"
    missing = df["target"].isna() | df["achieved"].isna() | (df["target"] <= 0)
    return is_kpi & missing


def _training_level_mismatch(df: pd.DataFrame) -> pd.Series:
    bad = pd.Series(False, index=df.index)
    for category, levels in v.TRAINING_LEVELS_BY_CATEGORY.items():
        if levels is None:
            continue
        in_category = (df["category"] == category) & df["level"].notna()
        bad |= in_category & ~df["level"].isin(levels)
    return bad


def _external_category_on_internal(df: pd.DataFrame) -> pd.Series:
    return (df["population"] == "internal") & df["external_category"].notna()


def _rating_score_off_scale(df: pd.DataFrame) -> pd.Series:
    if "rating_score" not in df:  # an extract that keeps no score has nothing to check
        return pd.Series(False, index=df.index)
    score = df["rating_score"]
    top = df["rating_scale_max"] if "rating_scale_max" in df else pd.Series(np.nan, df.index)
    return score.notna() & (top.isna() | (score > top) | (top <= 0))


def _grade_col(description: str) -> Column:
    return Column(
        "grade", "category", description, required=False, nullable=True, categories=v.GRADES
    )


def _rating(name: str, description: str, *, required: bool = True) -> Column:
    return Column(
        name, "category", description, required=required, nullable=True, categories=v.RATINGS
    )


ORGANIZATIONS = Table(
    name="organizations",
    description=(
        "Agencies and units as a hierarchy of any depth. Levels are data (conf: "
        "contract.org_levels); a unit's level may not be above its parent's."
    ),
    primary_key=("org_id",),
    columns=(
        Column("org_id", "string", "Stable identifier of the unit."),
        Column("name", "string", "Official name of the unit (Vietnamese allowed, NFC)."),
        Column(
            "level",
            "category",
            "Administrative level; one of contract.org_levels.",
            categories_setting="org_levels",
        ),
        Column(
            "parent_id",
            "string",
            "The unit directly above; blank for a top unit.",
            required=False,
            nullable=True,
            references=ORG_FK,
        ),
        Column(
            "province_code",
            "string",
            "Province the unit belongs to, in the same codes as people.hometown_province "
            "(locality for the rotation rule and favouritism checks); blank for central units.",
            required=False,
            nullable=True,
        ),
    ),
)

PEOPLE = Table(
    name="people",
    event_date="hire_date",
    description=(
        "Internal cadres and civil servants, and external talent candidates (experts, "
        "overseas Vietnamese, foreigners). The only table every extract must have."
    ),
    primary_key=("person_id",),
    required=True,
    person_column="person_id",
    columns=(
        Column("person_id", "string", "Stable identifier of the person."),
        Column(
            "population",
            "category",
            "internal (cadre or civil servant) or external (talent candidate).",
            categories=v.POPULATIONS,
        ),
        Column("full_name", "string", "Name, for reviewers.", required=False, nullable=True),
        Column(
            "birth_date", "date", "Date of birth.", required=False, nullable=True, protected=True
        ),
        Column(
            "gender",
            "category",
            "Gender.",
            required=False,
            nullable=True,
            categories=v.GENDERS,
            protected=True,
        ),
        Column(
            "ethnicity",
            "string",
            "Ethnic group.",
            required=False,
            nullable=True,
            protected=True,
        ),
        Column("religion", "string", "Religion.", required=False, nullable=True, protected=True),
        Column(
            "nationality",
            "string",
            "Nationality, ISO 3166-1 alpha-2.",
            required=False,
            nullable=True,
            pattern=v.NATIONALITY_PATTERN,
            protected=True,
        ),
        Column(
            "party_member",
            "bool",
            "Member of the Communist Party of Viet Nam.",
            required=False,
            nullable=True,
            protected=True,
        ),
        Column(
            "party_join_date",
            "date",
            "Date of admission to the Party (reveals membership, so protected).",
            required=False,
            nullable=True,
            protected=True,
            after_birth=True,
        ),
        Column(
            "hometown_province",
            "string",
            "Province of origin (quê quán), in the same codes as organizations.province_code.",
            required=False,
            nullable=True,
            protected=True,
        ),
        Column(
            "education_level",
            "category",
            "Highest completed education.",
            required=False,
            nullable=True,
            categories=v.EDUCATION_LEVELS,
        ),
        Column("field", "string", "Field of study or work.", required=False, nullable=True),
        Column(
            "languages",
            "string",
            "Foreign languages as ISO 639-1 codes with optional CEFR level: en:B2;fr:A2.",
            required=False,
            nullable=True,
            pattern=v.LANGUAGES_PATTERN,
        ),
        Column(
            "hire_date",
            "date",
            "Entry into the public service (internal people).",
            required=False,
            nullable=True,
            after_birth=True,
        ),
        Column(
            "current_org_id",
            "string",
            "Unit the person works in now (internal people).",
            required=False,
            nullable=True,
            references=ORG_FK,
        ),
        Column(
            "current_grade",
            "category",
            "Civil-service grade (ngạch) now.",
            required=False,
            nullable=True,
            categories=v.GRADES,
        ),
        Column(
            "external_category",
            "category",
            "Kind of external candidate; blank for internal people.",
            required=False,
            nullable=True,
            categories=v.EXTERNAL_CATEGORIES,
        ),
        Column(
            "years_experience",
            "float",
            "Professional experience in years (CV of external candidates).",
            required=False,
            nullable=True,
            min_value=0,
            max_value=70,
        ),
        Column(
            "recruitment_channel",
            "string",
            "How the person entered (exam, transfer, talent attraction, ...).",
            required=False,
            nullable=True,
        ),
    ),
    rules=(
        RowRule(
            name="external_category_only_for_external",
            columns=("population", "external_category"),
            message="external_category is set for an internal person",
            violated=_external_category_on_internal,
        ),
    ),
)

POSITIONS = Table(
    name="positions",
    description=(
        "Leadership posts and planning slots with their title standards (tiêu chuẩn chức "
        "danh). Party membership is never required unless requires_party_member says so."
    ),
    primary_key=("position_id",),
    columns=(
        Column("position_id", "string", "Stable identifier of the post or slot."),
        Column("org_id", "string", "Unit the post belongs to.", references=ORG_FK),
        Column("title", "string", "Title as written in the unit's records."),
        Column("title_code", "category", "Normalised title.", categories=v.TITLE_CODES),
        Column(
            "kind", "category", "leadership_post or planning_slot.", categories=v.POSITION_KINDS
        ),
        Column("is_leadership", "bool", "Whether the post is a leadership post."),
        Column(
            "min_education",
            "category",
            "Minimum education.",
            required=False,
            nullable=True,
            categories=v.EDUCATION_LEVELS,
        ),
        Column(
            "min_political_theory",
            "category",
            "Minimum political-theory level, where the post requires one.",
            required=False,
            nullable=True,
            categories=v.POLITICAL_THEORY_LEVELS,
        ),
        Column(
            "min_state_management",
            "category",
            "Minimum state-management level, where the post requires one.",
            required=False,
            nullable=True,
            categories=v.STATE_MANAGEMENT_LEVELS,
        ),
        Column(
            "required_languages",
            "string",
            "Languages required, same format as people.languages.",
            required=False,
            nullable=True,
            pattern=v.LANGUAGES_PATTERN,
        ),
        Column(
            "min_years_service",
            "int",
            "Minimum years of service.",
            required=False,
            nullable=True,
            min_value=0,
            max_value=50,
        ),
        Column(
            "max_age",
            "int",
            "Upper age limit of the slot's young-cadre window, if any.",
            required=False,
            nullable=True,
            min_value=18,
            max_value=80,
        ),
        Column(
            "requires_outside_hometown",
            "bool",
            "Rotation rule: candidates must come from outside the post's province.",
            required=False,
            default=False,
        ),
        Column(
            "candidate_scope",
            "category",
            "Where candidates may come from.",
            required=False,
            categories=v.CANDIDATE_SCOPES,
            default="national",
        ),
        Column(
            "requires_party_member",
            "bool",
            "Explicit standard requiring Party membership (reported by every run).",
            required=False,
            default=False,
        ),
        Column(
            "planning_term",
            "string",
            "Planning term, e.g. 2026-2031.",
            required=False,
            nullable=True,
            pattern=r"^\d{4}-\d{4}$",
        ),
        Column("vacant", "bool", "Whether the post is vacant now.", required=False, nullable=True),
    ),
)

ASSIGNMENTS = Table(
    name="assignments",
    event_date="start_date",
    description="Career history: one row per spell in a unit and title.",
    primary_key=("assignment_id",),
    person_column="person_id",
    columns=(
        Column("assignment_id", "string", "Stable identifier of the spell."),
        _person_id(),
        Column("org_id", "string", "Unit of the spell.", references=ORG_FK),
        Column(
            "position_id",
            "string",
            "Post held, if it is a listed position.",
            required=False,
            nullable=True,
            references="positions.position_id",
        ),
        Column("title", "string", "Title as recorded.", required=False, nullable=True),
        Column(
            "title_code",
            "category",
            "Normalised title.",
            required=False,
            nullable=True,
            categories=v.TITLE_CODES,
        ),
        _grade_col("Civil-service grade during the spell."),
        Column("is_leadership", "bool", "Whether the spell is in a leadership post."),
        Column("start_date", "date", "First day of the spell.", after_birth=True),
        Column(
            "end_date",
            "date",
            "Last day; blank while ongoing.",
            required=False,
            nullable=True,
            after_birth=True,
        ),
        Column("reason", "category", "Why the spell started.", categories=v.START_REASONS),
        Column(
            "end_reason",
            "category",
            "Why it ended.",
            required=False,
            nullable=True,
            categories=v.END_REASONS,
        ),
    ),
    rules=(_end_before_start("start_date", "end_date"),),
)

EVALUATIONS = Table(
    name="evaluations",
    event_date="year",
    description=(
        "Annual quality rating (đánh giá, xếp loại) and the collective rating of the person's "
        "unit that year, so individual results can be read against the unit's."
    ),
    primary_key=("person_id", "year"),
    person_column="person_id",
    columns=(
        _person_id(),
        Column("year", "year", "Year rated.", after_birth=True),
        _rating("rating", "Individual rating; blank when not rated that year."),
        Column(
            "org_id",
            "string",
            "Unit the person was rated in.",
            required=False,
            nullable=True,
            references=ORG_FK,
        ),
        _rating("unit_rating", "The unit's collective rating that year.", required=False),
        Column(
            "rating_score",
            "float",
            "The rating on the employer's own scale, as given (e.g. 4 on a 1-5 scale), kept "
            "beside the level it maps to: a scale finer than the four levels is not lost.",
            required=False,
            nullable=True,
            min_value=0,
        ),
        Column(
            "rating_scale_max",
            "float",
            "Top of the scale rating_score is on (5 for a 1-5 scale); needed with rating_score.",
            required=False,
            nullable=True,
            min_value=0,
        ),
    ),
    rules=(
        RowRule(
            name="rating_score_within_scale",
            columns=("rating_score", "rating_scale_max"),
            message="rating_score is given without rating_scale_max, or above it",
            violated=_rating_score_off_scale,
        ),
    ),
)

CONFIDENCE_VOTES = Table(
    name="confidence_votes",
    event_date="vote_date",
    description="Votes of confidence (lấy phiếu tín nhiệm): shares of high, medium, low.",
    primary_key=("vote_id",),
    person_column="person_id",
    columns=(
        Column("vote_id", "string", "Stable identifier of the vote."),
        _person_id(),
        Column("vote_date", "date", "Date of the vote.", after_birth=True),
        Column("voting_body", "category", "Who voted.", categories=v.VOTING_BODIES),
        Column("high_share", "float", "Share voting high.", min_value=0, max_value=1),
        Column("medium_share", "float", "Share voting medium.", min_value=0, max_value=1),
        Column("low_share", "float", "Share voting low.", min_value=0, max_value=1),
        Column(
            "n_voters",
            "int",
            "Number of voters.",
            required=False,
            nullable=True,
            min_value=1,
        ),
    ),
    rules=(
        RowRule(
            name="shares_sum_to_one",
            columns=("high_share", "medium_share", "low_share"),
            message="high_share + medium_share + low_share is not 1 (tolerance 0.011)",
            violated=_shares_do_not_sum_to_one,
        ),
    ),
)

SURVEYS_360 = Table(
    name="surveys_360",
    event_date="survey_date",
    description=(
        "Multi-rater surveys: one row per person, survey date and rater role, with the mean "
        "score (1-5) of that role's raters on each dimension."
    ),
    primary_key=("person_id", "survey_date", "rater_role"),
    person_column="person_id",
    columns=(
        _person_id(),
        Column("survey_date", "date", "Date the survey closed.", after_birth=True),
        Column("rater_role", "category", "Who rated.", categories=v.RATER_ROLES),
        Column(
            "n_raters", "int", "Raters in this role.", required=False, nullable=True, min_value=1
        ),
        *(
            Column(
                dim,
                "float",
                f"Mean score on {dim.replace('_', ' ')} (1-5).",
                required=dim != "leadership_capacity",
                nullable=True,
                min_value=1,
                max_value=5,
            )
            for dim in v.SURVEY_DIMENSIONS
        ),
    ),
    rules=(
        RowRule(
            name="at_least_one_score",
            columns=v.SURVEY_DIMENSIONS,
            message="no dimension has a score",
            violated=_survey_has_no_score,
        ),
    ),
)

OUTPUTS = Table(
    name="outputs",
    event_date="period_end",
    description=(
        "Concrete performance outputs (sản phẩm cụ thể): KPIs with target and achieved, and "
        "products with their quality and timeliness."
    ),
    primary_key=("output_id",),
    person_column="person_id",
    columns=(
        Column("output_id", "string", "Stable identifier of the output."),
        _person_id(),
        Column("period_end", "date", "End of the period the output belongs to.", after_birth=True),
        Column("kind", "category", "kpi or product.", categories=v.OUTPUT_KINDS),
        Column("description", "string", "What was produced.", required=False, nullable=True),
        Column("target", "float", "Target (KPIs).", required=False, nullable=True, min_value=0),
        Column(
            "achieved", "float", "Achieved (KPIs).", required=False, nullable=True, min_value=0
        ),
        Column(
            "quality",
            "float",
            "Quality as judged by the unit (1-5).",
            required=False,
            nullable=True,
            min_value=1,
            max_value=5,
        ),
        Column("on_time", "bool", "Delivered on time.", required=False, nullable=True),
    ),
    rules=(
        RowRule(
            name="kpi_has_target_and_achieved",
            columns=("kind", "target", "achieved"),
            message="a kpi needs target > 0 and achieved",
            violated=_kpi_without_target,
        ),
    ),
)

TRAININGS = Table(
    name="trainings",
    event_date="end_date",
    description=(
        "Training and development: political theory, state management, foreign language, IT, "
        "leadership programmes and professional courses, with level and result."
    ),
    primary_key=("training_id",),
    person_column="person_id",
    columns=(
        Column("training_id", "string", "Stable identifier of the record."),
        _person_id(),
        Column("category", "category", "Kind of training.", categories=v.TRAINING_CATEGORIES),
        Column(
            "level",
            "string",
            "Level reached; allowed values depend on category (political theory: elementary / "
            "intermediate / advanced; state management: specialist / principal_specialist / "
            "senior_specialist; foreign language: CEFR A1-C2; IT: basic / advanced).",
            required=False,
            nullable=True,
        ),
        Column("provider", "string", "Training institution.", required=False, nullable=True),
        Column("start_date", "date", "Start.", required=False, nullable=True, after_birth=True),
        Column(
            "end_date",
            "date",
            "Completion; blank if unknown or ongoing.",
            required=False,
            nullable=True,
            after_birth=True,
        ),
        Column(
            "result",
            "category",
            "Result.",
            required=False,
            nullable=True,
            categories=v.TRAINING_RESULTS,
        ),
        Column(
            "score",
            "float",
            "Score (0-100).",
            required=False,
            nullable=True,
            min_value=0,
            max_value=100,
        ),
        Column(
            "sessions",
            "int",
            "Courses this record covers (aggregated extracts); 1 otherwise.",
            required=False,
            min_value=1,
            default=1,
        ),
    ),
    rules=(
        _end_before_start("start_date", "end_date"),
        RowRule(
            name="level_matches_category",
            columns=("category", "level"),
            message="level is not a valid level for this training category",
            violated=_training_level_mismatch,
        ),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    event_date="assessment_date",
    description=(
        "Standardised input-quality tests for recruits and external candidates, scored 0-100."
    ),
    primary_key=("assessment_id",),
    person_column="person_id",
    columns=(
        Column("assessment_id", "string", "Stable identifier of the sitting."),
        _person_id(),
        Column("assessment_date", "date", "Date taken.", after_birth=True),
        Column("instrument", "category", "Test.", categories=v.ASSESSMENT_INSTRUMENTS),
        Column("score", "float", "Score (0-100).", min_value=0, max_value=100),
        Column("provider", "string", "Who administered it.", required=False, nullable=True),
    ),
)

DISCIPLINES = Table(
    name="disciplines",
    event_date="decision_date",
    description="Disciplinary decisions (kỷ luật) and how long they stay in effect.",
    primary_key=("discipline_id",),
    person_column="person_id",
    columns=(
        Column("discipline_id", "string", "Stable identifier of the decision."),
        _person_id(),
        Column("decision_date", "date", "Date of the decision.", after_birth=True),
        Column("severity", "category", "Form of discipline.", categories=v.DISCIPLINE_SEVERITIES),
        Column(
            "effective_until",
            "date",
            "Last day in effect (may be in the future); blank if open-ended.",
            required=False,
            nullable=True,
            future_allowed=True,
        ),
        Column("description", "string", "Grounds.", required=False, nullable=True),
    ),
    rules=(_end_before_start("decision_date", "effective_until"),),
)

AWARDS = Table(
    name="awards",
    event_date="award_date",
    description="Emulation titles, certificates of merit, medals and orders.",
    primary_key=("award_id",),
    person_column="person_id",
    columns=(
        Column("award_id", "string", "Stable identifier of the award."),
        _person_id(),
        Column("award_date", "date", "Date conferred.", after_birth=True),
        Column("level", "category", "Conferring level.", categories=v.AWARD_LEVELS),
        Column("kind", "category", "Kind of award.", categories=v.AWARD_KINDS),
        Column("description", "string", "Title of the award.", required=False, nullable=True),
    ),
)

# Validation order: every table after the tables its foreign keys point to.
TABLES: tuple[Table, ...] = (
    ORGANIZATIONS,
    PEOPLE,
    POSITIONS,
    ASSIGNMENTS,
    EVALUATIONS,
    CONFIDENCE_VOTES,
    SURVEYS_360,
    OUTPUTS,
    TRAININGS,
    ASSESSMENTS,
    DISCIPLINES,
    AWARDS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
PROTECTED_TABLE = "people_protected"


def get_table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        known = ", ".join(TABLES_BY_NAME)
        raise KeyError(f"no contract table {name!r}; known tables: {known}") from None


def extract_date_range(
    tables: dict[str, pd.DataFrame],
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last dated record of an extract (event dates, hire dates, rating years)."""
    firsts, lasts = [], []
    for name, frame in tables.items():
        column = TABLES_BY_NAME[name].event_date if name in TABLES_BY_NAME else None
        if column is None or column not in frame or not frame[column].notna().any():
            continue
        if TABLES_BY_NAME[name].column(column).kind == "year":
            firsts.append(pd.Timestamp(int(frame[column].min()), 1, 1))
            lasts.append(pd.Timestamp(int(frame[column].max()), 12, 31))
        else:
            values = frame[column]  # pd.to_datetime scans even dated columns: 1 s per 10M
            values = values if values.dtype.kind == "M" else pd.to_datetime(values)
            firsts.append(values.min())
            lasts.append(values.max())
    return (min(firsts), max(lasts)) if firsts else None
