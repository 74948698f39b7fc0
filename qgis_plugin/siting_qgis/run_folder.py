"""What the plugin reads back from a run folder written by ``siting run`` or ``siting sweep``.

The names of the result layers and of their layer-tree group come from the run folder, so
they are in the run's language (``--lang``, else the scenario's) without a second label table
here: each layer's title is its ``gpkg_contents.identifier`` in ``results.gpkg`` (siting writes
the map legend's names there), the group is named after the scenario in ``report.json``. A
sweep's curve layer is named by the title in the sweep folder's ``sweep.json``, in the sweep's
language. This module imports nothing from QGIS, so it is tested on its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

#: Between the scenario's name and the output folder's in a group's name.
GROUP_SEP = " · "


def read_json(folder: str, name: str) -> dict[str, Any]:
    """The JSON object in ``folder/name``, else ``{}`` (missing or unreadable)."""
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def read_report(folder: str) -> dict[str, Any]:
    """``report.json`` of a run folder, else ``{}`` (missing or unreadable)."""
    return read_json(folder, "report.json")


def gpkg_layers(path: str) -> dict[str, str]:
    """``{layer name: title}`` of a GeoPackage's feature layers, in file order; the title is
    the layer's ``gpkg_contents.identifier``, else its name. ``{}`` when it cannot be read."""
    # a URI (for read-only), percent-encoded: a folder named "50% #2" is a path, not a query
    uri = Path(path).absolute().as_uri() + "?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            rows = con.execute("SELECT table_name, identifier FROM gpkg_contents WHERE "
                               "data_type = 'features'").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {str(name): str(title) if title else str(name) for name, title in rows}


def scenario_name(report: dict[str, Any]) -> str:
    """The scenario's name as the run's outputs show it: ``name_en`` in an English run (when
    the scenario has one), else ``name``; ``""`` when the report has none."""
    scenario = report.get("scenario")
    if not isinstance(scenario, dict):
        return ""
    name, name_en = scenario.get("name"), scenario.get("name_en")
    if scenario.get("lang") == "en" and isinstance(name_en, str) and name_en.strip():
        return name_en.strip()
    return name.strip() if isinstance(name, str) else ""


def group_name(report: dict[str, Any], folder: str, *, temporary: bool = False) -> str:
    """The name of the layer-tree group of a run's layers: the scenario's name (see
    :func:`scenario_name`) and the output folder's, which tells two runs of one scenario
    apart (``随州 · 预算 40``); the scenario's name alone for a folder QGIS made (a temporary
    output, named ``OUTPUT``), the folder's alone without a name. Both are shown as they are
    (they are the user's text, not markup)."""
    return _with_folder(scenario_name(report), folder, temporary)


def sweep_layer_name(folder: str, default: str, *, temporary: bool = False) -> str:
    """The name of a sweep's curve layer: the sweep's title from ``sweep.json``, in the
    sweep's language (``随州：覆盖率与预算``), and the folder's name as in
    :func:`group_name`; ``default`` in place of the title for a folder without one (written
    by an older siting)."""
    title = read_json(folder, "sweep.json").get("title")
    if not isinstance(title, str) or not title.strip():
        title = default
    return _with_folder(title.strip(), folder, temporary)


def _with_folder(name: str, folder: str, temporary: bool) -> str:
    """``name · folder`` (the folder's base name), ``name`` alone for a temporary folder or
    one named ``name``, the folder's name alone when ``name`` is empty."""
    base = os.path.basename(os.path.normpath(folder)) or folder
    if not name:
        return base
    if temporary or name == base:
        return name
    return f"{name}{GROUP_SEP}{base}"
