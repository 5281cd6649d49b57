"""The feature catalog: every feature's meaning, defined once.

Explanations, reason codes, the proxy audit, docs and the review app all read this. Each entry
says, in Vietnamese and English, what the feature measures in one sentence an HR planner can
read; whether higher is better; whether a development plan could change it; and what it might
stand in for (proxy risk), which the proxy audit then measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
DIMENSIONS = {
    "performance": ("Kết quả, sản phẩm cụ thể", "Performance outputs"),
    "ratings": ("Đánh giá, xếp loại hằng năm", "Annual ratings"),
    "collective": ("Kết quả của tập thể", "Collective results"),
    "survey_360": ("Đánh giá đa chiều", "360 surveys"),
    "confidence": ("Tín nhiệm", "Votes of confidence"),
    "development": ("Đào tạo, bồi dưỡng", "Training and development"),
    "assessment": ("Đánh giá năng lực chuẩn hoá", "Standardised assessments"),
    "career": ("Quá trình công tác", "Career"),
    "integrity": ("Liêm chính, kỷ luật", "Integrity and risk"),
    "profile": ("Hồ sơ ứng viên bên ngoài", "External-candidate profile"),
}
Dimension = Literal[
    "performance",
    "ratings",
    "collective",
    "survey_360",
    "confidence",
    "development",
    "assessment",
    "career",
    "integrity",
    "profile",
]


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    dimension: Dimension
    description_vi: str
    description_en: str
    direction: Direction = "higher_is_better"
    actionable: bool = False
    proxy_risk: str = ""
    unit: str = ""


def _f(
    name: str,
    dimension: Dimension,
    vi: str,
    en: str,
    *,
    direction: Direction = "higher_is_better",
    actionable: bool = False,
    proxy_risk: str = "",
    unit: str = "",
) -> FeatureSpec:
    return FeatureSpec(name, dimension, vi, en, direction, actionable, proxy_risk, unit)


LOWER: Direction = "lower_is_better"
NEUTRAL: Direction = "neutral"

# fmt: off
CATALOG: tuple[FeatureSpec, ...] = (
    # 1. performance outputs
    _f("kpi_achievement_3y", "performance",
       "Tỷ lệ hoàn thành chỉ tiêu KPI bình quân 3 năm gần nhất (đạt/kế hoạch).",
       "Average KPI achievement (achieved / target) over the last 3 years.",
       actionable=True, unit="ratio"),
    _f("kpi_achievement_pctile_province", "performance",
       "Thứ hạng phần trăm về hoàn thành KPI 3 năm so với cán bộ cùng tỉnh.",
       "Percentile of 3-year KPI achievement among cadres of the same province.",
       actionable=True, unit="percentile"),
    _f("kpi_achievement_pctile_field", "performance",
       "Thứ hạng phần trăm về hoàn thành KPI 3 năm so với người cùng lĩnh vực chuyên môn.",
       "Percentile of 3-year KPI achievement among people of the same field.",
       actionable=True,
       proxy_risk="Fields differ in gender mix; compared within a field, not across.",
       unit="percentile"),
    _f("output_quality_3y", "performance",
       "Chất lượng sản phẩm bình quân 3 năm (thang 1-5) do đơn vị đánh giá.",
       "Average quality of outputs over 3 years (1-5), as judged by the unit.",
       actionable=True, unit="score 1-5"),
    _f("on_time_share_3y", "performance",
       "Tỷ lệ sản phẩm hoàn thành đúng hạn trong 3 năm.",
       "Share of outputs delivered on time over 3 years.", actionable=True, unit="share"),
    _f("products_per_year_3y", "performance",
       "Số sản phẩm cụ thể bình quân mỗi năm trong 3 năm.",
       "Concrete products delivered per year over 3 years.", actionable=True, unit="per year"),
    # 2. annual ratings
    _f("rating_last", "ratings",
       "Mức xếp loại năm gần nhất (0 = không hoàn thành ... 3 = xuất sắc).",
       "Last annual rating (0 = not completed ... 3 = excellent).",
       proxy_risk="Ratings are inflated and may reflect favouritism.", unit="0-3"),
    _f("rating_score_last", "ratings",
       "Điểm đánh giá năm gần nhất theo thang riêng của cơ quan, quy về 0-1 (điểm / điểm tối "
       "đa): giữ được các mức chi tiết hơn bốn mức xếp loại.",
       "Last annual rating on the employer's own scale, as a share of its top (score / scale "
       "maximum): keeps distinctions finer than the four levels.",
       proxy_risk="Ratings are inflated and may reflect favouritism.", unit="0-1"),
    _f("rating_pctile_field", "ratings",
       "Thứ hạng phần trăm của xếp loại năm gần nhất (theo thang chi tiết nhất có được) so "
       "với người cùng lĩnh vực chuyên môn.",
       "Percentile of the last rating (on the finest scale known) among people of the same "
       "field: fields rate more or less generously.",
       proxy_risk="Fields differ in gender mix; compared within a field, not across.",
       unit="percentile"),
    _f("rating_mean_3y", "ratings",
       "Mức xếp loại bình quân 3 năm gần nhất.", "Average annual rating over 3 years.",
       unit="0-3"),
    _f("rating_mean_5y", "ratings",
       "Mức xếp loại bình quân 5 năm gần nhất.", "Average annual rating over 5 years.",
       unit="0-3"),
    _f("rating_trend_3y", "ratings",
       "Xu hướng xếp loại 3 năm (độ dốc, mức/năm; dương là đang tiến bộ).",
       "Trend of ratings over 3 years (slope per year; positive means improving).",
       unit="levels/year"),
    _f("rating_trend_5y", "ratings",
       "Xu hướng xếp loại 5 năm (độ dốc, mức/năm).", "Trend of ratings over 5 years.",
       unit="levels/year"),
    _f("rating_excellent_count_3y", "ratings",
       "Số năm được xếp loại xuất sắc trong 3 năm gần nhất.",
       "Years rated excellent in the last 3 years.", unit="years"),
    _f("rating_volatility_5y", "ratings",
       "Độ dao động của xếp loại trong 5 năm (độ lệch chuẩn; thấp là ổn định).",
       "Volatility of ratings over 5 years (standard deviation; low means consistent).",
       direction=LOWER, unit="levels"),
    _f("rating_z_org_year_3y", "ratings",
       "Xếp loại so với đồng nghiệp cùng đơn vị, cùng năm (điểm chuẩn hoá, bình quân 3 năm): "
       "'tốt' ở nơi ai cũng 'tốt' thì ít ý nghĩa.",
       "Rating relative to colleagues of the same unit and year (z-score, 3-year mean): "
       "'good' where everyone is 'good' says little.", unit="z"),
    # 3. collective results
    _f("unit_rating_last", "collective",
       "Xếp loại tập thể của đơn vị năm gần nhất.",
       "The unit's collective rating last year.", unit="0-3"),
    _f("unit_rating_mean_3y", "collective",
       "Xếp loại tập thể bình quân 3 năm của đơn vị công tác.",
       "Average collective rating of the person's unit over 3 years.", unit="0-3"),
    _f("rating_vs_unit_3y", "collective",
       "Chênh lệch giữa xếp loại cá nhân và xếp loại tập thể (bình quân 3 năm).",
       "Individual rating minus the unit's collective rating (3-year mean).", unit="levels"),
    # 4. 360 surveys (leniency-corrected, self-ratings excluded)
    *(
        _f(f"survey_{dim}", "survey_360",
           f"Điểm đánh giá đa chiều về {vi} (đã hiệu chỉnh độ dễ dãi của người chấm, "
           "không tính tự đánh giá).",
           f"360 score on {en} (corrected for rater leniency, self-ratings excluded).",
           actionable=dim != "political_ideology", unit="score 1-5")
        for dim, vi, en in (
            ("political_ideology", "tư tưởng chính trị", "political ideology"),
            ("ethics_lifestyle", "đạo đức, lối sống", "ethics and lifestyle"),
            ("work_style", "tác phong, lề lối làm việc", "work style"),
            ("task_performance", "kết quả thực hiện nhiệm vụ", "task performance"),
            ("leadership_capacity", "năng lực lãnh đạo, quản lý", "leadership capacity"),
        )
    ),
    *(
        _f(f"survey_by_{role}", "survey_360",
           f"Điểm đánh giá đa chiều bình quân do {vi} chấm (đã hiệu chỉnh).",
           f"Mean 360 score given by {en} (leniency-corrected).", unit="score 1-5")
        for role, vi, en in (
            ("superior", "cấp trên", "superiors"),
            ("peer", "đồng nghiệp", "peers"),
            ("subordinate", "cấp dưới", "subordinates"),
        )
    ),
    _f("survey_self_gap", "survey_360",
       "Tự đánh giá cao hơn người khác đánh giá bao nhiêu điểm (cao là tự đánh giá quá mức).",
       "How much higher the person rates themselves than others do (high = overrating).",
       direction=LOWER, actionable=True, unit="points"),
    # 5. votes of confidence
    _f("vote_high_share_last", "confidence",
       "Tỷ lệ phiếu tín nhiệm cao ở lần lấy phiếu gần nhất.",
       "Share of 'high confidence' votes at the last vote.",
       proxy_risk="Locality favouritism: locals get more high votes.", unit="share"),
    _f("vote_low_share_last", "confidence",
       "Tỷ lệ phiếu tín nhiệm thấp ở lần lấy phiếu gần nhất.",
       "Share of 'low confidence' votes at the last vote.", direction=LOWER, unit="share"),
    _f("vote_high_share_trend", "confidence",
       "Thay đổi tỷ lệ phiếu tín nhiệm cao so với lần trước.",
       "Change in the 'high' share since the previous vote.", unit="share"),
    # 6. training and development
    _f("political_theory_level", "development",
       "Trình độ lý luận chính trị đã đạt (0 = chưa có, 1 sơ cấp, 2 trung cấp, 3 cao cấp).",
       "Political-theory level reached (0 none, 1 elementary, 2 intermediate, 3 advanced).",
       actionable=True,
       proxy_risk="Access favours Party members: likely proxies Party membership.",
       unit="0-3"),
    _f("state_management_level", "development",
       "Trình độ quản lý nhà nước (0 chưa có, 1 chuyên viên, 2 chuyên viên chính, 3 cao cấp).",
       "State-management level (0 none, 1 specialist, 2 principal, 3 senior).",
       actionable=True, unit="0-3"),
    _f("foreign_language_level", "development",
       "Trình độ ngoại ngữ cao nhất theo khung châu Âu (0 chưa có ... 6 = C2).",
       "Highest foreign-language level on the CEFR scale (0 none ... 6 = C2).",
       actionable=True, proxy_risk="May proxy nationality or overseas background.",
       unit="0-6"),
    _f("it_level", "development",
       "Trình độ tin học (0 chưa có, 1 cơ bản, 2 nâng cao).",
       "IT skills level (0 none, 1 basic, 2 advanced).", actionable=True, unit="0-2"),
    _f("leadership_programmes", "development",
       "Số chương trình bồi dưỡng lãnh đạo, quản lý đã hoàn thành.",
       "Leadership programmes completed.", actionable=True,
       proxy_risk="Places may be allotted to those already favoured.", unit="count"),
    _f("training_courses_5y", "development",
       "Số khoá đào tạo, bồi dưỡng trong 5 năm.", "Training courses taken in 5 years.",
       actionable=True, unit="count"),
    _f("training_score_mean", "development",
       "Điểm kết quả đào tạo bình quân (0-100).", "Average training score (0-100).",
       actionable=True, unit="score"),
    _f("training_score_pctile_field", "development",
       "Thứ hạng phần trăm của điểm đào tạo bình quân so với người cùng lĩnh vực chuyên môn "
       "(mỗi lĩnh vực có khoá học và thang chấm khác nhau).",
       "Percentile of the average training score among people of the same field (fields take "
       "different courses, marked differently).",
       actionable=True,
       proxy_risk="Fields differ in gender mix; compared within a field, not across.",
       unit="percentile"),
    _f("training_score_pctile_province", "development",
       "Thứ hạng phần trăm của điểm đào tạo bình quân so với cán bộ cùng tỉnh.",
       "Percentile of the average training score among people of the same province.",
       actionable=True, unit="percentile"),
    _f("training_fail_count", "development",
       "Số khoá đào tạo không đạt.", "Training courses failed.", direction=LOWER,
       unit="count"),
    # 7. standardised assessments
    _f("assessment_score_mean", "assessment",
       "Điểm bình quân các bài đánh giá năng lực chuẩn hoá (0-100).",
       "Average score on standardised assessments (0-100).", unit="score"),
    _f("assessment_score_max", "assessment",
       "Điểm cao nhất trong các bài đánh giá năng lực chuẩn hoá.",
       "Best score on standardised assessments.", unit="score"),
    _f("assessment_count", "assessment",
       "Số bài đánh giá năng lực chuẩn hoá đã làm.", "Standardised assessments taken.",
       direction=NEUTRAL, unit="count"),
    # 8. career
    _f("tenure_years", "career",
       "Số năm công tác trong khu vực công.", "Years in the public service.",
       proxy_risk="Correlates with age, which is not a feature.", unit="years"),
    _f("time_in_grade_years", "career",
       "Số năm giữ ngạch hiện tại.", "Years in the current grade.", direction=NEUTRAL,
       proxy_risk="Correlates with age.", unit="years"),
    _f("grade_rank", "career",
       "Ngạch hiện tại (0 nhân viên ... 4 chuyên viên cao cấp).",
       "Current grade (0 staff ... 4 senior specialist).", unit="0-4"),
    _f("org_level_rank", "career",
       "Cấp của đơn vị công tác (0 = trung ương; số lớn hơn là cấp dưới).",
       "Level of the current unit (0 = central; larger is lower).", direction=NEUTRAL,
       unit="level"),
    _f("in_leadership", "career",
       "Đang giữ chức vụ lãnh đạo, quản lý.", "Currently holds a leadership post.",
       unit="yes/no"),
    _f("leadership_years", "career",
       "Tổng số năm giữ chức vụ lãnh đạo, quản lý.", "Total years in leadership posts.",
       unit="years"),
    _f("promotions_count", "career",
       "Số lần được đề bạt, bổ nhiệm lên vị trí cao hơn.", "Promotions received.",
       proxy_risk="Past promotions carry past biases.", unit="count"),
    _f("promotion_velocity", "career",
       "Số lần đề bạt trên mỗi 10 năm công tác.", "Promotions per 10 years of service.",
       proxy_risk="Past promotions carry past biases.", unit="per decade"),
    _f("rotations_count", "career",
       "Số lần luân chuyển, điều động.", "Rotations and transfers.", actionable=True,
       unit="count"),
    _f("cross_province_moves", "career",
       "Số lần luân chuyển sang địa phương khác.", "Moves to another province.",
       actionable=True, unit="count"),
    _f("demotions_count", "career",
       "Số lần bị giáng chức, miễn nhiệm.", "Demotions.", direction=LOWER, unit="count"),
    # 9. integrity and risk
    _f("discipline_active", "integrity",
       "Đang trong thời hạn thi hành kỷ luật.", "Under an active disciplinary measure.",
       direction=LOWER, unit="yes/no"),
    _f("disciplines_5y", "integrity",
       "Số quyết định kỷ luật trong 5 năm.", "Disciplinary decisions in 5 years.",
       direction=LOWER, unit="count"),
    _f("discipline_max_severity_5y", "integrity",
       "Mức kỷ luật nặng nhất trong 5 năm (0 không có ... 4 buộc thôi việc).",
       "Most severe discipline in 5 years (0 none ... 4 dismissal).", direction=LOWER,
       unit="0-4"),
    _f("awards_5y", "integrity",
       "Số khen thưởng trong 5 năm.", "Awards in 5 years.",
       proxy_risk="Award nominations may favour Party members.", unit="count"),
    _f("national_awards", "integrity",
       "Số khen thưởng cấp nhà nước.", "National-level awards.", unit="count"),
    # 10. external-candidate profile
    _f("education_rank", "profile",
       "Trình độ học vấn cao nhất (0 THCS ... 6 tiến sĩ).",
       "Highest education (0 lower secondary ... 6 doctorate).", actionable=True, unit="0-6"),
    _f("years_experience", "profile",
       "Số năm kinh nghiệm nghề nghiệp (hồ sơ ứng viên bên ngoài).",
       "Years of professional experience (external candidates' CV).", unit="years"),
    _f("languages_count", "profile",
       "Số ngoại ngữ sử dụng được.", "Foreign languages spoken.", actionable=True,
       proxy_risk="May proxy nationality or overseas background.", unit="count"),
    _f("is_external", "profile",
       "Ứng viên bên ngoài khu vực công (không có quá trình công tác nội bộ).",
       "External candidate (no internal history).", direction=NEUTRAL, unit="yes/no"),
)

# The evidence an external candidate shares with internal recruits, recorded the same way for
# both: standardised assessments (an internal recruit's entrance exams, an external candidate's
# assessment centre), education, foreign languages and national awards. External candidates are
# scored from these alone (models/external_profile.py), so no score rests on what only an
# internal career can show. Years of experience is not here: internal records count tenure,
# not a CV's years, so the two are not the same measurement.
EXTERNAL_SHARED: tuple[str, ...] = (
    "assessment_score_mean",
    "assessment_score_max",
    "assessment_count",
    "education_rank",
    "languages_count",
    "foreign_language_level",
    "national_awards",
)

# Indicators that a dimension had no data for a person (minimal extracts, new hires).
MISSING_INDICATORS: tuple[FeatureSpec, ...] = tuple(
    _f(f"missing_{dim}", dim,  # type: ignore[arg-type]
       f"Không có dữ liệu về: {vi.lower()}.", f"No data on: {en.lower()}.",
       direction=NEUTRAL, unit="yes/no")
    for dim, (vi, en) in DIMENSIONS.items()
    if dim != "profile"
)
FULL_CATALOG: tuple[FeatureSpec, ...] = CATALOG + MISSING_INDICATORS
BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FULL_CATALOG}
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FULL_CATALOG)
