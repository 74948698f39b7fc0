"""Run the ``siting`` command line for QGIS: find it, stream its progress, cancel it.

QGIS runs plugins in its own Python (on Debian the system Python with ``python3-qgis``), where
siting and its dependencies (pandas, HiGHS, geopandas ...) are usually not installed. The
plugin therefore never imports siting: it runs the ``siting`` executable of the environment
siting is installed in, as a subprocess. This module holds everything about that subprocess
and imports nothing from QGIS, so it is tested on its own. Its own messages are in the
plugin's language (:mod:`.i18n`); siting's lines are passed on as siting prints them.

Where ``siting`` is found, first match wins:

1. the environment variable ``SITING_EXECUTABLE`` (full path of ``siting`` / ``siting.exe``);
2. the Processing setting *Settings ▸ Options ▸ Processing ▸ Providers ▸ siting ▸ siting
   executable* (stored as ``Processing/Configuration/SITING_EXECUTABLE``);
3. ``siting`` on the ``PATH`` QGIS was started with.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from .i18n import tr

ENV_VAR = "SITING_EXECUTABLE"
SETTING_KEY = "SITING_EXECUTABLE"
#: Seconds to wait for siting to stop after Cancel before killing it.
GRACE_S = 30.0
#: Options of every siting command the plugin runs: progress as JSON lines (for the progress
#: bar), tables one line per row (Processing's log is in a proportional font, where the
#: padded columns of a drawn table collapse).
GLOBAL_OPTIONS = ("--progress-json", "--plain-tables")


class Feedback(Protocol):
    """The parts of ``QgsProcessingFeedback`` used here."""

    def isCanceled(self) -> bool: ...
    def setProgress(self, progress: float) -> None: ...
    def setProgressText(self, text: str) -> None: ...
    def pushInfo(self, info: str) -> None: ...


class SitingError(Exception):
    """siting could not be run, or stopped with an error (the message is its error line)."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class SitingCancelled(SitingError):
    """The user cancelled; siting stopped and left its output folder as it was."""


def find_executable(setting: str | None = None) -> str:
    """Path of the ``siting`` executable (see the module docstring for the order).

    Raises
    ------
    SitingError
        Not found, or the configured path is not an executable file.
    """
    for where, value in ((tr("environment variable {}").format(ENV_VAR),
                          os.environ.get(ENV_VAR)),
                         (tr("Processing setting 'siting executable'"), setting)):
        if value:
            path = Path(value).expanduser()
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
            msg = tr("{} is '{}', which is not an executable file; give the full path of siting "
                     "(e.g. /home/me/siting/.venv/bin/siting)").format(where, value)
            raise SitingError(msg)
    found = shutil.which("siting")
    if found:
        return found
    msg = tr("the siting executable was not found: install siting (pip install siting in a "
             "virtual environment), then set the environment variable {} or Settings ▸ "
             "Options ▸ Processing ▸ Providers ▸ siting ▸ siting executable to its full path "
             "(e.g. /home/me/siting/.venv/bin/siting)").format(ENV_VAR)
    raise SitingError(msg)


def command_line(args: Sequence[str]) -> str:
    """``args`` as one command a planner can paste into a shell (paths with spaces quoted):
    ``cmd.exe`` quoting on Windows, POSIX shell quoting elsewhere."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        return subprocess.list2cmdline(list(args))
    return shlex.join(args)


_SECTION = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")
_TIME_LIMIT = re.compile(r"^\s*time_limit_s\s*=\s*([0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?\d+)?)")


def scan_time_limit(text: str) -> float | None:
    """``time_limit_s`` of the ``[solver]`` table by a line scan (for a QGIS Python without
    ``tomllib``); None when not set."""
    section = ""
    for line in text.splitlines():
        head = _SECTION.match(line)
        if head:
            section = head.group(1)
            continue
        found = _TIME_LIMIT.match(line) if section == "solver" else None
        if found:
            return float(found.group(1).replace("_", ""))
    return None


def scenario_time_limit(path: str) -> float | None:
    """``[solver] time_limit_s`` of a scenario file, else None (unreadable, or not set).

    It lets the progress bar move during the solve of a run given as a scenario file.
    Read with ``tomllib`` where QGIS's Python has it (3.11+), else :func:`scan_time_limit`.
    """
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        import tomllib
    except ImportError:  # pragma: no cover - QGIS builds with Python < 3.11
        value: Any = scan_time_limit(text)
    else:
        try:
            solver = tomllib.loads(text).get("solver")
        except ValueError:
            return None
        value = solver.get("time_limit_s") if isinstance(solver, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return float(value)


# --------------------------------------------------------------------------- progress
#: Share of a run's time each stage takes, roughly (the solve dominates).
RUN_WEIGHTS: dict[str, float] = {
    "layers": 5, "network": 8, "demand": 4, "travel_times": 8, "coverage": 4, "model": 55,
    "results": 6, "outputs": 10,
}
_PREPARE = ("layers", "network", "demand", "travel_times", "coverage")
#: ``siting brief`` has one stage.
BRIEF_WEIGHTS: dict[str, float] = {"brief": 1}


class StageProgress:
    """Turns siting's ``--progress-json`` lines into one percentage.

    Parameters
    ----------
    solves
        Number of MIP solves (1 for a run, the number of budgets for a sweep).
    time_limit_s
        The solver's time limit, if known: progress inside a solve grows with time (capped
        at 95 % of the stage), since HiGHS reports nothing until it stops.
    weights
        Share of the time of each stage (default :data:`RUN_WEIGHTS`; :data:`BRIEF_WEIGHTS`
        for ``siting brief``).
    """

    def __init__(self, solves: int = 1, time_limit_s: float | None = None,
                 weights: dict[str, float] | None = None) -> None:
        self.solves = max(1, solves)
        self.time_limit_s = time_limit_s
        self.weights = RUN_WEIGHTS if weights is None else weights
        self.done: dict[str, float] = {}
        self.solves_done = 0
        self.current: str | None = None
        self.current_fraction = 0.0
        self.started = 0.0
        self.label = ""

    def feed(self, event: dict[str, Any], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        stage = str(event.get("stage"))
        kind = event.get("event")
        if kind == "start":
            self.current, self.current_fraction, self.started = stage, 0.0, now
            self.label = str(event.get("label") or stage)
        elif kind == "update" and stage == self.current:
            self.current_fraction = float(event.get("fraction") or 0.0)
        elif kind == "finish":
            if stage == "model":
                self.solves_done += 1
            self.done[stage] = self.done.get(stage, 0.0) + 1.0
            if stage == self.current:
                self.current = None

    def percent(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        total = sum(self.weights.values())
        got = 0.0
        for stage, w in self.weights.items():
            reps = self.solves if stage in ("model", "results") else 1
            got += w * min(self.done.get(stage, 0.0), reps) / reps
        if self.current in self.weights:
            reps = self.solves if self.current in ("model", "results") else 1
            frac = self.current_fraction
            if self.current == "model" and self.time_limit_s:
                frac = max(frac, min(0.95, (now - self.started) / (self.time_limit_s + 5.0)))
            got += self.weights[self.current] * frac / reps
        return round(100.0 * min(got / total, 1.0), 1)


def progress_event(line: str) -> dict[str, Any] | None:
    """The JSON object of a ``--progress-json`` line, else None."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) and obj.get("siting") == "progress" else None


# --------------------------------------------------------------------------- running
def child_env() -> dict[str, str]:
    """The environment for siting: UTF-8 output, no colours, no buffering, no QGIS Python."""
    env = dict(os.environ)
    for k in ("PYTHONPATH", "PYTHONHOME"):  # QGIS's own; siting's venv has its own Python
        env.pop(k, None)
    env.update({"PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1", "NO_COLOR": "1",
                "TERM": "dumb", "COLUMNS": "100"})
    return env


def run_siting(
    args: Sequence[str],
    feedback: Feedback,
    *,
    executable: str,
    progress: StageProgress | None = None,
    on_line: Callable[[str], None] | None = None,
    grace_s: float = GRACE_S,
) -> list[str]:
    """Run ``siting --progress-json --plain-tables ARGS`` (:data:`GLOBAL_OPTIONS`), streaming
    into ``feedback``; return its lines.

    Progress lines move the progress bar; every other line is passed to
    ``feedback.pushInfo`` (and ``on_line``). When ``feedback.isCanceled()`` turns true,
    siting is sent SIGTERM (it stops like on Ctrl-C: no output folder is changed), then
    killed after ``grace_s`` seconds.

    Raises
    ------
    SitingCancelled
        The user cancelled.
    SitingError
        siting exited with an error: the message is its ``error: ...`` line (exit code 2:
        bad input, 3: infeasible or solver failure).
    """
    cmd = [executable, *GLOBAL_OPTIONS, *args]
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":  # pragma: no cover - no console window per run
        kwargs["creationflags"] = subprocess.CREATE_NO_WINDOW  # type: ignore[attr-defined]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=child_env(), **kwargs)
    except OSError as e:
        msg = tr("cannot start {}: {}").format(executable, e.strerror or e)
        raise SitingError(msg) from None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: list[str] = []
    cancelled = False
    deadline = float("inf")
    last_pct = -1.0
    while True:
        if not cancelled and feedback.isCanceled():
            cancelled = True
            feedback.pushInfo(tr("cancelling: asking siting to stop (outputs are left as "
                                 "they were)"))
            proc.terminate()
            deadline = time.monotonic() + grace_s
        if cancelled and proc.poll() is None and time.monotonic() > deadline:
            proc.kill()
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line:
            event = progress_event(line)
            if event is not None:
                if progress is not None:
                    progress.feed(event)
                    if event.get("event") == "start":
                        feedback.setProgressText(str(event.get("label") or event.get("stage")))
            else:
                seen.append(line)
                feedback.pushInfo(line)
                if on_line is not None:
                    on_line(line)
        if progress is not None:
            pct = progress.percent()
            if pct != last_pct:
                feedback.setProgress(pct)
                last_pct = pct
    code = proc.wait()
    reader.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
    if cancelled:
        msg = tr("cancelled; siting stopped and left the output folder as it was")
        raise SitingCancelled(msg, code)
    if code != 0:
        raise SitingError(error_message(seen, code), code)
    return seen


def error_message(lines: Sequence[str], code: int) -> str:
    """siting's one-line error (``error: ...`` without the prefix), or a summary."""
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: "):]
        if line.startswith("internal error: "):
            return line
    if code == 130:
        return tr("interrupted; previous outputs left as they were")
    tail = " | ".join(lines[-3:]) if lines else tr("no output")
    return tr("siting stopped with exit code {}: {}").format(code, tail)
