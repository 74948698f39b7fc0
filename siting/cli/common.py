"""What every ``siting`` command shares: the typer app, the options, errors and progress.

:data:`app` is the one typer application; the command modules (:mod:`.runs`, :mod:`.studies`,
:mod:`.tools`) register their commands on it by decorator. :func:`guard` turns expected errors
into one line and an exit code; :class:`RichHooks` shows a run's stages as progress bars (or
JSON lines with ``--progress-json``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from siting._errors import SitingError
from siting._terminal import SafeConsole

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Site battery-swap, charging and hydrogen stations for working fleets.")
err = SafeConsole(stderr=True, highlight=False)


class ResultsConsole(SafeConsole):
    """The console results are printed on. ``plain_tables`` (``siting --plain-tables``) prints
    tables as one line per row, without box drawing or padding (see
    :func:`siting.console.print_table`): for a log shown in a proportional font, as QGIS's
    Processing log, where padded columns collapse."""

    plain_tables = False


#: Results go to stdout as plain text: names and paths from the user are never read as rich
#: markup (a zone called "[/]" would otherwise stop the summary with a MarkupError). Both
#: consoles show control characters in user text as symbols (:mod:`siting._terminal`).
out = ResultsConsole(highlight=False, markup=False)

T = TypeVar("T")

LangOpt = Annotated[str | None, typer.Option("--lang", help="Labels: zh or en "
                                             "(default: the scenario's).")]
BasemapOpt = Annotated[str, typer.Option(
    "--basemap", help="osm | tianditu | amap | none (none = fully offline, roads drawn).")]
CdnOpt = Annotated[bool, typer.Option(
    "--cdn", help="Link Leaflet from a CDN instead of inlining it (smaller, needs internet).")]
CrsOpt = Annotated[str | None, typer.Option(
    "--crs", help="CRS of exported layers: EPSG:4326, EPSG:4490, EPSG:4547, GCJ-02 ...")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
ShpOpt = Annotated[bool, typer.Option(
    "--shapefile", help="Also write Shapefiles (GBK, field names ≤ 10 chars) in shapefile/.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]
TiandituOpt = Annotated[str | None, typer.Option(
    "--tianditu-key", envvar="TIANDITU_KEY", help="Key for Tianditu basemap tiles.")]
# Paths are taken as text and checked by siting._preflight in the command (one line, exit 2):
# click's own checks print a usage box, and turn an empty path into "." before we see it.
ScenarioArg = Annotated[str, typer.Argument(help="Scenario .toml file.", metavar="SCENARIO")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, max=256, help="Worker processes for parallel re-solves (default: the "
    "CPU cores, at most 8).")]


#: Set by ``siting --progress-json``: stage progress goes to stdout as JSON lines.
JSON_PROGRESS = {"on": False}


def emit_progress(event: str, stage: str, **fields: object) -> None:
    """One machine-readable progress line on stdout (``--progress-json`` only).

    ``{"siting": "progress", "event": "start"|"update"|"finish", "stage": "network",
    "step": 2, "steps": 8, "label": ..., "fraction": 0.4, "seconds": 1.2}`` (``label`` in the
    run's language, as the progress bars show it): ``step`` is the
    stage's 1-based position in :data:`siting.pipeline.STAGES` (a sweep repeats the solve
    stages once per budget). Used by the QGIS plugin to drive Processing's progress bar.
    """
    if not JSON_PROGRESS["on"]:
        return
    import json

    from siting.pipeline import STAGES

    names = list(STAGES)
    line = {"siting": "progress", "event": event, "stage": stage,
            "step": names.index(stage) + 1 if stage in names else None, "steps": len(names),
            **fields}
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class RichHooks:
    """Stage progress as rich bars, with the time each stage took (and JSON lines with
    ``--progress-json``)."""

    def __init__(self, progress: Progress | None, lang: str = "en") -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lang = lang

    def start(self, stage: str, label: str) -> None:
        from siting.console import stage_label

        shown = stage_label(stage, label, self.lang)  # the run's language, bar and JSON alike
        emit_progress("start", stage, label=shown, fraction=0.0)
        if self.progress is not None:
            self.tasks[stage] = self.progress.add_task(shown, total=1.0)

    def update(self, stage: str, fraction: float) -> None:
        emit_progress("update", stage, fraction=round(min(max(fraction, 0.0), 1.0), 4))
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=min(max(fraction, 0.0), 1.0))

    def finish(self, stage: str, seconds: float) -> None:
        emit_progress("finish", stage, fraction=1.0, seconds=round(seconds, 3))
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=1.0)


def progress_bars(quiet: bool) -> Progress | None:
    """Rich progress bars on stderr; None with ``--quiet`` or ``--progress-json``."""
    if quiet or JSON_PROGRESS["on"]:
        return None
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def guard(fn: Callable[[], T], debug: bool) -> T:
    """Run ``fn``; turn expected errors into one line and an exit code."""
    try:
        return fn()
    except SitingError as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", markup=True, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; previous outputs left as they were")
        raise typer.Exit(130) from None
    except Exception as e:
        if debug:
            raise
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))} — rerun "
                  "with --debug and report it", markup=True, soft_wrap=True)
        raise typer.Exit(1) from None


@app.callback()
def _options(
    progress_json: Annotated[bool, typer.Option(
        "--progress-json", help="Report stage progress as JSON lines on stdout instead of "
        "progress bars (for the QGIS plugin and other programs).")] = False,
    plain_tables: Annotated[bool, typer.Option(
        "--plain-tables", help="Print tables as one line per row ('label: value; ...'), "
        "without box drawing or padded columns (for logs shown in a proportional font, such "
        "as QGIS's).")] = False,
) -> None:
    """Site battery-swap, charging and hydrogen stations for working fleets."""
    JSON_PROGRESS["on"] = progress_json
    out.plain_tables = plain_tables


def check_options(lang: str | None, basemap: str | None = None,
                  tianditu_key: str | None = None, crs: str | None = None) -> None:
    """Refuse bad option values before any work (imports nothing heavy)."""
    from siting._preflight import check_basemap, check_lang

    check_lang(lang)
    if basemap is not None:
        check_basemap(basemap, tianditu_key)
    if crs is not None:
        from siting.crs import parse_crs

        parse_crs(crs, where="--crs")


def shown(prog: Progress | None, work: Callable[[], T]) -> T:
    """``work()`` with the progress bars shown while it runs (if there are any)."""
    if prog is None:
        return work()
    with prog:
        return work()


def locked(target: Path, prog: Progress | None, work: Callable[[], T]) -> T:
    """``work()`` holding ``target``'s output lock, with the progress bars shown if any."""
    from siting._atomic import output_lock

    with output_lock(target):
        return shown(prog, work)

