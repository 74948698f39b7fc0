"""Per-map lookups shared by the layer builders and the legend: language, names, units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from siting import _format
from siting.i18n import t
from siting.maps.values import local_name, text, truthy
from siting.names import zone_names
from siting.symbology import TypeSymbol, symbols_from_types

if TYPE_CHECKING:
    from siting.report import Report
    from siting.results import SitingResult

__all__ = ["MapContext", "zone_names"]


@dataclass(frozen=True)
class MapContext:
    """Per-map lookups: language, station-type symbols, zone and segment names, the report."""

    lang: str
    symbols: dict[str, TypeSymbol]
    zone_names: dict[str, str]
    segment_names: dict[str, str]
    weight_unit: str
    report: Report

    @classmethod
    def make(cls, result: SitingResult, lang: str) -> MapContext:
        """The lookups of ``result`` in ``lang`` (``"zh"``/``"en"``)."""
        sc = result.scenario
        present = ([text(v) for v in result.stations["station_type"]]
                   if "station_type" in result.stations.columns else [])
        segs = {s.id: local_name(s.name, s.name_en, s.id, lang) for s in sc.segments}
        unit = t("unit.vehicles", lang) if sc.weight == "vehicles" else t("unit.kwh_day", lang)
        return cls(lang=lang, symbols=symbols_from_types(sc.station_types, lang,
                                                         extra_ids=present),
                   zone_names=zone_names(result.zones, lang), segment_names=segs,
                   weight_unit=unit, report=result.report)

    @property
    def type_order(self) -> tuple[str, ...]:
        """Station type ids in the scenario's order (then types only the plan names)."""
        return tuple(self.symbols)

    def t(self, key: str, **values: object) -> str:
        """The label ``key`` in this map's language (plain text)."""
        return t(key, self.lang, **values)

    def type_name(self, type_id: str) -> str:
        """Display name of a station type (its id when nothing defines it)."""
        sym = self.symbols.get(type_id)
        return sym.label if sym else str(type_id)

    def symbol(self, type_id: str) -> TypeSymbol:
        """The symbol of a station type (see :mod:`siting.symbology`)."""
        return self.symbols.get(type_id) or TypeSymbol(type_id, type_id, "#555555", "?",
                                                       "charging")

    def type_look(self, type_id: str) -> tuple[str, str, str]:
        """(colour, glyph, family) of a station type, safe for inline CSS/HTML."""
        s = self.symbol(type_id)
        return s.color, s.glyph, s.family

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

    def unit(self, unit: str) -> str:
        """A unit in this language: ``kWh/day`` → ``kWh/日``; others as given."""
        return {"kWh/day": self.t("unit.kwh_day"), "kg/day": self.t("unit.kg_day"),
                "kWh": "kWh", "kg": "kg"}.get(unit, unit)

    def money(self, cny: object) -> str:
        """CNY in 万元 / M CNY with the unit (see :func:`siting._format.money`)."""
        return _format.money(cny, self.lang)

    def yes_no(self, flag: object) -> str:
        """``是``/``否`` or ``yes``/``no``."""
        return self.t("word.yes") if truthy(flag) else self.t("word.no")
