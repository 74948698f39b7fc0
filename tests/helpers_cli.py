"""The bundled scenario, copied and broken in one way, and the CLI run on it (for tests).

:class:`Case` is a private copy of ``data/suizhou``; every edit it makes checks that it took
effect (a test whose set-up silently does nothing cannot fail). :func:`invoke` runs the real
typer app in-process; :func:`error_line` checks a failed command printed exactly one
``error:`` line and no traceback.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from siting.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"
#: Lines of output that may accompany an error (none today).
_NOISE = re.compile(r"^(Running HiGHS|Includes third-party)")


def set_key(toml: Path, key: str, value: str, *, count: int = 1) -> None:
    """Set ``key = value`` on the line(s) that assign ``key``; fails unless exactly ``count``
    lines did (an edit that silently does nothing would leave a test unable to fail)."""
    text = toml.read_text(encoding="utf-8")
    new, n = re.subn(rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}", text)
    assert n == count, f"test set-up: {n} line(s) set {key} in {toml.name}, expected {count}"
    toml.write_text(new, encoding="utf-8")


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in a text file; fails when ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test set-up: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


class Case:
    """A private copy of the bundled scenario, to break in one way."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "scenario"
        shutil.copytree(DATA, self.dir)
        self.toml = self.dir / "scenario.toml"
        self.out = root / "run_out"

    # ---- scenario text
    def sub(self, old: str, new: str) -> None:
        replace_once(self.toml, old, new)

    def time_limit(self, seconds: float) -> None:
        """Set ``[solver] time_limit_s`` whatever the bundled value is."""
        set_key(self.toml, "time_limit_s", str(seconds))

    def line_of(self, needle: str) -> int:
        lines = self.toml.read_text(encoding="utf-8").splitlines()
        return next(i + 1 for i, line in enumerate(lines) if needle in line)

    # ---- layers
    def layer(self, name: str) -> dict:
        return json.loads((self.dir / name).read_text(encoding="utf-8"))

    def save(self, name: str, doc: dict) -> None:
        (self.dir / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    def edit(self, name: str, fn: Callable[[dict], None]) -> dict:
        doc = self.layer(name)
        fn(doc)
        self.save(name, doc)
        return doc

    def set_prop(self, name: str, row: int, key: str, value: object) -> None:
        """Set property ``key`` of the 1-based feature ``row``."""
        self.edit(name, lambda d: d["features"][row - 1]["properties"].__setitem__(key, value))

    def shrink(self, every: int = 30) -> None:
        """Keep every ``every``-th fleet point (fast solves)."""
        self.edit("fleet.geojson", lambda d: d.__setitem__("features", d["features"][::every]))

    def fast(self, time_limit_s: float = 20.0, every: int = 30) -> Case:
        self.shrink(every)
        self.total_budget_only()
        self.time_limit(time_limit_s)
        return self

    def total_budget_only(self) -> None:
        """Drop the yearly budget caps (the total stays): with them, the shrunken case's
        LP bound is too weak for HiGHS to prove its optimum in seconds."""
        text = self.toml.read_text(encoding="utf-8")
        new, n = re.subn(r"(?m)^by_year = \{ \"\d{4}\" = .*\n", "", text)
        assert n == 1, "test set-up: no [budget] by_year line in scenario.toml"
        self.toml.write_text(new, encoding="utf-8")

    # ---- CLI
    def run(self, *extra: str):
        return invoke("run", str(self.toml), "--out", str(self.out), "-q", "--basemap", "none",
                      *extra)

    def validate(self):
        return invoke("validate", str(self.toml))


def invoke(*args: str):
    """Run the real typer app in-process; stdout and stderr together in ``.output``."""
    return CliRunner().invoke(app, list(args))


def error_line(res, code: int = 2) -> str:
    """The single ``error:`` line of a failed command, after checking everything around it."""
    text = res.output
    assert res.exit_code == code, f"exit {res.exit_code}, expected {code}:\n{text}"
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    lines = [ln for ln in text.splitlines() if ln.strip() and not _NOISE.match(ln)]
    assert len(lines) == 1, f"expected ONE line, got {len(lines)}:\n{text}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def assert_no_output(case: Case) -> None:
    """Neither the run folder nor a hidden temporary sibling exists."""
    assert not case.out.exists()
    hidden = f".{case.out.name}"
    assert [p.name for p in case.out.parent.iterdir() if p.name.startswith(hidden)] == []


def run_error(case: Case, *needles: str, code: int = 2, pattern: str | None = None) -> str:
    """``siting run`` fails with one line containing every needle; no output appears."""
    line = error_line(case.run(), code)
    for n in needles:
        assert n in line, f"{n!r} not in: {line}"
    if pattern is not None:
        assert re.search(pattern, line), f"/{pattern}/ not in: {line}"
    assert_no_output(case)
    return line
