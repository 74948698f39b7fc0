"""Online OpenStreetMap through osmnx: the place geocoder (Nominatim) and the road download
(Overpass), each failure named after the service that failed.

The endpoints are osmnx settings (``nominatim_url``, ``overpass_url``), set only for the call
and restored afterwards (:func:`osmnx_settings`); ``siting network fetch`` exposes them as
``--nominatim-url`` and ``--overpass-url``. Before the road query the Overpass server is
asked for its ``/status`` (what osmnx's rate limiting asks anyway), so that a machine without
internet fails within seconds, naming Overpass, instead of after osmnx's 60 s back-off.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

from siting._errors import DownloadError, NetworkError
from siting.network.graph import one_line
from siting.network.osm import overpass_truck_filter
from siting.network.tags import LIMIT_TAGS

#: What the services are called in messages, and the CLI option that changes each.
NOMINATIM = "the geocoder (Nominatim)"
OVERPASS = "the Overpass API"
NOMINATIM_OPTION = "--nominatim-url"
OVERPASS_OPTION = "--overpass-url"
#: Seconds to wait for the Overpass server's status page (connect, read) before the query.
STATUS_TIMEOUT_S = (10.0, 30.0)


@contextmanager
def osmnx_settings(**overrides: Any) -> Iterator[None]:
    """Temporarily set ``osmnx.settings`` values; restore them (and DNS patching) afterwards.

    osmnx keeps its configuration in module globals and patches ``socket.getaddrinfo`` when
    it talks to Overpass; both are put back when the block ends, whatever happens in it. Not
    thread-safe (nor is osmnx).

    Raises
    ------
    ValueError
        A name that is not an osmnx setting.
    """
    import osmnx as ox

    unknown = [k for k in overrides if not hasattr(ox.settings, k)]
    if unknown:
        msg = f"unknown osmnx setting(s) {unknown}; see osmnx.settings for the names"
        raise ValueError(msg)
    saved = {k: getattr(ox.settings, k) for k in overrides}
    saved_getaddrinfo = socket.getaddrinfo
    try:
        for k, v in overrides.items():
            setattr(ox.settings, k, v)
        yield
    finally:
        for k, v in saved.items():
            setattr(ox.settings, k, v)
        socket.getaddrinfo = saved_getaddrinfo


class _GraphQuery(TypedDict):
    """The osmnx ``graph_from_*`` options shared by the bbox and the place download."""

    custom_filter: str
    simplify: bool
    retain_all: bool
    truncate_by_edge: bool


def download_graph(*, place: str | None, bbox: tuple[float, float, float, float] | None,
                   http_cache: Path, settings: Mapping[str, Any] | None = None) -> Any:
    """Download the fleet road network with osmnx (unsimplified, all components kept).

    Parameters
    ----------
    place, bbox
        An OSM place name (geocoded by Nominatim) or ``(west, south, east, north)`` in WGS84
        degrees; exactly one.
    http_cache
        Folder for osmnx's own HTTP response cache (created).
    settings
        Extra ``osmnx.settings`` for the call (``overpass_url``, ``nominatim_url``,
        ``requests_timeout`` ...); restored afterwards.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx graph in EPSG:4326 (node ``x`` = lon, ``y`` = lat; edge ``length`` in metres).

    Raises
    ------
    DownloadError
        A service cannot be reached or refused the query (the message names it, its URL and
        the option that changes it); the place is unknown or not an area; no roads found.
    NetworkError
        An unknown osmnx setting.
    """
    import osmnx as ox

    # the way tags siting reads beyond osmnx's own (posted limits for trucks, by direction)
    tags = [*ox.settings.useful_tags_way, *(t for t in LIMIT_TAGS
                                            if t not in ox.settings.useful_tags_way)]
    opts: dict[str, Any] = {"cache_folder": str(http_cache), "use_cache": True,
                            "log_console": False, "log_file": False, "useful_tags_way": tags}
    opts.update(settings or {})
    unknown = sorted(k for k in opts if not hasattr(ox.settings, k))
    if unknown:
        msg = f"unknown osmnx setting(s) {unknown}; see osmnx.settings for the names"
        raise NetworkError(msg)
    http_cache.mkdir(parents=True, exist_ok=True)
    answers_cached = any(http_cache.glob("*.json"))  # osmnx may answer without a server
    common: _GraphQuery = {"custom_filter": overpass_truck_filter(), "simplify": False,
                           "retain_all": True, "truncate_by_edge": True}
    what = f"place '{place}'" if bbox is None else f"bbox {list(bbox)}"
    with osmnx_settings(**opts):
        polygon = None if bbox is not None else _geocode(str(place))
        if not answers_cached:
            _check_overpass(ox.settings.overpass_url, ox.settings.requests_timeout, what)
        try:
            if bbox is not None:
                return ox.graph_from_bbox(bbox, **common)
            return ox.graph_from_polygon(polygon, **common)
        except Exception as e:  # osmnx, requests and parsing errors of several types
            raise _overpass_error(e, what, ox.settings.overpass_url) from None


def _geocode(place: str) -> Any:
    """The boundary polygon of an OSM place (osmnx ``geocode_to_gdf``), WGS84."""
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    url = ox.settings.nominatim_url
    try:
        gdf = ox.geocode_to_gdf(place)
    except InsufficientResponseError as e:
        msg = (f"{NOMINATIM} at {url} found no place '{place}' ({one_line(e)}); check the "
               "spelling (an OSM place name, e.g. 'Suizhou, Hubei, China') or give a bbox "
               "instead (--bbox west,south,east,north, or network.bbox)")
        raise DownloadError(msg, service="nominatim") from None
    except TypeError:
        msg = (f"{NOMINATIM} at {url} found '{place}' but not as an area (a point or a line, "
               "not a city or district boundary); give a bbox instead (--bbox "
               "west,south,east,north, or network.bbox)")
        raise DownloadError(msg, service="nominatim") from None
    except Exception as e:  # requests errors, HTTP errors, unreadable answers
        msg = (f"{NOMINATIM} at {url} cannot geocode place '{place}': {failure_reason(e)}; "
               "check the internet connection, use another Nominatim server "
               f"({NOMINATIM_OPTION} URL), or give a bbox instead of a place (--bbox "
               "west,south,east,north, or network.bbox: no geocoding needed)")
        raise DownloadError(msg, service="nominatim") from None
    return gdf.union_all()


def _check_overpass(url: str, timeout_s: float, what: str) -> None:
    """Raise :class:`DownloadError` naming Overpass when its status page cannot be reached
    (any HTTP answer counts as reachable: mirrors without ``/status`` answer 404)."""
    import requests

    status = url.rstrip("/") + "/status"
    timeout = (min(STATUS_TIMEOUT_S[0], timeout_s), min(STATUS_TIMEOUT_S[1], timeout_s))
    try:
        requests.get(status, timeout=timeout)
    except requests.RequestException as e:
        raise _unreachable(what, url, failure_reason(e)) from None


def _overpass_error(e: Exception, what: str, url: str) -> DownloadError:
    """The one-line error for a failed road query."""
    import requests
    from osmnx._errors import InsufficientResponseError

    if isinstance(e, InsufficientResponseError):
        msg = (f"no drivable roads found for {what} ({one_line(e)}; empty network); check "
               "the place name or bbox [west, south, east, north] in WGS84 degrees")
        return DownloadError(msg, service="overpass")
    if isinstance(e, (requests.RequestException, OSError)):
        return _unreachable(what, url, failure_reason(e))
    msg = (f"cannot download OSM roads for {what}: {OVERPASS} at {url} gave an unusable "
           f"answer ({failure_reason(e)}); try again later or use another Overpass server "
           f"({OVERPASS_OPTION} URL), or give network.path (an .osm.pbf extract)")
    return DownloadError(msg, service="overpass")


def _unreachable(what: str, url: str, reason: str) -> DownloadError:
    """Overpass cannot be reached: the one-line error."""
    msg = (f"cannot download OSM roads for {what}: {OVERPASS} at {url} cannot be reached: "
           f"{reason}; check the internet connection, use another Overpass server "
           f"({OVERPASS_OPTION} URL), or give network.path (an .osm.pbf extract, or a .npz "
           "saved by `siting network fetch` on a connected machine)")
    return DownloadError(msg, service="overpass")


def failure_reason(e: BaseException) -> str:
    """Why a request failed, in a few words (no URL dumps, never cut mid-word).

    Walks the exception's causes (requests -> urllib3 -> socket) for a known reason: the
    host name not resolved, the connection refused or timed out, a TLS failure, an HTTP
    error status; else the shortened message.
    """
    import requests
    import urllib3.exceptions as u3

    seen: list[BaseException] = []
    todo: list[Any] = [e]
    while todo:
        x = todo.pop(0)
        if not isinstance(x, BaseException) or any(x is s for s in seen):
            continue
        seen.append(x)
        todo += [getattr(x, "reason", None), x.__cause__, x.__context__, *x.args]
    for x in seen:
        if isinstance(x, (u3.NameResolutionError, socket.gaierror)):
            return "its host name could not be resolved (no internet connection or DNS)"
        if isinstance(x, ConnectionRefusedError) or (
                isinstance(x, OSError) and x.errno == errno.ECONNREFUSED) or (
                isinstance(x, u3.NewConnectionError) and "refused" in str(x).lower()):
            return "the connection was refused (nothing answers at that address and port)"
        if isinstance(x, (u3.ConnectTimeoutError, requests.ConnectTimeout)):
            return "no connection within the time limit (offline, or a firewall)"
        if isinstance(x, (u3.ReadTimeoutError, requests.ReadTimeout)):
            return "no answer within the time limit (the server is busy; try again later)"
        if isinstance(x, (u3.SSLError, requests.exceptions.SSLError)):
            return "the secure (TLS) connection failed (a proxy or a wrong clock?)"
        if isinstance(x, requests.HTTPError) and x.response is not None:
            return f"it answered HTTP {x.response.status_code} {x.response.reason}"
    return one_line(e)


__all__ = ["download_graph", "failure_reason", "osmnx_settings"]
