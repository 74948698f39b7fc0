"""The run commands: ``siting demo``, ``siting run`` and ``siting validate``.

Each checks its options and paths first (a typo must not cost a solve), then runs
:func:`siting.pipeline.run` (or :func:`siting.validate.validate_scenario`) and prints the
summary in the run's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siting.cli.common import (
    BasemapOpt,
    CdnOpt,
    CrsOpt,
    DebugOpt,
    LangOpt,
    QuietOpt,
    RichHooks,
    ScenarioArg,
    ShpOpt,
    TiandituOpt,
    WorkersOpt,
    app,
    check_options,
    guard,
    out,
    progress_bars,
    shown,
)

if TYPE_CHECKING:
    from siting.report import Report
    from siting.results import SitingResult
    from siting.scenario import Scenario


def bundled_scenario() -> Path:
    """The bundled Suizhou scenario (``data/suizhou/scenario.toml``).

    Looked up in the current folder first (a clone), then next to the installed package.
    """
    here = Path.cwd() / "data" / "suizhou" / "scenario.toml"
    if here.is_file():
        return here
    beside = Path(__file__).resolve().parents[2] / "data" / "suizhou" / "scenario.toml"
    if beside.is_file():
        return beside
    from siting._errors import ScenarioError

    msg = ("bundled scenario data/suizhou/scenario.toml not found; run `siting demo` from the "
           "repository folder")
    raise ScenarioError(msg)


def _run(scenario: Path | str, out_dir: Path | str | None, lang: str | None, basemap: str,
         cdn: bool, crs: str | None, quiet: bool, tianditu_key: str | None,
         shapefile: bool = False, target_share: float | None = None,
         mandates: bool | None = None, workers: int | None = None) -> None:
    from siting._preflight import check_output_writable, check_path_text

    # Options and the output folder first: a typo must not cost a solve.
    check_options(lang, basemap, tianditu_key, crs)
    if target_share is not None:
        check_target(target_share)
    scenario = check_path_text(scenario, "scenario")
    target = check_output_writable(out_dir if out_dir is not None
                                   else Path("maps") / scenario.resolve().parent.name)

    from siting.pipeline import run
    from siting.scenario import load_scenario

    sc = load_scenario(scenario)
    if target_share is not None:
        sc = with_target(sc, target_share)
    prog = progress_bars(quiet)
    hooks = RichHooks(prog, lang or sc.lang)

    def solve() -> SitingResult:
        return run(sc, target, hooks=hooks, lang=lang, basemap=basemap, cdn=cdn, output_crs=crs,
                   tianditu_key=tianditu_key, shapefile=shapefile, mandates=mandates,
                   workers=workers)

    result = shown(prog, solve)
    _print_summary(result.report, target)


def check_target(share: float) -> None:
    """``--target`` must be a share in (0, 1] (one-line error, exit 2)."""
    from siting._errors import ScenarioError

    if not (0 < share <= 1):
        msg = (f"--target {share:g}: give the share of the final year's demand to cover, "
               "between 0 and 1, e.g. --target 0.95")
        raise ScenarioError(msg)


def with_target(sc: Scenario, share: float) -> Scenario:
    """``sc`` as a least-cost run to ``share`` of the final year's demand (``--target``)."""
    from siting.scenario import ObjectiveSpec

    check_target(share)
    goal = ObjectiveSpec(target_share=share, budget_cap=sc.objective.budget_cap)
    return sc.model_copy(update={"objective": goal})


def _print_summary(report: Report, target: Path) -> None:
    """The console summary in the run's language (see :mod:`siting.console`)."""
    from siting.console import print_run

    print_run(out, report, target)


@app.command()
def demo(
    out_dir: Annotated[str | None, typer.Option("--out", help="Output folder.")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    tianditu_key: TiandituOpt = None,
    shapefile: ShpOpt = False, quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Run the bundled Suizhou scenario and write maps/suizhou/ (map.html and exports)."""

    def go() -> None:
        check_options(lang, basemap, tianditu_key, crs)
        _run(bundled_scenario(), out_dir if out_dir is not None else Path("maps/suizhou"), lang,
             basemap, cdn, crs, quiet, tianditu_key, shapefile)

    guard(go, debug)


@app.command("run")
def run_cmd(
    scenario: ScenarioArg,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Output folder (default maps/<scenario folder name>).")] = None,
    lang: LangOpt = None, basemap: BasemapOpt = "osm", cdn: CdnOpt = False, crs: CrsOpt = None,
    tianditu_key: TiandituOpt = None,
    shapefile: ShpOpt = False,
    target: Annotated[float | None, typer.Option(
        "--target", help="Least cost to cover this share of the final year's demand, e.g. "
        "0.95 (overrides [objective] target_share).")] = None,
    mandates: Annotated[bool | None, typer.Option(
        "--mandates/--no-mandates", help="Price every mandate: re-solve without each zone "
        "requirement and marked rule family (default: [mandates] price).")] = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:
    """Solve SCENARIO and write the map and exports."""
    guard(lambda: _run(scenario, out_dir, lang, basemap, cdn, crs, quiet, tianditu_key,
                       shapefile, target, mandates, workers), debug)


@app.command()
def validate(
    scenario: ScenarioArg,
    debug: DebugOpt = False,
) -> None:
    """Check SCENARIO and every layer it names, without solving or writing anything."""

    def check() -> None:
        from siting._preflight import check_path_text

        # The path first: a bad one is refused before the pipeline is even imported.
        path = check_path_text(scenario, "scenario")
        from siting.console import print_table
        from siting.validate import validate_scenario

        summary = validate_scenario(path)
        t = Table(title=f"{scenario}: valid", show_header=False)
        for k, v in summary.items():
            t.add_row(k, str(v))
        print_table(out, t, "en")

    guard(check, debug)

