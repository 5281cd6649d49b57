"""Plain-language reason phrases, in Vietnamese and English, for every catalog feature.

A phrase says what the person's value is ("rated excellent in 3 of the last 3 years"), never
whether it helped: that is the sign of the model's contribution, which the explanation reports
beside it. Units follow the feature code: ratios and shares are 0-1 (shown as percentages),
the province KPI percentile is 0-100 (features/performance.py), ratings are levels 0-3, 360
scores are on the 1-5 scale after leniency correction. Vietnamese numbers use a decimal comma.
A missing value reads "no data on <catalog description>". Feature meaning stays in
``features.catalog``; this module only words the values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from features.catalog import BY_NAME, DIMENSIONS, FEATURE_NAMES, FeatureSpec

Lang = Literal["vi", "en"]
Pair = tuple[str, str]  # (vi, en), the order of catalog.DIMENSIONS
UNKNOWN_LANG = "lang must be one of {allowed}, got {lang!r}"
UNKNOWN_FEATURE = "unknown feature {feature!r}: reason phrases exist only for features.catalog"
_LANGS = get_args(Lang)
NO_DATA: Pair = ("không có dữ liệu về {what}", "no data on {what}")


@dataclass(frozen=True)
class Template:
    """One feature's phrases: ``str.format`` templates over the value.

    Fields: {v} the value, {abs} its magnitude, {pct} and {abs_pct} the value x 100, {top}
    100 minus a percentile, {bottom} the percentile, {s} and {pct_s} English plural endings.
    ``zero`` replaces the main phrase when the value is exactly 0 (none, never); ``low`` when
    it is below ``low_below`` (a decline, a bottom percentile). ``levels`` names the integer
    levels 0, 1, 2, ... and replaces the templates; a value outside them reads
    "<description>: <value>". ``no_data`` replaces "no data on <description>" where the
    description is a yes/no statement.
    """

    vi: str = ""
    en: str = ""
    zero: Pair | None = None
    low: Pair | None = None
    low_below: float = 0.0
    levels: tuple[Pair, ...] = ()
    no_data: Pair | None = None
    digits: int = 2


def _signed(up: Pair, down: Pair, same: Pair, *, digits: int = 2) -> Template:
    return Template(*up, zero=same, low=down, digits=digits)


def _count(vi: str, en: str, zero: Pair | None = None) -> Template:
    return Template(vi, en, zero=zero, digits=1)


def _yes_no(yes: Pair, no: Pair, no_data: Pair) -> Template:
    return Template(*yes, zero=no, no_data=no_data)


_RATING_LEVELS: tuple[Pair, ...] = (
    ("không hoàn thành nhiệm vụ", "not completed"),
    ("hoàn thành nhiệm vụ", "completed"),
    ("hoàn thành tốt nhiệm vụ", "good"),
    ("hoàn thành xuất sắc nhiệm vụ", "excellent"),
)


def _rating_levels(vi: str, en: str) -> tuple[Pair, ...]:
    return tuple((vi.format(level=lv), en.format(level=le)) for lv, le in _RATING_LEVELS)


def _survey(vi: str, en: str) -> Template:
    return Template(f"điểm đánh giá đa chiều về {vi} đạt {{v}}/5", f"360 score of {{v}}/5 on {en}")


def _trend(years: int) -> Template:
    return _signed(
        (
            f"xếp loại tiến bộ {{abs}} mức/năm trong {years} năm",
            f"ratings improving by {{abs}} level{{s}} a year over {years} years",
        ),
        (
            f"xếp loại đi xuống {{abs}} mức/năm trong {years} năm",
            f"ratings declining by {{abs}} level{{s}} a year over {years} years",
        ),
        (f"xếp loại ổn định trong {years} năm", f"ratings stable over {years} years"),
    )


def _missing(dimension: str) -> Template:
    vi, en = (name.lower() for name in DIMENSIONS[dimension])
    return _yes_no(
        (f"không có dữ liệu về {vi}", f"no data on {en}"),
        (f"có dữ liệu về {vi}", f"has data on {en}"),
        (f"không rõ có dữ liệu về {vi} hay không", f"unknown whether there is data on {en}"),
    )


# fmt: off
TEMPLATES: dict[str, Template] = {
    # performance outputs
    "kpi_achievement_3y": Template(
        "hoàn thành bình quân {pct}% chỉ tiêu KPI trong 3 năm gần nhất",
        "achieved {pct}% of KPI targets on average over the last 3 years"),
    "kpi_achievement_pctile_province": Template(
        "hoàn thành KPI thuộc nhóm {top}% cao nhất của tỉnh",
        "KPI achievement in the top {top}% of the province",
        low=("hoàn thành KPI thuộc nhóm {bottom}% thấp nhất của tỉnh",
             "KPI achievement in the bottom {bottom}% of the province"), low_below=50.0),
    "kpi_achievement_pctile_field": Template(
        "hoàn thành KPI thuộc nhóm {top}% cao nhất của người cùng lĩnh vực",
        "KPI achievement in the top {top}% of the same field",
        low=("hoàn thành KPI thuộc nhóm {bottom}% thấp nhất của người cùng lĩnh vực",
             "KPI achievement in the bottom {bottom}% of the same field"), low_below=50.0),
    "output_quality_3y": Template(
        "chất lượng sản phẩm bình quân {v}/5 trong 3 năm",
        "outputs rated {v}/5 for quality on average over 3 years"),
    "on_time_share_3y": Template(
        "{pct}% sản phẩm hoàn thành đúng hạn trong 3 năm",
        "{pct}% of outputs delivered on time over 3 years"),
    "products_per_year_3y": Template(
        "bình quân {v} sản phẩm cụ thể mỗi năm trong 3 năm",
        "{v} concrete product{s} a year over the last 3 years"),
    # annual ratings
    "rating_last": Template(levels=_rating_levels(
        "năm gần nhất được xếp loại {level}", "rated '{level}' last year")),
    "rating_score_last": Template(
        "điểm đánh giá năm gần nhất đạt {pct}% thang điểm của cơ quan",
        "last annual rating at {pct}% of the employer's own scale"),
    "rating_pctile_field": Template(
        "xếp loại năm gần nhất thuộc nhóm {top}% cao nhất của người cùng lĩnh vực",
        "Last rating in the top {top}% of the same field",
        low=("xếp loại năm gần nhất thuộc nhóm {bottom}% thấp nhất của người cùng lĩnh vực",
             "Last rating in the bottom {bottom}% of the same field"), low_below=50.0),
    "rating_mean_3y": Template(
        "xếp loại bình quân {v}/3 trong 3 năm gần nhất",
        "average rating of {v}/3 over the last 3 years"),
    "rating_mean_5y": Template(
        "xếp loại bình quân {v}/3 trong 5 năm gần nhất",
        "average rating of {v}/3 over the last 5 years"),
    "rating_trend_3y": _trend(3),
    "rating_trend_5y": _trend(5),
    "rating_excellent_count_3y": Template(
        "được xếp loại xuất sắc {v} trong 3 năm gần nhất",
        "rated excellent in {v} of the last 3 years"),
    "rating_volatility_5y": Template(
        "xếp loại dao động {v} mức (độ lệch chuẩn) trong 5 năm",
        "ratings varied by {v} level{s} (standard deviation) over 5 years",
        zero=("xếp loại không thay đổi trong 5 năm", "the same rating every year for 5 years")),
    "rating_z_org_year_3y": _signed(
        ("xếp loại cao hơn đồng nghiệp cùng đơn vị {abs} độ lệch chuẩn (bình quân 3 năm)",
         "rated {abs} standard deviation{s} above colleagues of the same unit (3-year mean)"),
        ("xếp loại thấp hơn đồng nghiệp cùng đơn vị {abs} độ lệch chuẩn (bình quân 3 năm)",
         "rated {abs} standard deviation{s} below colleagues of the same unit (3-year mean)"),
        ("xếp loại ngang đồng nghiệp cùng đơn vị",
         "rated on a par with colleagues of the same unit"),
    ),
    # collective results
    "unit_rating_last": Template(levels=_rating_levels(
        "đơn vị được xếp loại {level} năm gần nhất", "the unit was rated '{level}' last year")),
    "unit_rating_mean_3y": Template(
        "xếp loại tập thể của đơn vị bình quân {v}/3 trong 3 năm",
        "the unit's collective rating averaged {v}/3 over 3 years"),
    "rating_vs_unit_3y": _signed(
        ("xếp loại cá nhân cao hơn xếp loại tập thể {abs} mức (bình quân 3 năm)",
         "rated {abs} level{s} above the unit's collective rating (3-year mean)"),
        ("xếp loại cá nhân thấp hơn xếp loại tập thể {abs} mức (bình quân 3 năm)",
         "rated {abs} level{s} below the unit's collective rating (3-year mean)"),
        ("xếp loại cá nhân ngang xếp loại tập thể",
         "rated the same as the unit's collective rating"),
    ),
    # 360 surveys
    "survey_political_ideology": _survey("tư tưởng chính trị", "political ideology"),
    "survey_ethics_lifestyle": _survey("đạo đức, lối sống", "ethics and lifestyle"),
    "survey_work_style": _survey("tác phong, lề lối làm việc", "work style"),
    "survey_task_performance": _survey("kết quả thực hiện nhiệm vụ", "task performance"),
    "survey_leadership_capacity": _survey("năng lực lãnh đạo, quản lý", "leadership capacity"),
    "survey_by_superior": Template(
        "cấp trên đánh giá đa chiều bình quân {v}/5", "superiors' mean 360 score of {v}/5"),
    "survey_by_peer": Template(
        "đồng nghiệp đánh giá đa chiều bình quân {v}/5", "peers' mean 360 score of {v}/5"),
    "survey_by_subordinate": Template(
        "cấp dưới đánh giá đa chiều bình quân {v}/5", "subordinates' mean 360 score of {v}/5"),
    "survey_self_gap": _signed(
        ("tự đánh giá cao hơn người khác đánh giá {abs} điểm",
         "rates themselves {abs} point{s} higher than others do"),
        ("tự đánh giá thấp hơn người khác đánh giá {abs} điểm",
         "rates themselves {abs} point{s} lower than others do"),
        ("tự đánh giá đúng như người khác đánh giá", "rates themselves as others do"),
    ),
    # votes of confidence
    "vote_high_share_last": Template(
        "đạt {pct}% phiếu tín nhiệm cao ở lần lấy phiếu gần nhất",
        "{pct}% 'high confidence' votes at the last vote"),
    "vote_low_share_last": Template(
        "có {pct}% phiếu tín nhiệm thấp ở lần lấy phiếu gần nhất",
        "{pct}% 'low confidence' votes at the last vote"),
    "vote_high_share_trend": _signed(
        ("tỷ lệ phiếu tín nhiệm cao tăng {abs_pct} điểm phần trăm so với lần trước",
         "'high confidence' share up {abs_pct} point{pct_s} since the previous vote"),
        ("tỷ lệ phiếu tín nhiệm cao giảm {abs_pct} điểm phần trăm so với lần trước",
         "'high confidence' share down {abs_pct} point{pct_s} since the previous vote"),
        ("tỷ lệ phiếu tín nhiệm cao không đổi so với lần trước",
         "'high confidence' share unchanged since the previous vote"),
    ),
    # training and development
    "political_theory_level": Template(levels=(
        ("chưa có trình độ lý luận chính trị", "no political-theory training"),
        ("lý luận chính trị sơ cấp", "elementary political-theory training"),
        ("lý luận chính trị trung cấp", "intermediate political-theory training"),
        ("lý luận chính trị cao cấp", "advanced political-theory training"),
    )),
    "state_management_level": Template(levels=(
        ("chưa có trình độ quản lý nhà nước", "no state-management training"),
        ("quản lý nhà nước ngạch chuyên viên", "state-management training, specialist level"),
        ("quản lý nhà nước ngạch chuyên viên chính",
         "state-management training, principal-specialist level"),
        ("quản lý nhà nước ngạch chuyên viên cao cấp",
         "state-management training, senior-specialist level"),
    )),
    "foreign_language_level": Template(levels=(
        ("chưa có trình độ ngoại ngữ", "no foreign-language level"),
        *((f"ngoại ngữ trình độ {c} (khung châu Âu)", f"foreign language at CEFR {c}")
          for c in ("A1", "A2", "B1", "B2", "C1", "C2")),
    )),
    "it_level": Template(levels=(
        ("chưa có trình độ tin học", "no IT qualification"),
        ("tin học cơ bản", "basic IT skills"),
        ("tin học nâng cao", "advanced IT skills"),
    )),
    "leadership_programmes": _count(
        "đã hoàn thành {v} chương trình bồi dưỡng lãnh đạo, quản lý",
        "completed {v} leadership programme{s}",
        zero=("chưa hoàn thành chương trình bồi dưỡng lãnh đạo, quản lý nào",
              "no leadership programme completed")),
    "training_courses_5y": _count(
        "{v} khoá đào tạo, bồi dưỡng trong 5 năm", "{v} training course{s} in 5 years",
        zero=("không có khoá đào tạo, bồi dưỡng nào trong 5 năm",
              "no training course in 5 years")),
    "training_score_mean": Template(
        "điểm đào tạo bình quân {v}/100", "average training score of {v}/100", digits=1),
    "training_score_pctile_field": Template(
        "điểm đào tạo thuộc nhóm {top}% cao nhất của người cùng lĩnh vực",
        "Training score in the top {top}% of the same field",
        low=("điểm đào tạo thuộc nhóm {bottom}% thấp nhất của người cùng lĩnh vực",
             "Training score in the bottom {bottom}% of the same field"), low_below=50.0),
    "training_score_pctile_province": Template(
        "điểm đào tạo thuộc nhóm {top}% cao nhất của tỉnh",
        "Training score in the top {top}% of the province",
        low=("điểm đào tạo thuộc nhóm {bottom}% thấp nhất của tỉnh",
             "Training score in the bottom {bottom}% of the province"), low_below=50.0),
    "training_fail_count": _count(
        "{v} khoá đào tạo không đạt", "failed {v} training course{s}",
        zero=("không có khoá đào tạo nào không đạt", "no failed training course")),
    # standardised assessments
    "assessment_score_mean": Template(
        "điểm đánh giá năng lực chuẩn hoá bình quân {v}/100",
        "average standardised-assessment score of {v}/100", digits=1),
    "assessment_score_max": Template(
        "điểm đánh giá năng lực chuẩn hoá cao nhất {v}/100",
        "best standardised-assessment score of {v}/100", digits=1),
    "assessment_count": _count(
        "đã làm {v} bài đánh giá năng lực chuẩn hoá", "took {v} standardised assessment{s}"),
    # career
    "tenure_years": _count(
        "{v} năm công tác trong khu vực công", "{v} year{s} in the public service"),
    "time_in_grade_years": _count(
        "{v} năm giữ ngạch hiện tại", "{v} year{s} in the current grade"),
    "grade_rank": Template(levels=tuple(
        (f"đang giữ ngạch {vi}", f"in the {en} grade") for vi, en in (
            ("nhân viên", "staff"), ("cán sự", "officer"), ("chuyên viên", "specialist"),
            ("chuyên viên chính", "principal specialist"),
            ("chuyên viên cao cấp", "senior specialist")))),
    "org_level_rank": Template(levels=(
        ("công tác ở cấp trung ương", "works at central level"),
        ("công tác ở cấp tỉnh", "works at province level"),
        ("công tác ở cấp xã", "works at commune level"),
    )),
    "in_leadership": _yes_no(
        ("đang giữ chức vụ lãnh đạo, quản lý", "holds a leadership post"),
        ("không giữ chức vụ lãnh đạo, quản lý", "holds no leadership post"),
        ("không có dữ liệu về chức vụ hiện tại", "no data on the current post")),
    "leadership_years": _count(
        "{v} năm giữ chức vụ lãnh đạo, quản lý", "{v} year{s} in leadership posts",
        zero=("chưa từng giữ chức vụ lãnh đạo, quản lý", "never held a leadership post")),
    "promotions_count": _count(
        "được đề bạt, bổ nhiệm {v} lần", "promoted {v} time{s}",
        zero=("chưa được đề bạt, bổ nhiệm lần nào", "never promoted")),
    "promotion_velocity": Template(
        "{v} lần đề bạt mỗi 10 năm công tác", "{v} promotion{s} per 10 years of service"),
    "rotations_count": _count(
        "được luân chuyển, điều động {v} lần", "rotated or transferred {v} time{s}",
        zero=("chưa từng được luân chuyển, điều động", "never rotated or transferred")),
    "cross_province_moves": _count(
        "luân chuyển sang địa phương khác {v} lần", "moved to another province {v} time{s}",
        zero=("chưa từng luân chuyển sang địa phương khác", "never moved to another province")),
    "demotions_count": _count(
        "bị giáng chức, miễn nhiệm {v} lần", "demoted {v} time{s}",
        zero=("chưa từng bị giáng chức, miễn nhiệm", "never demoted")),
    # integrity and risk
    "discipline_active": _yes_no(
        ("đang trong thời hạn thi hành kỷ luật", "under an active disciplinary measure"),
        ("không trong thời hạn thi hành kỷ luật", "no active disciplinary measure"),
        ("không có dữ liệu về kỷ luật", "no data on disciplinary measures")),
    "disciplines_5y": _count(
        "{v} quyết định kỷ luật trong 5 năm", "{v} disciplinary decision{s} in 5 years",
        zero=("không bị kỷ luật trong 5 năm", "no disciplinary decision in 5 years")),
    "discipline_max_severity_5y": Template(levels=(
        ("không bị kỷ luật trong 5 năm", "no discipline in 5 years"),
        *((f"mức kỷ luật nặng nhất trong 5 năm: {vi}", f"most severe discipline in 5 years: {en}")
          for vi, en in (("khiển trách", "reprimand"), ("cảnh cáo", "warning"),
                         ("cách chức", "removal from post"), ("buộc thôi việc", "dismissal"))),
    )),
    "awards_5y": _count(
        "{v} khen thưởng trong 5 năm", "{v} award{s} in 5 years",
        zero=("không có khen thưởng trong 5 năm", "no award in 5 years")),
    "national_awards": _count(
        "{v} khen thưởng cấp nhà nước", "{v} national-level award{s}",
        zero=("chưa có khen thưởng cấp nhà nước", "no national-level award")),
    # external-candidate profile
    "education_rank": Template(levels=tuple(
        (f"trình độ học vấn: {vi}", f"highest education: {en}") for vi, en in (
            ("trung học cơ sở", "lower secondary"), ("trung học phổ thông", "upper secondary"),
            ("trung cấp", "vocational"), ("cao đẳng", "college"), ("đại học", "bachelor's degree"),
            ("thạc sĩ", "master's degree"), ("tiến sĩ", "doctorate")))),
    "years_experience": _count(
        "{v} năm kinh nghiệm nghề nghiệp", "{v} year{s} of professional experience"),
    "languages_count": _count(
        "sử dụng được {v} ngoại ngữ", "speaks {v} foreign language{s}",
        zero=("chưa sử dụng được ngoại ngữ nào", "speaks no foreign language")),
    "is_external": _yes_no(
        ("ứng viên bên ngoài khu vực công", "external candidate"),
        ("cán bộ, công chức trong khu vực công", "internal candidate"),
        ("không có dữ liệu về loại ứng viên", "no data on whether the candidate is external")),
    # indicators that a whole dimension had no data
    **{name: _missing(BY_NAME[name].dimension) for name in FEATURE_NAMES
       if name.startswith("missing_")},
}
# fmt: on


def check_lang(lang: str) -> None:
    if lang not in _LANGS:
        raise ValueError(UNKNOWN_LANG.format(allowed=_LANGS, lang=lang))


def format_number(value: float, *, lang: Lang, digits: int = 2) -> str:
    """At most ``digits`` decimals, trailing zeros dropped; a decimal comma in Vietnamese."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return text.replace(".", ",") if lang == "vi" else text


def description_phrase(feature: str, *, lang: Lang) -> str:
    """The catalog description as a phrase: first sentence, no final stop, lower-case start."""
    check_lang(lang)
    spec = _spec(feature)
    text = spec.description_vi if lang == "vi" else spec.description_en
    text = _SENTENCE_END.split(text)[0].rstrip(".")
    # Keep acronyms ("IT skills level") as written.
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def dimension_names(lang: Lang) -> dict[str, str]:
    """Dimension code -> display name, from ``features.catalog.DIMENSIONS``."""
    check_lang(lang)
    return {code: names[0 if lang == "vi" else 1] for code, names in DIMENSIONS.items()}


def reason_phrase(feature: str, value: float | None, *, lang: Lang) -> str:
    """What ``value`` of ``feature`` means, in plain Vietnamese (``vi``) or English (``en``).

    ``None`` and NaN read as missing data. Raises ``ValueError`` for an unknown language or a
    feature that is not in the catalog.
    """
    check_lang(lang)
    template = TEMPLATES.get(feature)
    if template is None:
        raise ValueError(UNKNOWN_FEATURE.format(feature=feature))
    pick = 0 if lang == "vi" else 1
    if value is None or math.isnan(value):
        if template.no_data is not None:
            return template.no_data[pick]
        return NO_DATA[pick].format(what=description_phrase(feature, lang=lang))
    if template.levels:
        return _level_phrase(feature, template, value, lang=lang)
    if value == 0 and template.zero is not None:
        return template.zero[pick]
    if value < template.low_below and template.low is not None:
        chosen = template.low[pick]
    else:
        chosen = template.vi if lang == "vi" else template.en
    return chosen.format_map(_Fields(value, lang, template.digits))


# The phrase ends at a colon, or at ". " before a capital (not inside "0 none ... 3 advanced").
_SENTENCE_END = re.compile(r": |(?<!\.)\. (?=[A-ZĐÀ-Ỹ])")


def _spec(feature: str) -> FeatureSpec:
    if feature not in BY_NAME:
        raise ValueError(UNKNOWN_FEATURE.format(feature=feature))
    return BY_NAME[feature]


def _level_phrase(feature: str, template: Template, value: float, *, lang: Lang) -> str:
    level = round(value)
    if level == value and 0 <= level < len(template.levels):
        return template.levels[level][0 if lang == "vi" else 1]
    shown = format_number(value, lang=lang, digits=template.digits)
    return f"{description_phrase(feature, lang=lang)}: {shown}"


class _Fields(dict[str, str]):
    """Template fields, each computed only when a template names it (phrases are hot)."""

    def __init__(self, value: float, lang: Lang, digits: int) -> None:
        super().__init__()
        self.value, self.lang, self.digits = value, lang, digits

    def __missing__(self, key: str) -> str:
        return _FIELDS[key](self.value, self.lang, self.digits)


def _whole(value: float, lang: Lang) -> str:
    return format_number(value, lang=lang, digits=0)


_FIELDS: dict[str, Callable[[float, Lang, int], str]] = {
    "v": lambda x, lang, digits: format_number(x, lang=lang, digits=digits),
    "abs": lambda x, lang, digits: format_number(abs(x), lang=lang, digits=digits),
    "pct": lambda x, lang, _: _whole(100 * x, lang),
    "abs_pct": lambda x, lang, _: _whole(100 * abs(x), lang),
    "top": lambda x, lang, _: _whole(max(1.0, round(100 - x)), lang),
    "bottom": lambda x, lang, _: _whole(max(1.0, round(x)), lang),
    "s": lambda x, _lang, _digits: "" if abs(x) == 1 else "s",
    "pct_s": lambda x, _lang, _digits: "" if round(100 * abs(x)) == 1 else "s",
}
