"""TOML text for the starter file: escaped values and keys, and a writer of commented lines.

The writer wraps comments at 92 characters and writes a key that is not in use as
``# key = value``, so uncommenting the line is all it takes to switch it on.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Comment lines are wrapped at this many characters.
_WIDTH = 92

#: A key TOML reads without quotes.
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(v: object) -> str:
    """One TOML value (strings escaped: user text stays text)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if v == v and abs(v) != float("inf") else "nan"
    if isinstance(v, (str, Path)):
        return _toml_str(str(v))
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    msg = f"cannot write {type(v).__name__} as TOML"
    raise TypeError(msg)


def toml_key(k: object) -> str:
    """One TOML key: bare when TOML allows it, else a quoted, escaped string."""
    text = str(k)
    return text if _BARE_KEY.match(text) else _toml_str(text)


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class Writer:
    """Lines of a commented TOML file; ``active=False`` writes ``# key = value``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str, prefix: str = "# ") -> None:
        """A comment, wrapped; each line of ``text`` starts a new paragraph."""
        for para in text.split("\n"):
            words = para.split()
            line = prefix.rstrip() if not words else prefix
            for w in words:
                if len(line) + len(w) + 1 > _WIDTH and line.strip() != "#":
                    self.lines.append(line.rstrip())
                    line = prefix
                line += ("" if line == prefix else " ") + w
            self.lines.append(line.rstrip())

    def blank(self) -> None:
        """An empty line (never two in a row)."""
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def key(self, key: str, value: object, doc: str = "", *, active: bool = True) -> None:
        """``key = value``, below its ``doc`` comment; ``# key = value`` if not active."""
        if doc:
            self.note(doc)
        self.lines.append(f"{'' if active else '# '}{toml_key(key)} = {toml_value(value)}")

    def table(self, name: str, doc: str = "", *, array: bool = False,
              active: bool = True) -> None:
        """A ``[table]`` (``[[table]]`` with ``array``) header after a blank line."""
        self.blank()
        if doc:
            self.note(doc)
        head = f"[[{name}]]" if array else f"[{name}]"
        self.lines.append(("" if active else "# ") + head)

    def text(self) -> str:
        """The file's text, ending in one newline."""
        return "\n".join(self.lines).rstrip() + "\n"
