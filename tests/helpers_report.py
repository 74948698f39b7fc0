"""A complete, valid :class:`siting.report.Report` for tests that build results by hand."""

from __future__ import annotations

from typing import Any

from siting.report import Report


def make_report(*, years: tuple[int, ...] = (2025,), name: str = "test plan",
                coverage: float = 0.75, vehicles: float = 400.0, budget: float = 3e7,
                spent: float = 1.7e7, schematic: bool = True, status: str = "optimal",
                provenance: str = "SCHEMATIC test data — 示意", **overrides: Any) -> Report:
    """A report whose figures agree with each other (the final year carries ``coverage``)."""
    by_year = {}
    for y in years:
        by_year[str(y)] = {
            "year": y, "nev_vehicles": vehicles, "vehicles_covered": coverage * vehicles,
            "demand_weight": vehicles, "weight_covered": coverage * vehicles,
            "coverage_share": coverage, "energy_kwh_per_day": 10 * vehicles,
            "energy_kwh_per_day_served": 10 * vehicles * coverage, "h2_kg_per_day": 0.0,
            "h2_kg_per_day_served": 0.0, "new_stations": 1, "stations_open": 1,
            "spent": spent / len(years), "budget": None}
    doc: dict[str, Any] = {
        "siting_version": "test",
        "scenario": {"name": name, "years": list(years), "weight": "vehicles", "lang": "zh"},
        "budget": budget, "spent": spent, "objective": coverage * vehicles * len(years),
        "coverage_share": coverage,
        "headline": {"year": years[-1], "unit": "NEV vehicles", "covered": coverage * vehicles,
                     "total": vehicles, "share": coverage, "vehicles_covered": coverage * vehicles,
                     "vehicles_total": vehicles},
        "by_year": by_year, "by_type": {},
        "solver": {"name": "highs", "status": status, "gap": 0.0, "bound": None, "seconds": 1.0},
        "inputs": {"demand_points": 4, "fleet_points": 2, "candidates": 3, "existing_stations": 1,
                   "options": 5, "excluded_options": 0, "network_nodes": 10,
                   "network_edges": 20, "corridors": 0},
        "network": {"source": "schematic line layer roads.gpkg", "schematic": schematic},
        "data_provenance": provenance,
    }
    doc.update(overrides)
    return Report.model_validate(doc)
