"""Bytes of a text file to text: byte-order marks, the Windows-1258 fallback, NUL bytes.

Excel's "CSV UTF-8" starts with a UTF-8 byte-order mark and its "Unicode text" is UTF-16 with
one; both are read. Text with no mark is UTF-8, else Windows-1258 (still common for Vietnamese
exports), else the error names the encodings tried and the setting that picks another. NUL
bytes (left by some database exports) are removed and counted, since they are never part of a
name or a code and the C parser would cut a cell at the first one.
"""

from __future__ import annotations

import codecs

from hientai.ingest.errors import (
    BAD_ENCODING,
    LOOKS_UTF16,
    NUL_REMOVED,
    UNDECODABLE,
    IngestError,
)

FALLBACK_ENCODING = "cp1258"  # Windows-1258
# Longest marks first: a UTF-32 LE mark begins with the UTF-16 LE one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
MARK_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}


def decode_text(raw: bytes, file: str, encoding: str | None) -> tuple[str, list[str]]:
    """The text of ``raw`` (the bytes of ``file``) and notes on how it was read."""
    if encoding:
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise IngestError(BAD_ENCODING.format(file=file, encoding=encoding, why=exc)) from None
        return remove_nul(text, file)
    for mark, name in BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            try:
                text = raw.decode(name)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    BAD_ENCODING.format(
                        file=file, encoding=f"{MARK_NAMES[name]} (its byte-order mark)", why=exc
                    )
                ) from None
            return remove_nul(text.removeprefix("\ufeff"), file)
    if _looks_utf16(raw):
        raise IngestError(LOOKS_UTF16.format(file=file))
    try:
        return remove_nul(raw.decode("utf-8"), file)
    except UnicodeDecodeError as exc:
        first_error = exc.start
    try:
        text = raw.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise IngestError(UNDECODABLE.format(file=file, position=first_error)) from None
    text, notes = remove_nul(text, file)
    return text, [f"{file}: not UTF-8 (byte {first_error}); read as Windows-1258", *notes]


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a mark: Latin text leaves a NUL in every other byte."""
    sample = raw[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return max(even.count(0) / len(even), odd.count(0) / len(odd)) > 0.4


def remove_nul(text: str, file: str) -> tuple[str, list[str]]:
    """``text`` without NUL characters, and a note saying how many and on which lines."""
    count = text.count("\x00")
    if not count:
        return text, []
    lines = sorted({text.count("\n", 0, i) + 1 for i in _positions(text, "\x00")})
    return text.replace("\x00", ""), [nul_note(file, count, lines, "line")]


def nul_note(file: str, count: int, where: list[int], unit: str) -> str:
    """The note for NULs removed from ``file``, at the ``unit`` (line, column) numbers."""
    shown = ", ".join(map(str, where[:10])) + (" ..." if len(where) > 10 else "")
    return NUL_REMOVED.format(file=file, count=count, where=f" ({unit} {shown})" if where else "")


def _positions(text: str, char: str) -> list[int]:
    found, start = [], text.find(char)
    while start != -1:
        found.append(start)
        start = text.find(char, start + 1)
    return found
