"""Text from input files made safe for a terminal: no escape sequences, no open bidi overrides.

Names and values read from the user's files (zone and station names, a scenario's name, a
cell quoted in an error) reach the console in tables, error lines and warnings. rich drops a
few control characters (bell, backspace, carriage return) but passes ESC and the C1 controls
through, so a zone named ``"\\x1b[2J"`` would clear the reader's screen and an OSC sequence
could retitle the window or, in some terminals, write the clipboard. :func:`terminal_text`
shows every such character as a visible symbol instead, and closes bidi overrides at the end
of their line (as :func:`siting._escape.close_bidi` does on pages), so a name cannot reverse
the rest of a table row. :class:`SafeConsole` applies it to every string a console renders
(``print``, table cells and titles); :class:`SafeFormatter` to logged warnings.
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from rich.console import Console
from rich.text import Text

from siting._escape import close_bidi

__all__ = ["SafeConsole", "SafeFormatter", "terminal_text", "visible_controls"]

#: C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F; U+009B alone
#: starts a control sequence in terminals that read 8-bit controls).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: U+241B shows ESC as "␛"
    return "\u2421" if code == 0x7F else "\ufffd"


def visible_controls(text: str) -> str:
    """``text`` with its control characters shown as symbols (tab and newline kept).

    ESC becomes ``␛`` (U+241B), other C0 controls their Control Pictures symbol, DEL ``␡``,
    C1 controls U+FFFD. Plain text comes back unchanged.
    """
    return _CONTROL.sub(_picture, text) if _CONTROL.search(text) else text


def terminal_text(text: str) -> str:
    """``text`` with control characters shown as symbols and bidi overrides closed per line.

    Control characters as :func:`visible_controls` shows them. Plain text comes back
    unchanged.
    """
    text = visible_controls(text)
    if "\n" in text:
        return "\n".join(close_bidi(line) for line in text.split("\n"))
    return close_bidi(text)


class SafeConsole(Console):
    """A rich console that renders every string through :func:`terminal_text` first.

    Covers ``print`` of strings and the string cells and titles of tables (rich renders
    those with :meth:`render_str`); the console's own styling is added after, so colours
    still work.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Render ``text`` as rich does, after making it safe for a terminal."""
        return super().render_str(terminal_text(text), **kwargs)


class SafeFormatter(logging.Formatter):
    """A logging formatter whose lines are made safe with :func:`terminal_text`.

    Each text argument of the message is made safe on its own first, so an override in a
    name closes at the end of the name, not of the line.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, safe for a terminal."""
        if isinstance(record.args, tuple) and any(isinstance(a, str) for a in record.args):
            record = logging.makeLogRecord(record.__dict__)  # other handlers see the original
            record.args = tuple(terminal_text(a) if isinstance(a, str) else a
                                for a in cast(tuple[object, ...], record.args))
        return terminal_text(super().format(record))
