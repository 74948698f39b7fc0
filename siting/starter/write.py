"""The entry point of ``siting init``: :func:`write_starter`, in steps — check the options,
place and read the layers, decide the file's contents, render it, then write everything."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siting import tables
from siting._errors import ScenarioError
from siting.scenario import LayerSpec, SolverSpec, StationType
from siting.starter.defaults import bundled, default
from siting.starter.inspection import fleet_segments, inspect_table, split_layer_uri
from siting.starter.placing import PlacedLayer, copy_file, copy_plan, place
from siting.starter.render import Choices, render
from siting.starter.segments import match_kinds, segments_for

#: Layer sections ``init`` can fill, in the order of the command's options.
LAYER_OPTIONS: tuple[str, ...] = ("network", "demand", "candidates", "existing", "zones")
#: The command-line option that gives each layer section (named in messages).
_OPTION = {"network": "--network", "demand": "--fleet", "candidates": "--candidates",
           "existing": "--existing", "zones": "--zones"}


@dataclass
class StarterResult:
    """What :func:`write_starter` wrote and what the user should look at next."""

    scenario: Path
    layers: list[PlacedLayer]
    next_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _LayersRead:
    """What the starter read from the point layers (before writing anything)."""

    #: Options written to each layer section (layer or sheet, header row, crs, coords).
    options: dict[str, dict[str, object]]
    #: Things to tell the user (the sheet chosen in a workbook ...).
    notes: list[str]
    #: Sections whose x/y columns are metres and have no CRS yet.
    metres: list[str]


def write_starter(
    folder: str | Path,
    *,
    network: str | Path,
    fleet: str | Path,
    candidates: str | Path,
    existing: str | Path | None = None,
    zones: str | Path | None = None,
    link: bool = False,
    name: str | None = None,
    years: Sequence[int] | None = None,
    budget_cny: float | None = None,
    time_limit_s: float | None = None,
    lang: str | None = None,
    output_crs: str | None = None,
    crs: str | None = None,
    coords: str | None = None,
) -> StarterResult:
    """Write ``folder/scenario.toml`` for the given layers (copied or referenced).

    Parameters
    ----------
    folder
        Created if missing. Must not hold a ``scenario.toml`` yet.
    network, fleet, candidates, existing, zones
        The layer files (existing and zones optional).
    link
        Reference the layers where they are (paths relative to ``folder``) instead of
        copying them into it.
    name, years, budget_cny, time_limit_s, lang, output_crs
        Scenario settings; default: the bundled scenario's (name: the folder's name).
    crs, coords
        CRS and coordinate convention (``"gcj02"``, ``"bd09"``) of the point layers that do
        not carry one (Excel, CSV): written to their sections.

    Returns
    -------
    StarterResult
        The scenario file, where each layer went, and what to edit next.

    Raises
    ------
    ScenarioError
        ``scenario.toml`` exists, a layer file is missing, a copy would overwrite a
        different file, or an option is invalid. Nothing is written then.
    """
    folder = Path(folder)
    target = _new_scenario_file(folder)
    given, layer_names = _given_layers({"network": network, "demand": fleet,
                                        "candidates": candidates, "existing": existing,
                                        "zones": zones})
    _check_crs_options(crs, coords, output_crs)
    b = bundled()
    yrs = sorted(set(years)) if years else [int(y) for y in b["years"]]
    _check_settings(lang, budget_cny, time_limit_s)
    placed = _place_layers(given, folder, link)
    plan = copy_plan(placed.values(), folder)
    read = _read_layers(placed, layer_names, crs, coords)
    segments, segment_notes, assumed = _segments(placed["demand"], read.options, b, yrs)
    choices = Choices(
        name=name or folder.resolve().name, years=yrs,
        budget_cny=float(budget_cny if budget_cny is not None else b["budget"]["total"]),
        time_limit_s=float(time_limit_s if time_limit_s is not None else
                           default(SolverSpec, "time_limit_s")),
        lang=lang or str(b.get("lang", "zh")), output_crs=output_crs or "EPSG:4326",
        layers=placed, layer_options=read.options, outside=_outside(placed.values()),
        segments=segments, segment_notes=segment_notes, station_types=_station_types(b),
        bundled=b)
    text = render(choices)
    tomllib.loads(text)  # a bug here must not leave a broken file behind
    _write_files(folder, plan, target, text)
    return StarterResult(target, list(placed.values()), _next_steps(choices, read.metres,
                                                                    assumed), read.notes)


# --------------------------------------------------------------------------- checks
def _new_scenario_file(folder: Path) -> Path:
    """``folder/scenario.toml``, refused if it exists or ``folder`` is not a folder."""
    target = folder / "scenario.toml"
    if target.exists() or target.is_symlink():
        msg = (f"{target}: a scenario already exists; init never overwrites it — edit it, or "
               "give another folder")
        raise ScenarioError(msg)
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: not a folder; give a folder for the new scenario"
        raise ScenarioError(msg)
    return target


def _given_layers(uris: dict[str, str | Path | None]) -> tuple[dict[str, Path],
                                                                dict[str, str]]:
    """The layer files given, by section, and the layer names given with them
    (``path|layername=x``); a missing file is refused."""
    given: dict[str, Path] = {}
    layer_names: dict[str, str] = {}
    for section, uri in uris.items():
        if uri is None:
            continue
        p, layer_name = split_layer_uri(uri)
        given[section] = p
        if layer_name is not None:
            layer_names[section] = layer_name
        if not p.is_file():
            msg = (f"{_OPTION[section]} {p}: file not found; give the path of the "
                   f"{'road' if section == 'network' else section} layer")
            raise ScenarioError(msg)
    return given, layer_names


def _check_crs_options(crs: str | None, coords: str | None, output_crs: str | None) -> None:
    """``--coords``, ``--crs`` and ``--output-crs`` are known conventions and CRSs."""
    if coords is not None and coords not in ("wgs84", "gcj02", "bd09"):
        msg = f"--coords {coords}: give wgs84, gcj02 or bd09"
        raise ScenarioError(msg)
    from siting.crs import parse_crs

    if crs is not None:
        parse_crs(crs, where="--crs")
    if output_crs is not None:
        parse_crs(output_crs, where="--output-crs")


def _check_settings(lang: str | None, budget_cny: float | None,
                    time_limit_s: float | None) -> None:
    """``--lang``, ``--budget`` (CNY) and ``--time-limit`` (seconds) are usable values."""
    if lang is not None and lang not in ("zh", "en"):
        msg = f"--lang {lang}: give zh or en"
        raise ScenarioError(msg)
    if budget_cny is not None and not (budget_cny >= 0 and budget_cny < float("inf")):
        msg = f"--budget {budget_cny / 1e6:g}: give a budget >= 0 in million CNY"
        raise ScenarioError(msg)
    if time_limit_s is not None and not (0 < time_limit_s < float("inf")):
        msg = f"--time-limit {time_limit_s:g}: give a number of seconds > 0"
        raise ScenarioError(msg)


# --------------------------------------------------------------------------- decisions
def _place_layers(given: dict[str, Path], folder: Path, link: bool) -> dict[str, PlacedLayer]:
    """Where each layer goes, by section (nothing copied yet)."""
    placed_names: dict[Path, str] = {}
    return {section: place(p, folder, section, link, placed_names)
            for section, p in given.items()}


def _outside(layers: Any) -> bool:
    """True if a layer path leaves the folder (``allow_outside_paths`` is then needed)."""
    return any(lay.path.startswith("../") or Path(lay.path).is_absolute() for lay in layers)


def _read_layers(placed: dict[str, PlacedLayer], layer_names: dict[str, str], crs: str | None,
                 coords: str | None) -> _LayersRead:
    """What the point layers say, read where they are (nothing is written before the copies):
    the sheet and header row of a workbook, and the CRS or coordinate convention its
    coordinate columns need (``crs`` for x/y columns in metres, ``coords`` for lon/lat)."""
    options: dict[str, dict[str, object]] = {
        s: {("sheet" if tables.is_spreadsheet(placed[s].source) else "layer"): name}
        for s, name in layer_names.items()}
    notes: list[str] = []
    metres: list[str] = []
    for section in ("demand", "candidates", "existing"):
        lay = placed.get(section)
        if lay is None:
            continue
        info = inspect_table(lay.source, crs, options.get(section, {}).get("sheet"))
        opts = {**info.options, **options.get(section, {})}
        if lay.source.suffix.lower() in tables.TABLE_SUFFIXES:
            if info.xy_metres:  # --crs is for x/y columns, --coords for lon/lat ones
                if crs is not None:
                    opts["crs"] = crs
                else:
                    metres.append(section)
            elif coords not in (None, "wgs84"):
                opts["coords"] = coords
        options[section] = opts
        notes += info.notes
    return _LayersRead(options, notes, metres)


def _segments(demand: PlacedLayer, options: dict[str, dict[str, object]], b: dict[str, Any],
              years: Sequence[int]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The ``[[segments]]`` for the fleet layer's segment values, notes on how they matched, and
    the ids of those whose figures are borrowed from another segment."""
    spec = LayerSpec(path=demand.source.resolve(),
                     **options.get("demand", {}))  # type: ignore[arg-type]
    values = fleet_segments(spec)
    templates = [dict(s) for s in b["segments"]]
    segments, notes = segments_for(values, templates, years)
    assumed = [s["id"] for s, how in zip(segments, match_kinds(values, templates))
               if how != "id"]
    return segments, notes, assumed


def _station_types(b: dict[str, Any]) -> list[dict[str, Any]]:
    """The bundled station types (validated)."""
    types = [dict(t) for t in b["station_types"]]
    for t in types:
        StationType.model_validate(t)
    return types


# --------------------------------------------------------------------------- writing
def _write_files(folder: Path, plan: list[tuple[Path, Path]], target: Path, text: str) -> None:
    """Create ``folder``, copy the layers, then write ``target`` atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    for src, dest in plan:
        copy_file(src, dest)
    tmp = target.with_name(f".scenario.toml.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def _next_steps(c: Choices, metres: list[str], assumed: list[str]) -> list[str]:
    """What the user should edit next, most pressing first."""
    steps = []
    if metres:
        steps.append(f"set crs = \"EPSG:...\" in [{metres[0]}]: its x/y columns are metres "
                     "(e.g. EPSG:4547 for CGCS2000 3-degree GK, CM 114E), or rerun init with "
                     "--crs")
    if assumed:
        steps.append(f"check [[segments]] {', '.join(assumed)}: figures copied from the Suizhou "
                     "example (new-energy shares, pathway split, consumption, threshold_min)")
    steps.append("replace [[station_types]] capex and capacity with your own quotes (Suizhou's "
                 "assumptions now)")
    steps.append(f"set [budget] total (now {c.budget_cny / 1e6:g} M CNY) and by_year")
    if "zones" in c.layers:
        steps.append("add [[zone_requirements]] if a zone must get a station (example in the "
                     "file)")
    return steps
