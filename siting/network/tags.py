"""OSM tags beyond the road class: GDAL's ``other_tags`` text and posted speed limits.

- :func:`parse_other_tags` reads the ``other_tags`` (or ``all_tags``) column of a layer that
  GDAL's OSM driver (QGIS opening an ``.osm``/``.osm.pbf``) made: every tag that is not a
  column of its own, as hstore text ``"oneway"=>"yes","maxspeed"=>"60"`` (quotes and
  backslashes in keys and values escaped with a backslash; ``tags_format=json`` in
  ``osmconf.ini`` gives a JSON object instead). No dependency of siting parses hstore text
  (psycopg2's parser needs a PostgreSQL client), hence this small one.
- :func:`maxspeed_kph` reads an OSM ``maxspeed`` value: ``"60"``, ``"60 km/h"``, ``"40 mph"``,
  ``"50;60"`` (the lowest), ``"none"`` (no limit); a zone (``"CN:urban"``, ``"DE:rural"``),
  ``"signals"``, ``"variable"``, ``"walk"`` or other text gives no number.
  :class:`MaxspeedTally` counts such values so that the network can report them.
- :meth:`MaxspeedTally.limits` reads a way's limits by direction and vehicle group
  (:data:`LIMIT_FIELDS`): ``maxspeed`` for every vehicle, ``maxspeed:hgv`` for heavy goods
  vehicles (over 3.5 t: the scenario's ``heavy`` class), each as ``key:forward`` (the way's
  drawn direction) or ``key:backward`` where that is given, else ``key``.

A posted limit only ever lowers an edge's speed (see
:meth:`siting.network.RoadNetwork.edge_speeds_kph`): the scenario's class speeds are what
working trucks drive, usually below the limit, and they may not drive faster than it. A heavy
vehicle keeps to both limits: ``min(class speed, maxspeed, maxspeed:hgv)``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from siting._cells import is_blank
from siting._errors import clip

if TYPE_CHECKING:
    import pandas as pd

#: Columns in which GDAL's OSM driver keeps the tags that have no column of their own.
TAG_COLUMNS: tuple[str, ...] = ("other_tags", "all_tags")
#: The OSM keys of posted limits: every vehicle, heavy goods vehicles (``hgv``, over 3.5 t).
LIMIT_KEYS: tuple[str, ...] = ("maxspeed", "maxspeed:hgv")
#: What :meth:`MaxspeedTally.limits` gives per way, in this order (km/h, NaN = none):
#: ``maxspeed`` forward (the way's drawn direction) and backward, ``maxspeed:hgv`` likewise.
LIMIT_FIELDS: tuple[str, ...] = ("forward", "backward", "hgv_forward", "hgv_backward")
#: Every tag a way's limits are read from (each key, and with ``:forward``/``:backward``).
LIMIT_TAGS: tuple[str, ...] = tuple(f"{k}{d}" for k in LIMIT_KEYS
                                    for d in ("", ":forward", ":backward"))
_NO_LIMITS = (math.nan,) * len(LIMIT_FIELDS)
#: Highest limit taken as a speed (km/h); larger numbers are typing errors.
MAX_LIMIT_KPH = 300.0
#: km/h per unit of a ``maxspeed`` value (OSM: a bare number is km/h).
_UNITS = {"": 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?", re.IGNORECASE)
#: One ``"key"=>"value"`` (or ``"key"=>NULL``) pair of hstore text, then a comma or the end.
_PAIR = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))\s*(?:,|\Z)',
                   re.DOTALL | re.IGNORECASE)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def parse_other_tags(text: object) -> tuple[dict[str, str], bool]:
    """The tags of GDAL's ``other_tags`` text.

    Parameters
    ----------
    text
        hstore text as GDAL's OSM driver writes it (``"k"=>"v","k2"=>"v2"``, ``\\"`` and
        ``\\\\`` escaped inside quotes, ``=>`` and commas allowed in quoted values), or a
        JSON object (``tags_format=json``); None/NaN/empty give no tags.

    Returns
    -------
    (dict, bool)
        The tags (a ``NULL`` value leaves its key out), and False when the text could not be
        read to its end (a Shapefile cuts text fields at 254 bytes): the pairs before the
        first unreadable one are kept.
    """
    if _is_missing(text):
        return {}, True
    s = str(text).strip()
    if not s:
        return {}, True
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            return {}, False
        if not isinstance(obj, dict):
            return {}, False
        return {str(k): str(v) for k, v in obj.items() if v is not None}, True
    tags: dict[str, str] = {}
    pos = 0
    while pos < len(s):
        m = _PAIR.match(s, pos)
        if m is None:
            return tags, False
        if m.group(3) is None:
            tags[_unescape(m.group(1))] = _unescape(m.group(2))
        pos = m.end()
    return tags, True


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text) if "\\" in text else text


def maxspeed_kph(raw: object) -> float | None:
    """A posted speed limit in km/h.

    Parameters
    ----------
    raw
        An OSM ``maxspeed`` value (``"60"``, ``"60 km/h"``, ``"40 mph"``, ``"50;60"``,
        ``"none"`` ...), a number (a line layer's column, km/h), or a list of such values
        (an osmnx edge merged from several ways).

    Returns
    -------
    float or None
        The lowest limit given, km/h; NaN when there is none (no value, ``"none"``, or 0 as
        Geofabrik's shapefiles write an unknown limit); None when the value holds no
        readable limit (``"CN:urban"``, ``"signals"``, ``"walk"``, a number above
        :data:`MAX_LIMIT_KPH` ...).
    """
    if _is_missing(raw) or isinstance(raw, bool):
        return None if isinstance(raw, bool) else math.nan
    if isinstance(raw, (int, float)):
        return _in_range(float(raw))
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    limits: list[float] = []
    unread = False
    for part in (p.strip().lower() for item in items for p in str(item).split(";")):
        m = _SPEED.fullmatch(part)
        if m is not None:
            kph = _in_range(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])
            if kph is None:
                unread = True
            elif not math.isnan(kph):
                limits.append(kph)
        elif part not in ("", "none"):
            unread = True
    if limits:
        return min(limits)
    return None if unread else math.nan


def _in_range(kph: float) -> float | None:
    """NaN for 0 (no limit known), None beyond a plausible limit, else ``kph``."""
    if kph == 0:
        return math.nan
    return kph if 0 < kph <= MAX_LIMIT_KPH else None


class MaxspeedTally:
    """Reads ``maxspeed`` values one by one and counts those holding no readable limit."""

    def __init__(self) -> None:
        #: Values not understood (as text, clipped) -> number of source roads with it.
        self.unread: Counter[str] = Counter()

    def kph(self, raw: object) -> float:
        """:func:`maxspeed_kph` of ``raw``, NaN (counted in :attr:`unread`) when unreadable."""
        kph = self._read(raw)
        return math.nan if kph is None else kph

    def _read(self, raw: object) -> float | None:
        """:func:`maxspeed_kph` of ``raw``; an unreadable value is counted in :attr:`unread`."""
        kph = maxspeed_kph(raw)
        if kph is None:
            text = ";".join(map(str, raw)) if isinstance(raw, Sequence) and not isinstance(
                raw, str) else str(raw)
            self.unread[clip(" ".join(text.split()))] += 1
        return kph

    def limits(self, get: Callable[[str], object]) -> tuple[float, ...]:
        """A way's posted limits by direction and vehicle group (:data:`LIMIT_FIELDS`).

        Parameters
        ----------
        get
            The way's value of a tag (None when it has none): ``dict.get``, pyosmium's
            ``TagList.get``, a line layer's or a graph edge's lookup.

        Returns
        -------
        tuple of float
            km/h, NaN = no limit: for each key of :data:`LIMIT_KEYS`, the forward and the
            backward limit. ``key:forward``/``key:backward`` is the limit in that direction
            where it gives a number, else ``key`` (an unreadable value is counted in
            :attr:`unread`).
        """
        raw = {k: get(k) for k in LIMIT_TAGS}
        if all(raw[k] is None for k in LIMIT_TAGS[1:]):  # the common case, fast
            return (self.kph(raw["maxspeed"]),) * 2 + _NO_LIMITS[2:]
        out: list[float] = []
        for key in LIMIT_KEYS:
            both = self.kph(raw[key])
            for way in ("forward", "backward"):
                value = raw[f"{key}:{way}"]
                kph = None if is_blank(value) else self._read(value)
                out.append(both if kph is None or math.isnan(kph) else kph)
        return tuple(out)


class LayerTags:
    """The OSM tags of a GIS line layer's features.

    A tag's value is the feature's value in the column of the tag's name (``maxspeed``,
    ``access`` ... as a custom ``osmconf.ini`` or a Geofabrik shapefile has them; for a key
    with ``:``, such as ``maxspeed:hgv``, also a column with ``_`` instead: ``maxspeed_hgv``);
    where that is missing or blank, the tag from GDAL's ``other_tags`` (:data:`TAG_COLUMNS`).

    Parameters
    ----------
    table
        The layer's attribute table, one row per feature.
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self._table = table
        #: The ``other_tags``/``all_tags`` column, or None (not a layer GDAL's OSM driver made).
        self.tag_column = next((c for c in TAG_COLUMNS if c in table.columns), None)
        #: Each feature's parsed ``other_tags`` (empty without the column).
        self.rows: list[dict[str, str]] = []
        #: Positions of the features whose ``other_tags`` could not be read to its end.
        self.incomplete: list[int] = []
        if self.tag_column is not None:
            for i, text in enumerate(table[self.tag_column].tolist()):
                tags, whole = parse_other_tags(text)
                self.rows.append(tags)
                if not whole:
                    self.incomplete.append(i)

    def column(self, key: str) -> str | None:
        """The column holding tag ``key``: ``key`` itself, else ``key`` with ``_`` for ``:``
        (``maxspeed_hgv``); None when the layer has neither."""
        return next((c for c in (key, key.replace(":", "_")) if c in self._table.columns),
                    None)

    def has(self, key: str) -> bool:
        """True when some feature may give ``key`` (a column of that name, or other_tags)."""
        return self.column(key) is not None or self.tag_column is not None

    def values(self, key: str) -> list[object]:
        """``key``'s value for every feature (column first, then other_tags; None = none)."""
        name = self.column(key)
        if name is None:
            return [r.get(key) for r in self.rows] if self.rows else [None] * len(self._table)
        col = self._table[name].tolist()
        if not self.rows:
            return [None if is_blank(v) else v for v in col]
        return [r.get(key) if is_blank(v) else v for v, r in zip(col, self.rows, strict=True)]
