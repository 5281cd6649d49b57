"""Controlled vocabularies of the data contract (allowed category values)."""

from __future__ import annotations

CONTRACT_VERSION = "1.0.0"

POPULATIONS = ("internal", "external")
GENDERS = ("female", "male", "other")
EDUCATION_LEVELS = (
    "lower_secondary",
    "upper_secondary",
    "vocational",
    "college",
    "bachelor",
    "master",
    "doctorate",
)
# Civil-service grades (ngạch), lowest to highest.
GRADES = ("staff", "officer", "specialist", "principal_specialist", "senior_specialist")
EXTERNAL_CATEGORIES = ("expert", "overseas_vietnamese", "foreigner", "private_sector", "academic")
TITLE_CODES = (
    "party_secretary",
    "deputy_party_secretary",
    "committee_chair",
    "committee_vice_chair",
    "council_chair",
    "minister",
    "deputy_minister",
    "director",
    "deputy_director",
    "head",
    "deputy_head",
    "other",
)
POSITION_KINDS = ("leadership_post", "planning_slot")
CANDIDATE_SCOPES = ("org_subtree", "province", "national", "external_allowed")
POLITICAL_THEORY_LEVELS = ("elementary", "intermediate", "advanced")
STATE_MANAGEMENT_LEVELS = ("specialist", "principal_specialist", "senior_specialist")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
IT_LEVELS = ("basic", "advanced")
START_REASONS = ("recruitment", "appointment", "promotion", "rotation", "transfer", "demotion")
END_REASONS = (
    "promotion",
    "rotation",
    "transfer",
    "demotion",
    "resignation",
    "dismissal",
    "retirement",
    "end_of_term",
)
RATINGS = ("excellent", "good", "completed", "not_completed")
VOTING_BODIES = ("party_committee", "peoples_council", "national_assembly", "unit_collective")
RATER_ROLES = ("superior", "peer", "subordinate", "self", "citizen")
SURVEY_DIMENSIONS = (
    "political_ideology",
    "ethics_lifestyle",
    "work_style",
    "task_performance",
    "leadership_capacity",
)
OUTPUT_KINDS = ("kpi", "product")
TRAINING_CATEGORIES = (
    "political_theory",
    "state_management",
    "foreign_language",
    "it",
    "leadership_programme",
    "professional",
)
TRAINING_LEVELS_BY_CATEGORY: dict[str, tuple[str, ...] | None] = {
    "political_theory": POLITICAL_THEORY_LEVELS,
    "state_management": STATE_MANAGEMENT_LEVELS,
    "foreign_language": CEFR_LEVELS,
    "it": IT_LEVELS,
    "leadership_programme": None,  # free text: programme name or cohort
    "professional": None,
}
TRAINING_RESULTS = ("excellent", "good", "pass", "fail", "in_progress")
ASSESSMENT_INSTRUMENTS = (
    "cognitive",
    "domain_knowledge",
    "language",
    "situational_judgement",
    "structured_interview",
    "leadership_assessment",
)
DISCIPLINE_SEVERITIES = ("reprimand", "warning", "removal_from_post", "dismissal")
AWARD_LEVELS = ("unit", "ministry_province", "national")
AWARD_KINDS = ("emulation_title", "merit_certificate", "medal", "order", "other")

# "en:B2;fr" : ISO 639-1 codes, each optionally with a CEFR level.
LANGUAGES_PATTERN = r"^[a-z]{2}(:(A1|A2|B1|B2|C1|C2))?(;[a-z]{2}(:(A1|A2|B1|B2|C1|C2))?)*$"
NATIONALITY_PATTERN = r"^[A-Z]{2}$"
