"""Output writers, one module per file kind: the run folder's GeoJSON, report, GeoPackage,
CSV, map and Shapefiles (:mod:`.run` writes them all, atomically).

:func:`write_outputs` writes the output contract (see the design notes) into a temporary
sibling folder and renames it into place only when every file is complete, so an error or
Ctrl-C never leaves a half-written run and never destroys the previous one:

- ``stations.geojson`` — chosen stations, always WGS84 (RFC 7946), every ``STATION_COLUMNS``
  property; plus ``stations_<CRS>.geojson`` (e.g. ``stations_EPSG4547.geojson``) when another
  output CRS is asked for, with that CRS named in the file;
- ``report.json`` — ``result.report`` plus ``output_crs``; UTF-8, keys sorted, floats rounded,
  so re-running a scenario rewrites it byte for byte (only ``solver.seconds`` and
  ``timings`` vary between runs);
- ``results.gpkg`` — layers ``stations``, ``demand``, ``candidates``, ``coverage_areas``,
  ``zones``, ``roads`` and any extra layers, in the output CRS, with QGIS styles stored in the
  GeoPackage ``layer_styles`` table (QGIS applies them when the layers are opened);
- ``summary.csv`` — one row per station, UTF-8 with BOM (Excel), Chinese headers for
  ``lang="zh"``;
- ``summary.xlsx`` — the same table as an Excel workbook with typed cells (a site id such as
  ``001`` stays text) and an "about" sheet: what the figures count, for which year, how the
  plan was found, where the data come from (:mod:`siting._xlsx`);
- ``map.html`` — through the ``map_writer`` callable (see :mod:`siting.maps`);
- optionally Shapefiles (:func:`write_shapefile`): GBK-encoded with ``.cpg``, ASCII field
  names of at most 10 characters, a ``shapefile_fields.csv`` listing the full column names.

``GCJ-02``/``BD-09`` output shifts the coordinates for overlay on Amap/Baidu basemaps; the
files are then labelled EPSG:4326 (there is no EPSG code for either), and say so.
"""

from siting.export.geopackage import (
    GPKG_LAYERS,
    GPKG_VERSION,
    write_geopackage,
    write_layer_styles,
)
from siting.export.json_files import (
    DEGREE_DECIMALS,
    FLOAT_DECIMALS,
    METRE_DECIMALS,
    clean_value,
    geojson_text,
    report_text,
)
from siting.export.run import (
    CONTRACT_FILES,
    MapWriter,
    OutputOptions,
    check_replaceable,
    write_outputs,
    write_run,
)
from siting.export.shapefile import (
    SHAPEFILE_FIELDS,
    SHAPEFILE_LAYERS,
    shapefile_field_names,
    write_shapefile,
)
from siting.export.summary import (
    summary_about,
    summary_frame,
    write_summary_csv,
    write_summary_xlsx,
)

__all__ = ["CONTRACT_FILES", "DEGREE_DECIMALS", "FLOAT_DECIMALS", "GPKG_LAYERS",
           "GPKG_VERSION", "METRE_DECIMALS", "SHAPEFILE_FIELDS", "SHAPEFILE_LAYERS",
           "MapWriter", "OutputOptions", "check_replaceable", "clean_value", "geojson_text",
           "report_text", "shapefile_field_names", "summary_about", "summary_frame",
           "write_geopackage", "write_layer_styles", "write_outputs", "write_run",
           "write_shapefile", "write_summary_csv", "write_summary_xlsx"]
