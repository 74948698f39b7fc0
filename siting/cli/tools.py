"""The setup and tool commands: ``siting init``, ``siting qgis-plugin``, ``siting network fetch``.

``init`` writes a commented starter scenario for a planner's own layers and checks it;
``qgis-plugin`` builds the QGIS plugin zip; ``network fetch`` downloads a road network once
for offline use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from siting._errors import SitingError
from siting.cli.common import DebugOpt, LangOpt, app, guard, out

if TYPE_CHECKING:
    from siting.starter import StarterResult


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new scenario (created).")],
    network: Annotated[Path, typer.Option("--network", help="Road layer or OSM file.")],
    fleet: Annotated[Path, typer.Option(
        "--fleet", help="Fleet layer: Excel register (.xlsx/.xls), CSV or GIS points.")],
    candidates: Annotated[Path, typer.Option("--candidates", help="Candidate sites (points).")],
    existing: Annotated[Path | None, typer.Option(
        "--existing", help="Existing stations (points).")] = None,
    zones: Annotated[Path | None, typer.Option("--zones", help="Zones (polygons).")] = None,
    link: Annotated[bool, typer.Option(
        "--link", help="Reference the layers where they are instead of copying them.")]
    = False,
    name: Annotated[str | None, typer.Option("--name", help="Scenario title.")] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Planning years, e.g. 2025,2026,2027 (default 2023-2025).")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", help="Total budget in million CNY (default 32).")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", help="Solver time limit, seconds (default 60).")] = None,
    lang: LangOpt = None,
    output_crs: Annotated[str | None, typer.Option(
        "--output-crs", help="CRS of exported layers, e.g. EPSG:4547.")] = None,
    crs: Annotated[str | None, typer.Option(
        "--crs", help="CRS of x/y columns in Excel/CSV layers, e.g. EPSG:4547.")] = None,
    coords: Annotated[str | None, typer.Option(
        "--coords", help="gcj02 or bd09: lon/lat in Excel/CSV layers come from Amap/Baidu.")]
    = None,
    no_validate: Annotated[bool, typer.Option(
        "--no-validate", help="Write the scenario without checking it.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write FOLDER/scenario.toml for your layers (every key explained), then check it."""

    def go() -> None:
        from siting.starter import write_starter

        res = write_starter(folder, network=network, fleet=fleet, candidates=candidates,
                            existing=existing, zones=zones, link=link, name=name,
                            years=_parse_years(years),
                            budget_cny=None if budget is None else budget * 1e6,
                            time_limit_s=time_limit, lang=lang, output_crs=output_crs,
                            crs=crs, coords=coords)
        _print_starter(res, validate=not no_validate)

    guard(go, debug)


def _parse_years(years: str | None) -> list[int] | None:
    """``--years 2025,2026``: the planning years, or None for the starter's default."""
    from siting._errors import ScenarioError

    if not years:
        return None
    try:
        return [int(y) for y in years.replace(" ", "").split(",") if y]
    except ValueError:
        msg = f"--years '{years}': give years separated by commas, e.g. 2025,2026"
        raise ScenarioError(msg) from None


def _print_starter(res: StarterResult, *, validate: bool) -> None:
    """What ``siting init`` wrote, whether it validates (when ``validate``), and what next."""
    out.print(f"wrote {res.scenario}", markup=False, soft_wrap=True)
    for lay in res.layers:
        out.print(f"  [{lay.section}] path = {lay.path!r} ({lay.how}"
                  f"{'' if lay.how == 'in the folder' else ' from ' + str(lay.source)})",
                  markup=False, soft_wrap=True)
    if validate:
        from siting.validate import validate_scenario

        try:
            summary = validate_scenario(res.scenario)
        except SitingError as e:
            out.print(f"{res.scenario} does not validate yet; fix this, then run "
                      f"`siting validate {res.scenario}`:", markup=False, soft_wrap=True)
            raise e from None
        out.print("valid: " + ", ".join(f"{k} {v}" for k, v in summary.items()
                                        if k in ("fleet points", "demand points",
                                                 "candidate sites", "existing stations")),
                  markup=False, soft_wrap=True)
    for note in res.notes:
        out.print(f"note: {note}", markup=False, soft_wrap=True)
    out.print("next:", markup=False, soft_wrap=True)
    for i, step in enumerate(res.next_steps, 1):
        out.print(f"  {i}. {step}", markup=False, soft_wrap=True)
    out.print(f"  then: siting run {res.scenario}", markup=False, soft_wrap=True)


@app.command("qgis-plugin")
def qgis_plugin(
    zip_path: Annotated[str, typer.Option(
        "--zip", help="Where to write the plugin zip (a folder: siting_qgis-VERSION.zip in it).")],
    debug: DebugOpt = False,
) -> None:
    """Build the QGIS plugin zip (Plugins ▸ Manage and Install Plugins ▸ Install from ZIP)."""

    def go() -> None:
        import shutil

        from siting.plugin_zip import build_plugin_zip

        written = build_plugin_zip(zip_path)
        out.print(f"wrote {written}", markup=False, soft_wrap=True)
        me = Path(sys.argv[0]).resolve()
        on_path = shutil.which("siting")
        where = ("it is on this PATH" if on_path and Path(on_path).resolve() == me
                 else "it is NOT on this PATH")
        out.print(f"this siting is {me} ({where}); QGIS finds siting through SITING_EXECUTABLE, "
                  "then Settings ▸ Options ▸ Processing ▸ Providers ▸ siting ▸ siting "
                  "executable, then the PATH QGIS was started with: set one of the first two to "
                  "this path if QGIS does not see it", markup=False, soft_wrap=True)

    guard(go, debug)


network_app = typer.Typer(help="Road-network tools.", no_args_is_help=True)
app.add_typer(network_app, name="network")


@network_app.command("fetch")
def network_fetch(
    out_file: Annotated[Path, typer.Argument(help="Where to save the network (.npz).")],
    place: Annotated[str | None, typer.Option(
        "--place", help="OSM place name, geocoded by Nominatim (e.g. 'Suizhou, Hubei').")]
    = None,
    bbox: Annotated[str | None, typer.Option(
        "--bbox", help="west,south,east,north in WGS84 degrees (no geocoding needed).")] = None,
    cache_dir: Annotated[Path, typer.Option("--cache-dir", help="HTTP/graph cache folder.")]
    = Path(".cache/osm"),
    overpass_url: Annotated[str | None, typer.Option(
        "--overpass-url", help="Overpass API endpoint (a mirror or a local server); default "
        "osmnx's, https://overpass-api.de/api.")] = None,
    nominatim_url: Annotated[str | None, typer.Option(
        "--nominatim-url", help="Nominatim geocoder endpoint for --place (a mirror or a local "
        "server); default osmnx's, https://nominatim.openstreetmap.org/.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Download a truck road network from OpenStreetMap once (cached) and save it for offline use.

    Set the scenario's network.path to the saved .npz afterwards. A download that fails
    leaves no cache folder it created behind.
    """

    def go() -> None:
        from siting._errors import ScenarioError
        from siting.network import load_network, save_network
        from siting.scenario import NetworkSpec

        box: tuple[float, float, float, float] | None = None
        if bbox:
            try:
                west, south, east, north = (float(v) for v in bbox.split(","))
            except ValueError:  # not numbers, or not four of them
                msg = f"--bbox '{bbox}': give four numbers west,south,east,north"
                raise ScenarioError(msg) from None
            box = (west, south, east, north)
        if (place is None) == (box is None):
            msg = "give exactly one of --place or --bbox"
            raise ScenarioError(msg)
        try:
            spec = NetworkSpec(place=place, bbox=box, cache_dir=cache_dir)
        except ValueError:
            msg = (f"--bbox '{bbox}': give west,south,east,north in WGS84 degrees, with west < "
                   "east and south < north (longitudes -180..180, latitudes -90..90)")
            raise ScenarioError(msg) from None
        settings = {k: v for k, v in (("overpass_url", overpass_url),
                                      ("nominatim_url", nominatim_url)) if v}
        net = load_network(spec, osmnx_settings=settings or None)
        save_network(net, out_file)
        out.print(f"{net.n_nodes} nodes, {net.n_edges} edges -> {out_file}")

    guard(go, debug)

