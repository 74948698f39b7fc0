"""Reading the scenario's vector layers: checked, repaired where safe, returned in WGS84.

:func:`read_layer` is the single entry point for every input layer (fleet points, candidate
sites, zones, supply sites ...). It reads any format GDAL knows through pyogrio (GeoPackage,
GeoJSON, Shapefile ...) plus plain CSV tables with lon/lat columns (:func:`read_table`), and
stops at the first problem with a one-line message naming the file, the row (1-based feature
number, in file order) and the fix.

What is checked, in order:

1. the file exists, is a regular file (not a folder, named pipe or device) and GDAL can
   open it (else :class:`~siting._errors.ScenarioError`);
2. it has features and a geometry column;
3. the required columns exist (a missing one gets a "did you mean" suggestion; a column that
   differs only in letter case is accepted and renamed);
4. no feature has an empty geometry, and geometries are of the expected family
   (``"point"``, ``"line"``, ``"polygon"`` or ``"any"``; single-part multi-points become
   points when points are expected);
5. the CRS: the file's own, else the scenario's ``crs`` for the layer, else
   :class:`~siting._errors.CRSMismatchError`; projected CRSs are reprojected;
6. coordinates are possible lon/lat after reprojection (finite, |lon| <= 180, |lat| <= 90;
   else an error, with a hint when they look like swapped lon/lat or like metres labelled
   as degrees); features outside China (73-136 E, 3-54 N) only get a warning, with the same
   hints, since real data from elsewhere is fine;
7. column values: ``"number"`` and ``"int"`` columns must be finite and non-negative
   (``"int"`` also whole), ``"text"`` columns non-empty; ids unique;
8. invalid polygons (self-intersections, bow-ties) are **repaired** with
   ``shapely.make_valid`` (keeping the polygonal part) and a warning is logged, because such
   polygons are common in hand-digitised planning data and the repair does not move vertices;
9. coordinates flagged ``coords = "gcj02"`` / ``"bd09"`` are shifted to WGS84.

Shapefiles: the encoding comes from the ``.cpg`` file (or the DBF language id); when neither
exists GDAL assumes Latin-1, which garbles Chinese text, so UTF-8 is tried and then GBK.

One module per step:

- :mod:`~siting.layers.read` — :func:`read_layer`, the steps above in order;
- :mod:`~siting.layers.files` — opening the file: GIS formats with their encodings, CSV tables
  (:func:`read_table`), spreadsheets;
- :mod:`~siting.layers.columns` — columns found by name, values checked by kind, ids unique;
- :mod:`~siting.layers.geometry` — geometry families, invalid polygons repaired;
- :mod:`~siting.layers.coordinates` — the CRS, reprojection to WGS84, lon/lat checks;
- :mod:`~siting.layers.records` — how messages name a record (:func:`feature_label`), ids
  and cells as text (:func:`id_text`).
"""

from __future__ import annotations

from siting.layers.columns import ColumnKind
from siting.layers.coordinates import CHINA_BBOX
from siting.layers.files import read_table
from siting.layers.geometry import GeomFamily
from siting.layers.read import read_layer
from siting.layers.records import feature_label, id_text, is_table

__all__ = [
    "CHINA_BBOX", "ColumnKind", "GeomFamily", "feature_label", "id_text", "is_table",
    "read_layer", "read_table",
]
