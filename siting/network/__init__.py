"""Road networks from any source, as one compact array structure (:class:`RoadNetwork`).

One module per job:

- :mod:`~siting.network.graph` — :class:`RoadNetwork`, :class:`ComponentReport`, lengths and
  road-class helpers shared by the readers;
- :mod:`~siting.network.osm` — OSM files (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``,
  one pass with pyosmium) and the fleet road filter every OSM-derived source shares;
- :mod:`~siting.network.graphml` — networkx graphs and GraphML files (same filter);
- :mod:`~siting.network.lines` — GIS line layers noded into a routable graph;
- :mod:`~siting.network.tags` — GDAL's ``other_tags`` text and posted limits (``maxspeed``);
- :mod:`~siting.network.npz` — the compact ``.npz`` file (:func:`save_network`,
  :func:`read_npz`);
- :mod:`~siting.network.download` — online OpenStreetMap (Nominatim geocoder, Overpass API)
  through osmnx;
- :mod:`~siting.network.load` — :func:`load_network`: dispatch on the file suffix, downloads,
  and the ``.npz`` cache of downloads and large local files.

Every way/line vertex becomes a node (no simplification), so snapping is to the real road
shape and :meth:`RoadNetwork.edges_gdf` draws the real geometry. Edge lengths are great-circle
(haversine) metres between consecutive vertices; ``x``/``y`` are in the UTM zone of the
network's mean position (EPSG:326xx, :func:`siting.crs.utm_crs`), e.g. EPSG:32649 for Suizhou.
"""

from __future__ import annotations

from siting.crs import utm_crs
from siting.network.download import download_graph, osmnx_settings
from siting.network.graph import (
    CLASS_ALIASES,
    EARTH_RADIUS_M,
    ComponentReport,
    RoadNetwork,
    haversine_m,
    normalise_class,
)
from siting.network.graphml import from_networkx, read_graphml
from siting.network.lines import from_lines, read_lines
from siting.network.load import (
    COMPONENT_WARN_SHARE,
    LOCAL_CACHE_FORMAT,
    LOCAL_CACHE_MIN_BYTES,
    SUPPORTED_SUFFIXES,
    cache_key,
    load_network,
)
from siting.network.npz import read_npz, save_network
from siting.network.osm import (
    TRUCK_HIGHWAYS,
    drop_reason,
    is_truck_way,
    oneway_direction,
    overpass_truck_filter,
    read_osm,
    read_osm_ways,
)

__all__ = [
    "CLASS_ALIASES", "COMPONENT_WARN_SHARE", "EARTH_RADIUS_M", "LOCAL_CACHE_FORMAT",
    "LOCAL_CACHE_MIN_BYTES", "SUPPORTED_SUFFIXES", "TRUCK_HIGHWAYS", "ComponentReport",
    "RoadNetwork", "cache_key", "download_graph", "drop_reason", "from_lines",
    "from_networkx", "haversine_m", "is_truck_way", "load_network", "normalise_class",
    "oneway_direction", "osmnx_settings", "overpass_truck_filter", "read_graphml",
    "read_lines", "read_npz", "read_osm", "read_osm_ways", "save_network", "utm_crs",
]
