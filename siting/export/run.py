"""Write a run folder: every file of the output contract, atomically (see :mod:`siting.export`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siting import i18n
from siting._atomic import atomic_dir, check_output_dir
from siting.crs import WGS84, crs_slug, parse_crs, to_output_crs
from siting.export import geopackage
from siting.export.json_files import geojson_text, report_text
from siting.export.shapefile import write_shapefile
from siting.export.summary import write_summary_csv, write_summary_xlsx
from siting.results import STATION_COLUMNS, SitingResult
from siting.scenario import input_paths

logger = logging.getLogger(__name__)

MapWriter = Callable[[SitingResult, Path], Any]
#: Files every run folder holds (map.html only when a map writer is given).
CONTRACT_FILES: tuple[str, ...] = ("map.html", "stations.geojson", "report.json",
                                   "results.gpkg", "summary.csv")


# =========================================================================== entry points
@dataclass(frozen=True)
class OutputOptions:
    """How a run folder is written: the options of ``siting run`` (and of each sweep point).

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``; None = the scenario's.
    basemap, cdn, tianditu_key
        Map options (see :func:`siting.maps.build_map`).
    crs
        CRS of the exported layers; None = the scenario's ``output_crs``.
    shapefile
        Also write Shapefiles.
    """

    lang: str | None = None
    basemap: str = "osm"
    cdn: bool = False
    tianditu_key: str | None = None
    crs: str | None = None
    shapefile: bool = False


def write_run(result: SitingResult, out_dir: str | Path, options: OutputOptions) -> Path:
    """Write a run folder — map and exports — with the same options wherever it is written
    (``siting run``, ``siting demo``, each budget of ``siting sweep``)."""
    from siting.maps import write_map

    lang = options.lang or result.scenario.lang

    def map_writer(res: SitingResult, path: Path) -> None:
        write_map(res, path, lang=lang, basemap=options.basemap, cdn=options.cdn,
                  tianditu_key=options.tianditu_key)

    return write_outputs(result, out_dir, crs=options.crs or result.scenario.output_crs,
                         lang=lang, map_writer=map_writer, shapefile=options.shapefile)


def write_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    crs: str | None = None,
    lang: str | None = None,
    map_writer: MapWriter | None = None,
    shapefile: bool = False,
) -> Path:
    """Write a run's output folder atomically.

    Parameters
    ----------
    result
        The solved plan (GeoDataFrames in WGS84).
    out_dir
        The run folder. Created, or replaced as a whole if it holds a previous run (it must
        then contain ``report.json``; any other non-empty folder is refused).
    crs
        Output CRS of the GeoPackage, the extra ``stations_<CRS>.geojson``, the Shapefiles
        and the x/y columns of ``summary.csv``: ``EPSG:xxxx``, ``CGCS2000``, ``GCJ-02``,
        ``BD-09`` ... (see :func:`siting.crs.parse_crs`). Default WGS84 (EPSG:4326).
        ``stations.geojson`` is WGS84 whatever this says.
    lang
        ``"zh"`` or ``"en"`` for the CSV headers and style labels; default the scenario's.
    map_writer
        ``map_writer(result, path)`` writes ``map.html`` (e.g. :func:`siting.maps.write_map`
        with options bound). None: no map is written.
    shapefile
        Also write Shapefiles into ``<out_dir>/shapefile/`` (see :func:`write_shapefile`).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    ScenarioError
        ``out_dir`` is a file, or a non-empty folder that is not a previous run.
    """
    out = Path(out_dir)
    target = parse_crs(crs, where="output_crs") if crs else WGS84
    lang = _lang(result, lang)
    with atomic_dir(out, kind="run", inputs=input_paths(result.scenario)) as tmp:
        stations = result.stations
        if stations.crs is not None and stations.crs.to_epsg() != 4326:
            stations = stations.to_crs(WGS84)
        _write_text(tmp / "stations.geojson", geojson_text(stations, name="stations",
                                                          first=STATION_COLUMNS))
        if target != WGS84:
            name = f"stations_{crs_slug(target)}"
            _write_text(tmp / f"{name}.geojson", geojson_text(
                to_output_crs(stations, target), name=name, first=STATION_COLUMNS,
                crs_name=target))
        _write_text(tmp / "report.json", report_text(result.report, output_crs=target))
        geopackage.write_geopackage(result, tmp / "results.gpkg", crs=target, lang=lang)
        write_summary_csv(result, tmp / "summary.csv", crs=target, lang=lang)
        write_summary_xlsx(result, tmp / "summary.xlsx", crs=target, lang=lang)
        if shapefile:
            write_shapefile(result, tmp / "shapefile", target)
        if map_writer is not None:
            map_writer(result, tmp / "map.html")
    logger.info("wrote %s", out)
    return out


def check_replaceable(out: Path, *, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output path that is a file, an input, or a non-empty folder that is not a
    siting run (see :func:`siting._atomic.check_output_dir`)."""
    check_output_dir(out, "run", inputs=inputs)


def _lang(result: SitingResult, lang: str | None) -> str:
    lang = lang or getattr(result.scenario, "lang", "zh")
    return lang if lang in i18n.LANGS else "en"




def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


