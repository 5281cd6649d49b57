"""What `hientai mapping suggest` recognises: column names and values, as normalised text.

Names and values are compared after ``normalise``: accents dropped, camelCase split, every run
of other characters one underscore, lower case ("EmployeeNumber" -> "employee_number",
"Ngày sinh" -> "ngay_sinh"). These are guesses for a starting mapping, never rules of the
contract: the contract's own vocabularies are in ``hientai.contract.vocab``.
"""

from __future__ import annotations

import re
import unicodedata

# fmt: off
# Column names -> what they hold. Each entry: a role of the suggestion and its names.
NAMES: dict[str, tuple[str, ...]] = {
    "person_id": (
        "person_id", "employee_id", "emp_id", "employee_number", "employee_no", "emp_no",
        "emp_number", "staff_id", "staff_number", "personnel_number", "empid", "ma_can_bo",
        "ma_nhan_vien", "ma_cb", "ma_nv", "id",
    ),
    "full_name": ("full_name", "name", "employee_name", "emp_name", "ho_ten", "ho_va_ten"),
    "gender": ("gender", "sex", "gioi_tinh"),
    "birth_date": (
        "birth_date", "date_of_birth", "dob", "birthdate", "birthday", "ngay_sinh",
        "birth", "born",
    ),
    "age": ("age", "tuoi", "age_years"),
    "ethnicity": ("ethnicity", "race", "race_desc", "ethnic_group", "dan_toc"),
    "religion": ("religion", "ton_giao"),
    "nationality": ("nationality", "citizenship", "citizen_desc", "country", "quoc_tich"),
    "party_member": ("party_member", "party", "party_membership", "dang_vien"),
    "hometown_province": ("hometown", "hometown_province", "home_province", "que_quan"),
    "education_level": (
        "education", "education_level", "degree", "highest_degree", "qualification",
        "trinh_do", "trinh_do_hoc_van",
    ),
    "field": (
        "field", "education_field", "field_of_study", "major", "specialisation",
        "specialization", "chuyen_nganh",
    ),
    "languages": ("languages", "language", "ngoai_ngu"),
    "hire_date": (
        "hire_date", "date_of_hire", "dateof_hire", "doh", "join_date", "joining_date",
        "date_joined", "start_date", "employment_date", "ngay_tuyen_dung",
    ),
    "service_years": (
        "length_of_service", "years_at_company", "years_of_service", "service_years",
        "tenure", "tenure_years", "seniority", "tham_nien",
    ),
    "experience_years": (
        "total_working_years", "years_experience", "years_of_experience", "experience",
        "work_experience",
    ),
    "recruitment_channel": (
        "recruitment_channel", "recruitment_source", "source_of_hire", "hiring_source",
    ),
    "unit": (
        "unit", "org", "org_unit", "organization", "organisation", "division", "department",
        "dept", "branch", "office", "region", "don_vi", "phong_ban",
    ),
    "title": ("job_role", "position", "title", "job_title", "designation", "role", "chuc_vu"),
    "grade": ("job_level", "grade", "level", "pay_grade", "ngach"),
    "rating": (
        "rating", "performance_rating", "previous_year_rating", "performance_score",
        "perf_rating", "appraisal", "appraisal_rating", "xep_loai",
    ),
    "year": ("year", "nam", "review_year", "rating_year", "appraisal_year", "nam_danh_gia"),
    "review_date": ("last_performance_review_date", "review_date", "appraisal_date"),
    "training_count": (
        "no_of_trainings", "number_of_trainings", "trainings", "training_times_last_year",
        "training_count",
    ),
    "training_score": ("avg_training_score", "training_score"),
    "awards": ("awards_won", "award", "awards", "won_award"),
    "kpi_met": ("kpis_met_greaterthan_80percent", "kpis_met", "kpi_met", "kpi"),
    "role_years": ("years_in_current_role", "years_in_role", "time_in_role"),
    "promotion_years": ("years_since_last_promotion",),
    "outcome": (
        "is_promoted", "promoted", "attrition", "termd", "terminated", "left", "churn",
        "resigned", "date_of_termination", "dateof_termination", "term_reason",
        "employment_status",
    ),
}
# Order in which a unit column is preferred when several are present.
UNIT_PREFERENCE = NAMES["unit"]

# Contract category values -> how extracts write them.
GENDER_VALUES = {
    "male": ("m", "male", "man", "men", "nam", "boy"),
    "female": ("f", "female", "woman", "women", "nu", "girl"),
    "other": ("other", "x", "non_binary", "nonbinary", "diverse"),
}
EDUCATION_VALUES = {
    "lower_secondary": ("lower_secondary", "below_secondary", "middle_school", "thcs"),
    "upper_secondary": ("upper_secondary", "high_school", "secondary", "thpt", "below_college"),
    "vocational": ("vocational", "trade_school", "trung_cap", "technical"),
    "college": ("college", "associate", "associates", "some_college", "cao_dang"),
    "bachelor": (
        "bachelor", "bachelors", "bachelor_s", "ba", "bs", "bsc", "undergraduate", "dai_hoc",
    ),
    "master": ("master", "masters", "master_s", "msc", "ma", "mba", "postgraduate", "thac_si"),
    "doctorate": ("doctor", "doctorate", "phd", "ph_d", "tien_si"),
}
RATING_VALUES = {
    "excellent": (
        "excellent", "outstanding", "exceeds", "exceeds_expectations", "exceptional",
        "xuat_sac", "hoan_thanh_xuat_sac_nhiem_vu",
    ),
    "good": ("good", "fully_meets", "meets", "meets_expectations", "tot", "hoan_thanh_tot"),
    "completed": (
        "completed", "needs_improvement", "satisfactory", "fair", "average", "hoan_thanh",
        "hoan_thanh_nhiem_vu",
    ),
    "not_completed": (
        "not_completed", "pip", "unsatisfactory", "poor", "fails", "does_not_meet",
        "khong_hoan_thanh", "khong_hoan_thanh_nhiem_vu",
    ),
}
GRADE_VALUES = {
    "staff": ("staff", "nhan_vien", "can_su"),
    "officer": ("officer", "chuyen_vien_cao_dang"),
    "specialist": ("specialist", "chuyen_vien"),
    "principal_specialist": ("principal_specialist", "chuyen_vien_chinh"),
    "senior_specialist": ("senior_specialist", "chuyen_vien_cao_cap"),
}
COUNTRY_CODES = {
    "vietnam": "VN", "viet_nam": "VN", "vietnamese": "VN", "vn": "VN",
    "united_states": "US", "usa": "US", "us": "US", "american": "US",
    "united_kingdom": "GB", "uk": "GB", "british": "GB",
    "china": "CN", "chinese": "CN", "japan": "JP", "japanese": "JP",
    "korea": "KR", "south_korea": "KR", "korean": "KR", "france": "FR", "french": "FR",
    "germany": "DE", "german": "DE", "india": "IN", "indian": "IN",
    "laos": "LA", "lao": "LA", "cambodia": "KH", "cambodian": "KH",
    "thailand": "TH", "thai": "TH", "singapore": "SG", "australia": "AU",
    "canada": "CA", "canadian": "CA",
}
# fmt: on


def normalise(text: str) -> str:
    """Comparable form of a column name or value: "EmployeeNumber" -> "employee_number"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def match_value(value: str, vocabulary: dict[str, tuple[str, ...]]) -> str | None:
    """The contract value a source value names: exact, else the longest name it begins with."""
    key = normalise(value)
    for target, names in vocabulary.items():
        if key in names:
            return target
    prefixes = [
        (len(n), t) for t, names in vocabulary.items() for n in names if key.startswith(n + "_")
    ]
    return max(prefixes)[1] if prefixes else None


def role_of(name: str) -> str | None:
    """What a column name says it holds (a key of ``NAMES``), or None."""
    key = normalise(name)
    for role, names in NAMES.items():
        if key in names:
            return role
    return None
