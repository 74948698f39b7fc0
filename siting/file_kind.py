"""What a file that does not open as its name says really is, from its first bytes.

Planners rename files: an old ``.xls`` saved as ``.xlsx``, a CSV export given an Excel
name, a web page that a system "exported to Excel". :func:`misnamed_hint` turns the first
bytes into the fix a message can name, instead of the reader's "File is not a zip file".
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["misnamed_hint"]

#: An OLE2 compound file: Excel 97-2003 workbooks, and password-protected .xlsx files.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


def misnamed_hint(path: Path) -> str | None:
    """The fix for a workbook that did not open, when its first bytes show another kind of
    file than its suffix (``.xls``/``.xlsx``/``.xlsm``) says; None when they do not."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    old = path.suffix.lower() == ".xls"
    if head.startswith(_OLE2) and not old:
        return ("it is an Excel 97-2003 workbook or a password-protected one: if Excel opens "
                "it without a password, save it as .xlsx (or rename it .xls)")
    if head.startswith(_ZIP) and old:
        return "it is an .xlsx workbook named .xls: rename it .xlsx"
    text = _as_text(head)
    if text is None:
        return None
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("<"):
        return ("it is a web page (HTML/XML) with an Excel name, as some systems export "
                "tables: open it in Excel or WPS and save it as .xlsx")
    if any(sep in start.split("\n", 1)[0] for sep in (",", ";", "\t")):
        return "it is a text (CSV) table with an Excel name: rename it .csv"
    return None


def _as_text(head: bytes) -> str | None:
    """``head`` as text (UTF-8, else GB18030) when it holds no NUL byte, else None."""
    if b"\x00" in head:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError:
            continue
    return None
