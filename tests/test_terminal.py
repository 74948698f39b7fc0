"""Text from input files reaches a terminal as text: escapes shown, bidi overrides closed."""

from __future__ import annotations

import io
import logging

from rich.table import Table

from siting._terminal import SafeConsole, SafeFormatter, terminal_text


def test_controls_become_visible_symbols_and_plain_text_is_unchanged():
    assert terminal_text("城东 park, 2025\tok\nnext") == "城东 park, 2025\tok\nnext"
    assert terminal_text("\x1b[2J") == "\u241b[2J"
    assert terminal_text("a\x00b\x07c\x7fd\x9b2J") == "a\u2400b\u2407c\u2421d\ufffd2J"
    # an override is closed at the end of its own line, not only of the whole text
    assert terminal_text("\u202eab\ncd") == "\u202eab\u202c\ncd"
    assert terminal_text("\u2067x\u2069 y") == "\u2067x\u2069 y"  # already closed


def test_console_tables_and_prints_carry_no_escape_from_user_text():
    buf = io.StringIO()
    console = SafeConsole(file=buf, force_terminal=True, color_system="standard", width=100,
                          highlight=False, markup=False)
    tab = Table(title="S \x1b]0;title\x1b\\")
    tab.add_column("zone", style="bold")
    tab.add_row("\x1b[2J\u202eevil", "next")
    console.print(tab)
    console.print("line \x1b[31m red?")
    text = buf.getvalue()
    # rich's own styling is still there (bold column), the user's escapes are not
    assert "\x1b[1m" in text
    assert "\x1b[2J" not in text and "\x1b]0" not in text and "\x1b[31m" not in text
    assert "\u241b[2J\u202eevil\u202c" in text and "\u241b]0;title\u241b\\" in text
    assert "line \u241b[31m red?" in text


def test_logged_warnings_show_escapes_as_symbols():
    record = logging.LogRecord("siting", logging.WARNING, __file__, 1,
                               "zone %s unreachable", ("\x1b[2J\u202ex",), None)
    line = SafeFormatter("warning: %(message)s").format(record)
    assert line == "warning: zone \u241b[2J\u202ex\u202c unreachable"


def test_console_tables_fold_long_chinese_cells_and_paths_instead_of_cutting_them():
    """rich wraps at spaces and cut a longer 'word' with '…': a Chinese note (no spaces) and
    a long output path lost their ends in the run summary."""
    from siting.console import print_table

    note = "求解期间计算机繁忙：" + (
        "时限按实际经过的时间计算，空闲时重新运行可能得到更好的方案。" * 3)
    path = "/data/" + "规划成果" * 12 + "/run_out"
    tab = Table(title="t", show_header=False)
    tab.add_row("注意", note)
    tab.add_row("输出位置", path)
    buf = io.StringIO()
    print_table(SafeConsole(file=buf, width=60), tab, "zh")
    flat = "".join(c for c in buf.getvalue() if not c.isspace() and c not in "│┃─┌┐└┘├┤┬┴┼")
    assert "…" not in flat
    assert note in flat and path in flat
