"""The interface's words in Vietnamese (the default) and English. A missing key is a bug and
fails loudly (the page tests render every page in both languages)."""

from __future__ import annotations

from collections.abc import Callable

from hientai_app.review import decisions

LANGUAGES = ("vi", "en")

# key: (Vietnamese, English)
TEXT: dict[str, tuple[str, str]] = {
    "decision_support": (
        "Công cụ hỗ trợ ra quyết định, không phải quyết định: mọi đề xuất đều kèm lý do và "
        "bối cảnh công bằng; người có thẩm quyền quyết định.",
        "Decision support, never a decision: every recommendation carries its reasons and its "
        "fairness context; people decide.",
    ),
    "signin": ("Đăng nhập", "Sign in"),
    "signout": ("Đăng xuất", "Sign out"),
    "signin_failed": (
        "Sai tên đăng nhập hoặc mật khẩu, hoặc đã thử quá nhiều lần: hãy đợi rồi thử lại.",
        "Wrong username or password, or too many attempts: wait and try again.",
    ),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "nav_shortlists": ("Danh sách đề xuất", "Shortlists"),
    "nav_warnings": ("Cảnh báo sớm", "Early warnings"),
    "nav_runs": ("Các lượt chạy", "Runs"),
    "nav_audit": ("Nhật ký kiểm tra", "Audit log"),
    "role_planner": ("cán bộ quy hoạch", "planner"),
    "role_data_scientist": ("chuyên viên dữ liệu", "data scientist"),
    "role_auditor": ("kiểm tra viên", "auditor"),
    "role_admin": ("quản trị", "admin"),
    "not_found": ("Không tìm thấy", "Not found"),
    "not_found_text": (
        "Trang này không tồn tại hoặc nằm ngoài quyền truy cập của bạn.",
        "This page does not exist or is outside what you may see.",
    ),
    "csrf_title": ("Biểu mẫu đã hết hạn", "The form has expired"),
    "csrf_text": (
        "Biểu mẫu không mang mã bảo vệ của phiên này. Hãy tải lại trang và gửi lại.",
        "The form did not carry this session's protection token. "
        "Reload the page and submit again.",
    ),
    "invalid_title": ("Dữ liệu gửi lên không hợp lệ", "The submitted data is not valid"),
    "shortlists_title": ("Danh sách đề xuất của đêm", "Shortlists of the night"),
    "model_version": ("phiên bản mô hình", "model version"),
    "snapshot": ("ảnh dữ liệu", "snapshot"),
    "lists_shown": ("danh sách", "lists"),
    "night": ("Đêm", "Night"),
    "organisation": ("Cơ quan, đơn vị", "Organisation"),
    "level": ("Cấp", "Level"),
    "all": ("Tất cả", "All"),
    "pool_kind": ("Loại", "Kind"),
    "kind_leadership_post": ("chức danh lãnh đạo", "leadership post"),
    "kind_planning_slot": ("quy hoạch", "planning slot"),
    "kind_standing": ("nguồn thường trực", "standing pool"),
    "fairness": ("Công bằng", "Fairness"),
    "verdict_pass": ("đạt", "pass"),
    "verdict_warn": ("cần lưu ý", "warn"),
    "verdict_fail": ("không đạt", "fail"),
    "verdict_info": ("không đánh giá", "not assessed"),
    "decision_state": ("Tình trạng xem xét", "Review state"),
    "state_undecided": ("chưa xem xét", "not started"),
    "state_in_progress": ("đang xem xét", "in progress"),
    "state_decided": ("đã xem xét hết", "all decided"),
    "filter": ("Lọc", "Filter"),
    "pool": ("Danh sách", "List"),
    "pools": ("Danh sách", "Lists"),
    "eligible": ("Đủ điều kiện", "Eligible"),
    "qualified": ("Nhóm xét chọn", "Qualified"),
    "shortlisted": ("Được đề xuất", "Shortlisted"),
    "national": ("Toàn quốc", "National"),
    "no_lists": ("Không có danh sách nào khớp.", "No list matches."),
    "page": ("Trang", "Page"),
    "policy": ("chính sách xếp hạng", "ranking policy"),
    "blind_note": (
        "Xem xét ẩn danh: tên được ẩn cho đến khi bạn ghi nhận đánh giá đầu tiên về danh sách "
        "này. Các thuộc tính được bảo vệ không bao giờ hiển thị ở đây.",
        "Blind-first review: names are hidden until you record a first assessment of this list. "
        "Protected attributes are never shown here.",
    ),
    "fairness_fail_note": (
        "Danh sách này không đạt kiểm tra công bằng: mọi quyết định cần ghi rõ lý do.",
        "This list fails its fairness check: every decision needs a written reason.",
    ),
    "candidate": ("Ứng viên", "Candidate"),
    "score": ("Điểm", "Score"),
    "percentile": ("Bách phân vị", "Percentile"),
    "reasons": ("Lý do chính", "Top reasons"),
    "flags": ("Ghi chú", "Flags"),
    "latest_decision": ("Quyết định gần nhất", "Latest decision"),
    "decide": ("Quyết định", "Decide"),
    "model_rank": ("hạng theo mô hình", "model rank"),
    "qualified_only": ("ngoài danh sách", "not listed"),
    "external": ("bên ngoài", "external"),
    "moved": ("đã điều chỉnh thứ hạng", "re-ranked"),
    "early_warning": ("cảnh báo sớm", "early warning"),
    "decision_nominate": ("Đưa vào quy hoạch", "Nominate to planning"),
    "decision_not_now": ("Chưa xem xét lúc này", "Not now"),
    "decision_needs_info": ("Cần thêm thông tin", "Needs more information"),
    "ready_now": ("sẵn sàng ngay", "ready now"),
    "ready_1_2_years": ("sẵn sàng sau 1-2 năm", "ready in 1-2 years"),
    "ready_later": ("sẵn sàng sau này", "ready later"),
    "readiness": ("Mức sẵn sàng", "Readiness"),
    "reason": ("Lý do", "Reason"),
    "record": ("Ghi nhận", "Record"),
    "none_yet": ("chưa có", "none yet"),
    "nobody_eligible": ("Không ai đủ điều kiện đêm nay.", "Nobody is eligible tonight."),
    "fairness_panel": ("Công bằng: tỷ lệ tác động", "Fairness: impact ratios"),
    "attribute": ("Thuộc tính", "Attribute"),
    "group": ("Nhóm", "Group"),
    "metric": ("Chỉ số", "Metric"),
    "value": ("Giá trị", "Value"),
    "interval": ("Khoảng tin cậy", "Interval"),
    "verdict": ("Kết luận", "Verdict"),
    "note": ("Ghi chú", "Note"),
    "no_fairness_rows": ("Không có chỉ số.", "No measures."),
    "fairness_help": (
        "Tỷ lệ tác động dưới 0,8 vi phạm quy tắc bốn phần năm; "
        "* nhóm nhỏ, kết quả không chắc chắn.",
        "An impact ratio below 0.8 breaks the four-fifths rule; * small group, uncertain result.",
    ),
    "diff_title": ("Thay đổi so với đêm trước", "Changes since the previous night"),
    "change": ("Thay đổi", "Change"),
    "change_entered": ("vào danh sách", "entered"),
    "change_left": ("ra khỏi danh sách", "left"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "why": ("Vì sao", "Why"),
    "no_changes": ("Không có thay đổi.", "No changes."),
    "rules": ("Tiêu chuẩn, điều kiện của danh sách", "Rules of this list"),
    "blind_person_note": (
        "Tên được ẩn cho đến khi bạn đánh giá một danh sách có người này.",
        "The name is hidden until you have assessed a list this person is on.",
    ),
    "protected_title": ("Thuộc tính được bảo vệ", "Protected attributes"),
    "protected_logged": (
        "Lần xem này đã được ghi vào nhật ký kiểm tra.",
        "This reveal has been recorded in the audit log.",
    ),
    "reveal_reason": ("Lý do cần xem", "Why you need to see them"),
    "reveal": ("Hiện thuộc tính được bảo vệ", "Reveal protected attributes"),
    "attr_birth_date": ("Ngày sinh", "Birth date"),
    "attr_gender": ("Giới tính", "Gender"),
    "attr_ethnicity": ("Dân tộc", "Ethnicity"),
    "attr_religion": ("Tôn giáo", "Religion"),
    "attr_nationality": ("Quốc tịch", "Nationality"),
    "attr_party_member": ("Đảng viên", "Party member"),
    "attr_party_join_date": ("Ngày vào Đảng", "Party join date"),
    "attr_hometown_province": ("Quê quán", "Hometown province"),
    "on_lists": ("Có mặt trong các danh sách", "On these lists"),
    "eligibility": ("Điều kiện", "Eligibility"),
    "all_rules_met": ("đáp ứng mọi tiêu chuẩn", "meets every rule"),
    "on_no_list": ("Không có trong danh sách nào bạn được xem.", "On no list you may see."),
    "why_score": ("Vì sao có điểm này", "Why this score"),
    "base_value": ("giá trị gốc", "base value"),
    "raw_score": ("điểm thô", "raw score"),
    "by_dimension": ("Đóng góp theo nhóm tiêu chí (SHAP)", "Contributions by dimension (SHAP)"),
    "reasons_for": ("Điểm mạnh", "Reasons for"),
    "reasons_against": ("Điểm hạn chế", "Reasons against"),
    "suggestions": ("Gợi ý phát triển", "Development suggestions"),
    "no_suggestions": ("Không có gợi ý.", "No suggestion."),
    "contributions": ("Đóng góp chi tiết", "Detailed contributions"),
    "no_explanation": (
        "Người này không có trong danh sách đề xuất nào đêm nay nên không có giải thích.",
        "This person is on no shortlist tonight, so there is no explanation.",
    ),
    "history": ("Quá trình", "History"),
    "history_ratings": ("Xếp loại hằng năm", "Annual ratings"),
    "history_votes": ("Lấy phiếu tín nhiệm", "Confidence votes"),
    "history_outputs": ("Kết quả thực hiện nhiệm vụ", "Performance outputs"),
    "no_records": ("Không có bản ghi.", "No records."),
    "no_warning": ("Không có cảnh báo.", "No warning."),
    "severity_high": ("cao", "high"),
    "severity_medium": ("trung bình", "medium"),
    "decisions": ("Các quyết định", "Decisions"),
    "decision": ("Quyết định", "Decision"),
    "when": ("Thời điểm", "When"),
    "by": ("Người thực hiện", "By"),
    "chain_ok": ("Chuỗi nhật ký nguyên vẹn, số bản ghi", "Chain intact, records"),
    "chain_broken": ("Chuỗi nhật ký bị phá vỡ", "The chain is broken"),
    "head": ("mã đầu chuỗi", "head"),
    "action": ("Hành động", "Action"),
    "object": ("Đối tượng", "Object"),
    "detail": ("Chi tiết", "Detail"),
    "older": ("Cũ hơn", "Older"),
    "fairness_fail_count": ("Không đạt công bằng", "Fairness fail"),
    "fairness_warn_count": ("Lưu ý công bằng", "Fairness warn"),
    "published_at": ("Công bố lúc", "Published at"),
    "no_runs": ("Chưa có lượt chạy nào được công bố.", "No run published yet."),
    "run_fairness": ("Công bằng của cả lượt chạy", "Whole-run fairness"),
    "person": ("Người", "Person"),
    "person_id": ("Mã người", "Person id"),
    "post": ("Chức vụ", "Post"),
    "severity": ("Mức độ", "Severity"),
    "evidence": ("Bằng chứng", "Evidence"),
    "nav_ninebox": ("Lưới 9 ô", "9-box grid"),
    "nav_bench": ("Nguồn kế cận", "Bench strength"),
    "my_scope": ("Phạm vi của tôi", "My scope"),
    "ninebox_help": (
        "Hiệu quả: xếp loại năm gần nhất trước đêm (hoàn thành/không hoàn thành: thấp, tốt: "
        "trung bình, xuất sắc: cao). Tiềm năng: điểm của mô hình đêm nay, chia theo ba phần "
        "bằng nhau của mọi người được chấm. Mỗi ô mở danh sách người trong ô.",
        "Performance: the latest annual rating before the night (completed / not completed: low, "
        "good: medium, excellent: high). Potential: tonight's model score, cut at the tertiles "
        "of everyone scored. Each cell opens its people.",
    ),
    "no_scores": (
        "Không tìm thấy tệp điểm của lượt chạy này trong thư mục dữ liệu.",
        "This run's scores file is not in the data folder.",
    ),
    "people_scored": ("người được chấm điểm", "people scored"),
    "not_rated": ("chưa có xếp loại", "not rated"),
    "potential": ("Tiềm năng", "Potential"),
    "performance": ("Hiệu quả", "Performance"),
    "level_0": ("thấp", "low"),
    "level_1": ("trung bình", "medium"),
    "level_2": ("cao", "high"),
    "cell_people": ("Người trong ô", "People in this cell"),
    "units_below": ("Đơn vị trực thuộc", "Units below"),
    "bench_help": (
        "Mỗi người trong danh sách đề xuất được tính một lần: theo quyết định gần nhất của cán "
        "bộ quy hoạch nếu đã có, nếu chưa thì theo mức sẵn sàng mô hình đề xuất. Trong mỗi ô: "
        "tổng (số đã quyết định + số đề xuất).",
        "Each person on the shortlist counts once: by planners' latest decision when there is "
        "one, else by the readiness the model proposes. In each cell: total (decided + "
        "proposed).",
    ),
    "bench_sources": (
        "Trên trang này: {decided} số đếm theo quyết định của cán bộ quy hoạch, {proposed} theo "
        "đề xuất của mô hình.",
        "On this page: {decided} counts from planners' decisions, {proposed} from the model's "
        "proposal.",
    ),
    "proposed": ("đề xuất", "proposed"),
    "decided": ("đã quyết định", "decided"),
    "from_decisions": ("Theo quyết định", "From decisions"),
    "from_proposals": ("Theo đề xuất", "From proposals"),
    "contested": ("đã đề nghị xem xét lại", "contested"),
    "letter": ("Thư giải thích", "Explanation letter"),
    "contest_title": ("Ghi nhận đề nghị xem xét lại", "Record a request for review"),
    "contest_text": ("Nội dung đề nghị", "What the person asks"),
    "contest_record": ("Ghi nhận", "Record"),
    # English is the constant the decision module raises with; one place for each message.
    "err_bad_decision": ("quyết định phải là một trong: {allowed}", decisions.BAD_DECISION),
    "err_needs_readiness": (
        "đưa vào quy hoạch cần chọn mức sẵn sàng: {allowed}",
        decisions.NEEDS_READINESS,
    ),
    "err_no_readiness": ("mức sẵn sàng chỉ dùng khi đưa vào quy hoạch", decisions.NO_READINESS),
    "err_long_reason": ("lý do dài quá {n} ký tự", decisions.LONG_REASON),
    "err_reason_fairness": (
        "cần ghi rõ lý do: danh sách này không đạt kiểm tra công bằng",
        decisions.REASON_FAIRNESS,
    ),
    "err_reason_passed_over": (
        "cần ghi rõ lý do: {person} xếp sau {others}, người đã được quyết định chưa xem xét",
        decisions.REASON_PASSED_OVER,
    ),
    "trends": ("Xu hướng qua các đêm", "Trends over nights"),
    "mean_score": ("Điểm trung bình của người được đề xuất", "Mean score of the shortlisted"),
    "min_impact_ratio": ("Tỷ lệ tác động thấp nhất (cả lượt)", "Lowest impact ratio (whole run)"),
    "eligibility_title": (
        "Điều kiện, tiêu chuẩn theo từng danh sách",
        "Eligibility, rule by rule",
    ),
    "check_any_list": ("Kiểm tra với một danh sách khác", "Check against any list"),
    "check": ("Kiểm tra", "Check"),
    "eligibility_unavailable": (
        "Không kiểm tra được với dữ liệu của đêm này",
        "Cannot be checked with this night's data",
    ),
    "eligible_yes": ("Đủ điều kiện", "Eligible"),
    "eligible_no": ("Chưa đủ điều kiện", "Not eligible"),
    "rank": ("hạng", "rank"),
    "cutoff": ("điểm thấp nhất trong danh sách", "lowest score on the list"),
    "rule": ("Tiêu chuẩn", "Rule"),
    "met": ("Đáp ứng", "Met"),
    "export": ("Xuất danh sách kèm lý do", "Export with reasons"),
    "no_warnings": ("Không có cảnh báo sớm.", "No early warning."),
}


def translator(lang: str) -> Callable[[str], str]:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: choose one of {LANGUAGES}")
    index = LANGUAGES.index(lang)

    def t(key: str) -> str:
        return TEXT[key][index]

    return t
