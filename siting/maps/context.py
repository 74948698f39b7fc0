"""Per-map lookups shared by the layer builders and the legend: language, names, units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from siting import _format
from siting.i18n import t
from siting.maps.style import DEFAULT_COLOR, safe_color
from siting.maps.values import local_name, text, truthy

if TYPE_CHECKING:
    from siting.results import SitingResult
    from siting.scenario import StationType

__all__ = ["MapContext"]


@dataclass(frozen=True)
class MapContext:
    """Per-map lookups: language, station types, zone and segment names, the weight unit."""

    lang: str
    types: dict[str, StationType]
    type_order: tuple[str, ...]
    zone_names: dict[str, str]
    segment_names: dict[str, str]
    weight_unit: str

    @classmethod
    def make(cls, result: SitingResult, lang: str) -> MapContext:
        """The lookups of ``result`` in ``lang`` (``"zh"``/``"en"``)."""
        sc = result.scenario
        zone_names: dict[str, str] = {}
        if result.zones is not None and len(result.zones):
            ids = result.zones.get("zone_id", pd.Series(dtype=object))
            names = result.zones.get("name", ids)
            zone_names = {str(i): str(n) for i, n in zip(ids, names, strict=False)}
        segs = {s.id: local_name(s.name, s.name_en, s.id, lang) for s in sc.segments}
        unit = t("unit.vehicles", lang) if sc.weight == "vehicles" else "kWh" + t(
            "unit.per_day", lang)
        return cls(lang=lang, types={st.id: st for st in sc.station_types},
                   type_order=tuple(st.id for st in sc.station_types), zone_names=zone_names,
                   segment_names=segs, weight_unit=unit)

    def t(self, key: str, **values: object) -> str:
        """The label ``key`` in this map's language (plain text)."""
        return t(key, self.lang, **values)

    def type_name(self, type_id: str) -> str:
        """Display name of a station type (its id when the scenario does not define it)."""
        st = self.types.get(type_id)
        return local_name(st.name, st.name_en, st.id, self.lang) if st else str(type_id)

    def type_look(self, type_id: str) -> tuple[str, str, str]:
        """(colour, glyph, family) of a station type, safe for inline CSS/HTML."""
        st = self.types.get(type_id)
        if st is None:
            return DEFAULT_COLOR, "?", "charging"
        return safe_color(st.color), (st.glyph or "?")[:2], st.family

    def zone(self, zone_id: object) -> str:
        """Display name of a zone id (``none`` when empty)."""
        z = text(zone_id)
        return self.zone_names.get(z, z) if z else self.t("word.none")

    def pathway(self, pathway: str) -> str:
        """Display name of a technology pathway (the raw value when unknown)."""
        try:
            return self.t(f"pathway.{pathway}")
        except KeyError:
            return pathway

    def money(self, cny: object) -> str:
        """CNY in 万元 / M CNY with the unit (see :func:`siting._format.money`)."""
        return _format.money(cny, self.lang)

    def yes_no(self, flag: object) -> str:
        """``是``/``否`` or ``yes``/``no``."""
        return self.t("word.yes") if truthy(flag) else self.t("word.no")
