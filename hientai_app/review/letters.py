"""The contestability letter to one person: why they are or are not on the lists, the
evidence, how to develop, and how to ask a person (not the model) to review it; as the
paragraphs both the HTML page and the PDF print."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpdf import FPDF

CONTEST_DAYS = 30  # the period to ask for a review; a setting would be better (see report)

WORDS = {
    "vi": {
        "title": "Thư giải thích kết quả đề xuất",
        "to": "Kính gửi",
        "intro": "Hệ thống hientai đã xem xét hồ sơ của Ông/Bà trong lượt chạy đêm {night} "
        "(mô hình phiên bản {model}). Đây là công cụ hỗ trợ, không phải quyết định: mọi đề xuất "
        "đều do cán bộ có thẩm quyền xem xét.",
        "listed": 'Ông/Bà có tên trong danh sách đề xuất "{title}", xếp thứ {rank} trên {k}.',
        "qualified": 'Ông/Bà thuộc nhóm xét chọn của "{title}" (hạng {rank} theo mô hình) '
        "nhưng chưa có tên trong danh sách {k} người được đề xuất.",
        "none": "Đêm {night}, Ông/Bà không có tên trong danh sách đề xuất nào.",
        "evidence": "Căn cứ",
        "for": "Điểm mạnh",
        "against": "Điểm hạn chế",
        "develop": "Gợi ý phát triển",
        "no_explanation": "Không có giải thích chi tiết vì Ông/Bà không có trong danh sách đề "
        "xuất nào đêm nay.",
        "review": "Đề nghị xem xét lại",
        "how": "Nếu không đồng ý, trong {days} ngày Ông/Bà có thể gửi đề nghị xem xét lại tới "
        "bộ phận tổ chức cán bộ, ghi mã tham chiếu {ref}. Đề nghị sẽ do con người xem xét, "
        "được ghi vào nhật ký kiểm tra và hiển thị trên danh sách liên quan.",
    },
    "en": {
        "title": "Why you are or are not on a shortlist",
        "to": "To",
        "intro": "hientai reviewed your record in the night run of {night} (model version "
        "{model}). It is decision support, never a decision: people with authority review "
        "every recommendation.",
        "listed": 'You are on the shortlist "{title}", ranked {rank} of {k}.',
        "qualified": 'You are in the qualified group of "{title}" (model rank {rank}) but not '
        "among the {k} people shortlisted.",
        "none": "On {night} you are on no shortlist.",
        "evidence": "Evidence",
        "for": "Reasons for",
        "against": "Reasons against",
        "develop": "How to develop",
        "no_explanation": "There is no detailed explanation because you are on no shortlist "
        "tonight.",
        "review": "Asking for a review",
        "how": "If you disagree, within {days} days you can ask your personnel department for a "
        "review, quoting reference {ref}. A person will review it; the request is recorded in "
        "the audit log and shown on the lists concerned.",
    },
}


@dataclass
class Letter:
    lang: str
    title: str
    addressee: str
    paragraphs: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)


def compose(
    *, lang: str, name: str, person_id: str, run: dict[str, Any],
    entries: list[dict[str, Any]], explanation: dict[str, Any] | None,
) -> Letter:  # fmt: skip
    words = WORDS[lang]
    letter = Letter(lang, words["title"], f"{words['to']}: {name} ({person_id})")
    letter.paragraphs.append(words["intro"].format(night=run["night"], model=run["model_version"]))
    for entry in entries:
        pool = entry["pool"]
        if entry["in_shortlist"]:
            text = words["listed"].format(title=pool["title"], rank=entry["rank"], k=pool["k"])
        else:
            text = words["qualified"].format(
                title=pool["title"], rank=entry["rank_model"], k=pool["k"]
            )
        letter.paragraphs.append(text)
    if not entries:
        letter.paragraphs.append(words["none"].format(night=run["night"]))
    letter.sections.extend(_evidence(words, explanation, lang))
    how = words["how"].format(days=CONTEST_DAYS, ref=f"{run['night']}/{person_id}")
    letter.sections.append((words["review"], [how]))
    return letter


def _evidence(
    words: dict[str, str], explanation: dict[str, Any] | None, lang: str
) -> list[tuple[str, list[str]]]:
    if not explanation:
        return [(words["evidence"], [words["no_explanation"]])]

    def texts(key: str) -> list[str]:
        return [str(item.get(f"text_{lang}", "")) for item in explanation[key]]

    return [
        (words["for"], texts("reasons_positive")),
        (words["against"], texts("reasons_negative")),
        (words["develop"], texts("suggestions")),
    ]


def _font_dir() -> Path:
    """DejaVu Sans (covers Vietnamese), as shipped inside matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("the PDF letter needs matplotlib's DejaVu Sans font (pip install it)")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def to_pdf(letter: Letter) -> bytes:
    pdf = FPDF(format="A4")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, letter.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 7, letter.addressee, new_x="LMARGIN", new_y="NEXT")
    for paragraph in letter.paragraphs:
        pdf.ln(2)
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
    for heading, lines in letter.sections:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        for line in lines or ["–"]:
            pdf.multi_cell(0, 6, f"• {line}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
