"""Static reference data of the synthetic extract: provinces, groups, names, unit and post names.

Figures are approximate public orders of magnitude (2025 two-tier reform: 34 provinces, 3,321
communes), used only to give the synthetic country a plausible shape. Text is NFC.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def nfc(*texts: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", t) for t in texts)


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    is_city: bool
    communes: int  # communes and wards after the 1 July 2025 reform (approximate)
    population_m: float  # residents, millions (approximate)
    minority_share: float  # share of ethnic minorities among the province's civil servants
    region: str


def _p(
    code: str, name: str, city: bool, communes: int, pop: float, mino: float, region: str
) -> Province:
    return Province(code, nfc(name)[0], city, communes, pop, mino, region)


PROVINCES: tuple[Province, ...] = (
    _p("01", "Hà Nội", True, 126, 8.7, 0.02, "red_river"),
    _p("04", "Cao Bằng", False, 56, 0.57, 0.85, "north_mountains"),
    _p("08", "Tuyên Quang", False, 124, 1.87, 0.55, "north_mountains"),
    _p("11", "Điện Biên", False, 45, 0.65, 0.6, "north_mountains"),
    _p("12", "Lai Châu", False, 38, 0.49, 0.6, "north_mountains"),
    _p("14", "Sơn La", False, 75, 1.3, 0.65, "north_mountains"),
    _p("15", "Lào Cai", False, 99, 1.78, 0.5, "north_mountains"),
    _p("19", "Thái Nguyên", False, 92, 1.8, 0.3, "north_mountains"),
    _p("20", "Lạng Sơn", False, 65, 0.8, 0.75, "north_mountains"),
    _p("22", "Quảng Ninh", False, 54, 1.36, 0.1, "red_river"),
    _p("24", "Bắc Ninh", False, 99, 3.6, 0.05, "red_river"),
    _p("25", "Phú Thọ", False, 148, 4.0, 0.2, "north_mountains"),
    _p("31", "Hải Phòng", True, 114, 4.7, 0.01, "red_river"),
    _p("33", "Hưng Yên", False, 104, 3.6, 0.01, "red_river"),
    _p("37", "Ninh Bình", False, 129, 4.4, 0.03, "red_river"),
    _p("38", "Thanh Hóa", False, 166, 4.3, 0.12, "north_central"),
    _p("40", "Nghệ An", False, 130, 3.8, 0.12, "north_central"),
    _p("42", "Hà Tĩnh", False, 69, 1.6, 0.01, "north_central"),
    _p("44", "Quảng Trị", False, 78, 1.9, 0.05, "north_central"),
    _p("46", "Huế", True, 40, 1.4, 0.03, "north_central"),
    _p("48", "Đà Nẵng", True, 94, 3.1, 0.04, "south_central"),
    _p("51", "Quảng Ngãi", False, 96, 2.2, 0.12, "south_central"),
    _p("52", "Gia Lai", False, 135, 3.6, 0.3, "highlands"),
    _p("56", "Khánh Hòa", False, 65, 2.2, 0.08, "south_central"),
    _p("66", "Đắk Lắk", False, 102, 3.3, 0.25, "highlands"),
    _p("68", "Lâm Đồng", False, 124, 3.9, 0.2, "highlands"),
    _p("75", "Đồng Nai", False, 95, 4.5, 0.05, "southeast"),
    _p("79", "Hồ Chí Minh", True, 168, 14.0, 0.04, "southeast"),
    _p("80", "Tây Ninh", False, 96, 3.3, 0.02, "southeast"),
    _p("82", "Đồng Tháp", False, 102, 4.4, 0.01, "mekong"),
    _p("86", "Vĩnh Long", False, 124, 4.3, 0.08, "mekong"),
    _p("91", "An Giang", False, 102, 4.9, 0.08, "mekong"),
    _p("92", "Cần Thơ", True, 103, 4.2, 0.08, "mekong"),
    _p("96", "Cà Mau", False, 64, 2.6, 0.03, "mekong"),
)
CAPITAL_CODE = "01"

KINH = "Kinh"
# Minority groups most present in each region's civil service, most frequent first.
MINORITIES_BY_REGION: dict[str, tuple[str, ...]] = {
    "north_mountains": nfc("Tày", "Thái", "Nùng", "Mông", "Dao", "Mường", "Sán Chay"),
    "red_river": nfc("Mường", "Tày", "Dao", "Sán Dìu", "Hoa"),
    "north_central": nfc("Mường", "Thái", "Khơ Mú", "Bru - Vân Kiều", "Tày"),
    "south_central": nfc("Cơ Tu", "Hrê", "Xơ Đăng", "Raglai", "Chăm"),
    "highlands": nfc("Gia Rai", "Ê Đê", "Ba Na", "Cơ Ho", "Mnông", "Tày", "Nùng"),
    "southeast": nfc("Hoa", "Khmer", "Xtiêng", "Chơ Ro", "Chăm"),
    "mekong": nfc("Khmer", "Hoa", "Chăm"),
}
RELIGIONS = nfc(
    "Không", "Phật giáo", "Công giáo", "Tin lành", "Cao Đài", "Phật giáo Hòa Hảo"
)  # fmt: skip
RELIGION_SHARES = (0.82, 0.09, 0.06, 0.01, 0.01, 0.01)

SURNAMES = nfc(
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai",
)  # fmt: skip
SURNAME_SHARES = (
    0.36, 0.11, 0.095, 0.07, 0.03, 0.021, 0.045, 0.02, 0.019, 0.021, 0.02, 0.014,
    0.013, 0.013, 0.01, 0.005, 0.008, 0.006, 0.006, 0.008,
)  # fmt: skip
MIDDLE_MALE = nfc("Văn", "Đức", "Hữu", "Minh", "Quang", "Thanh", "Công", "Xuân", "Đình", "Trọng")
MIDDLE_FEMALE = nfc("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Thùy", "Kim", "Bích")
GIVEN_MALE = nfc(
    "An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Hiếu", "Hoàng", "Huy", "Khánh", "Long", "Minh",
    "Nam", "Phong", "Quân", "Sơn", "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Vinh", "Đạt", "Tài",
)  # fmt: skip
GIVEN_FEMALE = nfc(
    "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
    "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Trang", "Thủy", "Vân", "Yến", "Hiền",
)  # fmt: skip
FOREIGN_GIVEN = (
    "John", "Anna", "David", "Maria", "Peter", "Sophie", "Kenji", "Yuki", "Min-jun", "Ji-woo",
    "Thomas", "Emma", "Rahul", "Priya", "Lukas", "Claire",
)  # fmt: skip
FOREIGN_FAMILY = (
    "Smith", "Müller", "Martin", "Tanaka", "Kim", "Park", "Brown", "Dubois", "Sato", "Lee",
    "Wilson", "Schmidt", "Sharma", "Taylor", "Bernard", "Chen",
)  # fmt: skip

FIELDS = nfc(
    "Luật", "Kinh tế", "Hành chính công", "Tài chính - Kế toán", "Công nghệ thông tin",
    "Kỹ thuật - Xây dựng", "Nông nghiệp", "Môi trường", "Y tế", "Giáo dục", "Quan hệ quốc tế",
    "Khoa học xã hội", "Chính trị học", "Ngoại ngữ",
)  # fmt: skip
FIELD_SHARES = (0.16, 0.16, 0.14, 0.12, 0.06, 0.07, 0.07, 0.04, 0.03, 0.04, 0.02, 0.04, 0.03, 0.02)
EXTERNAL_FIELDS = nfc(
    "Trí tuệ nhân tạo", "Khoa học dữ liệu", "Tài chính - Ngân hàng", "Công nghệ sinh học",
    "Năng lượng", "Kinh tế", "Luật quốc tế", "Vi mạch bán dẫn", "Quản trị công", "Y tế công cộng",
)  # fmt: skip
FOREIGN_NATIONALITIES = ("US", "AU", "FR", "DE", "JP", "KR", "CA", "GB", "SG", "IN", "CN", "NL")
FOREIGN_LANGUAGE_OF = {
    "US": "en", "AU": "en", "CA": "en", "GB": "en", "SG": "en", "IN": "en", "FR": "fr",
    "DE": "de", "JP": "ja", "KR": "ko", "CN": "zh", "NL": "nl",
}  # fmt: skip

# Units. Ministries exclude Defence and Public Security, whose staff are not civil servants.
MINISTRIES = nfc(
    "Bộ Nội vụ", "Bộ Tài chính", "Bộ Tư pháp", "Bộ Ngoại giao", "Bộ Công Thương",
    "Bộ Nông nghiệp và Môi trường", "Bộ Xây dựng", "Bộ Văn hóa, Thể thao và Du lịch",
    "Bộ Khoa học và Công nghệ", "Bộ Giáo dục và Đào tạo", "Bộ Y tế", "Bộ Dân tộc và Tôn giáo",
    "Ngân hàng Nhà nước Việt Nam", "Thanh tra Chính phủ", "Văn phòng Chính phủ",
    "Bộ Lao động - Thương binh và Xã hội",
)  # fmt: skip
CENTRAL_DEPARTMENTS = nfc(
    "Vụ Tổ chức cán bộ", "Vụ Pháp chế", "Vụ Kế hoạch - Tài chính", "Vụ Hợp tác quốc tế",
    "Văn phòng Bộ", "Thanh tra Bộ", "Vụ Tổng hợp", "Cục Chuyển đổi số", "Vụ Chính sách",
    "Vụ Thi đua - Khen thưởng", "Cục Quản lý chuyên ngành", "Vụ Khoa học và Công nghệ",
    "Cục Kiểm tra", "Vụ Đổi mới doanh nghiệp",
)  # fmt: skip
PROVINCIAL_DEPARTMENTS = nfc(
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Thanh tra",
    "Văn phòng Ủy ban nhân dân", "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ",
)  # fmt: skip
SUBUNITS = nfc(
    "Văn phòng", "Phòng Tổ chức - Hành chính", "Phòng Kế hoạch - Tài chính", "Phòng Pháp chế",
    "Phòng Nghiệp vụ", "Phòng Tổng hợp", "Phòng Quản lý chuyên ngành", "Chi cục",
)  # fmt: skip
COMMUNE_FIRST = nfc(
    "Tân", "An", "Phú", "Bình", "Hòa", "Long", "Thạnh", "Vĩnh", "Phước", "Đông", "Tây", "Nam",
    "Bắc", "Trung", "Hưng", "Thuận", "Mỹ", "Quang", "Đức", "Xuân", "Thanh", "Hồng", "Kim", "Minh",
    "Đại", "Yên", "Cẩm", "Sơn", "Hải", "Lạc",
)  # fmt: skip
COMMUNE_SECOND = nfc(
    "Phú", "Hòa", "Lợi", "Thành", "Khánh", "Lộc", "Điền", "Hưng", "Tiến", "Thịnh", "Hiệp", "Định",
    "Xuyên", "Sơn", "Lâm", "Phong", "Quang", "Thắng", "Bình", "An", "Hải", "Trạch", "Mỹ", "Tân",
    "Châu", "Ninh", "Đông", "Hà",
)  # fmt: skip

FOREIGN_LANGUAGE_PROVIDERS = nfc("Trung tâm Ngoại ngữ - Tin học", "British Council", "IDP")
POLITICAL_THEORY_PROVIDERS = nfc(
    "Trung tâm Chính trị cơ sở", "Trường Chính trị cấp tỉnh",
    "Học viện Chính trị quốc gia Hồ Chí Minh",
)  # fmt: skip
STATE_MANAGEMENT_PROVIDER = nfc("Học viện Hành chính và Quản trị công")[0]
IT_PROVIDER = FOREIGN_LANGUAGE_PROVIDERS[0]
PROFESSIONAL_PROVIDERS = nfc(
    "Trường Đào tạo, bồi dưỡng cán bộ", "Học viện Hành chính và Quản trị công",
    "Trường Đại học Luật Hà Nội", "Trường Đại học Kinh tế Quốc dân",
)  # fmt: skip
PROFESSIONAL_COURSES = nfc(
    "Bồi dưỡng nghiệp vụ chuyên ngành", "Kỹ năng soạn thảo văn bản", "Chuyển đổi số",
    "Quản lý dự án đầu tư công", "Kỹ năng giao tiếp công vụ",
)  # fmt: skip
LEADERSHIP_PROGRAMMES = nfc(
    "Bồi dưỡng lãnh đạo, quản lý cấp phòng", "Bồi dưỡng lãnh đạo, quản lý cấp sở",
    "Bồi dưỡng cán bộ quy hoạch cấp chiến lược", "Bồi dưỡng lãnh đạo cấp xã",
)  # fmt: skip
ASSESSMENT_PROVIDERS = nfc("Hội đồng tuyển dụng", "Bộ Nội vụ", "Hội đồng đánh giá độc lập")
OUTPUT_DESCRIPTIONS_KPI = nfc(
    "Tỷ lệ hồ sơ giải quyết đúng hạn", "Số văn bản tham mưu được ban hành",
    "Tỷ lệ thủ tục hành chính trực tuyến", "Số cuộc thanh tra, kiểm tra hoàn thành",
    "Tỷ lệ giải ngân vốn đầu tư công",
)  # fmt: skip
OUTPUT_DESCRIPTIONS_PRODUCT = nfc(
    "Đề án", "Báo cáo chuyên đề", "Dự thảo văn bản quy phạm pháp luật", "Kế hoạch triển khai",
    "Sáng kiến cải tiến",
)  # fmt: skip
DISCIPLINE_GROUNDS = nfc(
    "Vi phạm quy chế làm việc", "Vi phạm quy định về quản lý tài chính",
    "Thiếu trách nhiệm trong thực hiện nhiệm vụ", "Vi phạm đạo đức công vụ",
)  # fmt: skip
AWARD_TITLES = nfc(
    "Chiến sĩ thi đua cơ sở",
    "Bằng khen của Bộ trưởng, Chủ tịch Ủy ban nhân dân tỉnh",
    "Huy chương Vì sự nghiệp",
    "Huân chương Lao động hạng Ba",
    "Giải thưởng khoa học công nghệ",
    "Bằng khen của Thủ tướng Chính phủ",
)
