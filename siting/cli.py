"""The ``siting`` command line: thin typer commands over :mod:`siting.pipeline`.

Every expected failure (bad input, infeasible requirement, solver trouble) prints one line
``error: ...`` and exits with code 2 (input) or 3 (infeasible / solver); Ctrl-C exits 130.
Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from siting._errors import SitingError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Site battery-swap, charging and hydrogen stations for working fleets.")
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

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
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")]


class RichHooks:
    """Stage progress as rich bars, with the time each stage took."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, stage: str, label: str) -> None:
        if self.progress is not None:
            self.tasks[stage] = self.progress.add_task(label, total=1.0)

    def update(self, stage: str, fraction: float) -> None:
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=min(max(fraction, 0.0), 1.0))

    def finish(self, stage: str, seconds: float) -> None:
        if self.progress is not None and stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=1.0)


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=False)


def _guard(fn: Callable[[], T], debug: bool) -> T:
    """Run ``fn``; turn expected errors into one line and an exit code."""
    try:
        return fn()
    except SitingError as e:
        err.print(f"[bold red]error:[/] {e}", markup=True, soft_wrap=True)
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted; previous outputs left as they were")
        raise typer.Exit(130) from None
    except Exception as e:
        if debug:
            raise
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {e} — rerun with --debug "
                  "and report it", markup=True, soft_wrap=True)
        raise typer.Exit(1) from None


def bundled_scenario() -> Path:
    """The bundled Suizhou scenario (``data/suizhou/scenario.toml``).

    Looked up in the current folder first (a clone), then next to the installed package.
    """
    here = Path.cwd() / "data" / "suizhou" / "scenario.toml"
    if here.is_file():
        return here
    beside = Path(__file__).resolve().parents[1] / "data" / "suizhou" / "scenario.toml"
    if beside.is_file():
        return beside
    from siting._errors import ScenarioError

    msg = ("bundled scenario data/suizhou/scenario.toml not found; run `siting demo` from the "
           "repository folder")
    raise ScenarioError(msg)


def _run(scenario: Path, out_dir: Path | None, lang: str | None, basemap: str, cdn: bool,
         crs: str | None, quiet: bool, tianditu_key: str | None) -> None:
    from siting.pipeline import run
    from siting.scenario import load_scenario

    sc = load_scenario(scenario)
    target = out_dir or Path("maps") / scenario.resolve().parent.name
    prog = _progress(quiet)
    hooks = RichHooks(prog)
    if prog is not None:
        with prog:
            result = run(sc, target, hooks=hooks, lang=lang, basemap=basemap, cdn=cdn,
                         output_crs=crs, tianditu_key=tianditu_key)
    else:
        result = run(sc, target, hooks=hooks, lang=lang, basemap=basemap, cdn=cdn,
                     output_crs=crs, tianditu_key=tianditu_key)
    _print_summary(result.report, target)


def _print_summary(report: dict, target: Path) -> None:
    s = report["solver"]
    t = Table(title=report["scenario"]["name"], show_header=False)
    t.add_row("coverage", f"{report['coverage_share']:.1%} of "
              f"{report['demand_weight_total']:.0f} {report['scenario']['weight_unit']}")
    t.add_row("spent / budget", f"{report['spent'] / 1e6:.2f} / {report['budget'] / 1e6:.2f} M CNY")
    t.add_row("stations", ", ".join(f"{k}: {v['count']}" for k, v in report["by_type"].items()
                                    if v["count"]))
    gap = "n/a" if s["gap"] is None else f"{s['gap']:.2%}"
    t.add_row("solver", f"{s['name']} {s['status']}, gap {gap}, {s['seconds']:.1f} s")
    if report["network"]["schematic"]:
        t.add_row("network", "SCHEMATIC (not surveyed)")
    timings = report.get("timings", {})
    if timings:
        t.add_row("stage times", ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
    t.add_row("written to", str(target))
    out.print(t)


@app.command()
def demo(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Run the bundled Suizhou scenario and write maps/suizhou/ (map.html and exports)."""
    _guard(lambda: _run(bundled_scenario(), out_dir or Path("maps/suizhou"), lang, basemap, cdn,
                        crs, quiet, None), debug)


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario .toml file.")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default maps/<scenario folder name>).")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    tianditu_key: Annotated[str | None, typer.Option(
        "--tianditu-key", envvar="TIANDITU_KEY", help="Key for Tianditu basemap tiles.")] = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Solve SCENARIO and write the map and exports."""
    _guard(lambda: _run(scenario, out_dir, lang, basemap, cdn, crs, quiet, tianditu_key), debug)


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario .toml file.")],
    debug: DebugOpt = False,
) -> None:
    """Check SCENARIO and every layer it names, without solving or writing anything."""

    def check() -> None:
        from siting.validate import validate_scenario

        summary = validate_scenario(scenario)
        t = Table(title=f"{scenario}: valid", show_header=False)
        for k, v in summary.items():
            t.add_row(k, str(v))
        out.print(t)

    _guard(check, debug)


def main() -> None:
    """Entry point of the ``siting`` script."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    app(prog_name="siting")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
