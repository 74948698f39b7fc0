"""Loading a scenario file: TOML reading, layer paths resolved and checked, validation."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from siting._errors import ScenarioError
from siting._preflight import check_path_text, file_problem
from siting.scenario.messages import format_validation_error
from siting.scenario.schema import Scenario


def _resolve(base: Path, p: Path, allow_outside: bool, field: str, source: Path) -> Path:
    full = (p if p.is_absolute() else (base / p)).resolve()
    if not allow_outside and not full.is_relative_to(base.resolve()):
        where = (f"absolute path '{p}' is outside the scenario folder" if p.is_absolute()
                 else f"path '{p}' leaves the scenario folder")
        msg = (f"{source}: field '{field}': {where}; move the file into it or set "
               "allow_outside_paths = true")
        raise ScenarioError(msg)
    return full


def _resolve_layer_paths(raw: dict, base: Path, source: Path) -> dict:
    """Rewrite every ``path`` key in the raw TOML dict to an absolute, checked path."""
    allow = bool(raw.get("allow_outside_paths", False))

    def walk(node: object, where: str) -> object:
        if isinstance(node, dict):
            out: dict[str, object] = {}
            for k, v in node.items():
                here = f"{where}.{k}" if where else k
                if k in ("path", "cache_dir") and isinstance(v, str):
                    check_path_text(v, f"{source}: field '{here}'")
                    out[k] = str(_resolve(base, Path(v), allow or k == "cache_dir", here,
                                          source))
                else:
                    out[k] = walk(v, here)
            return out
        if isinstance(node, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
        return node

    return walk(raw, "")  # type: ignore[return-value]


def layer_paths(sc: Scenario) -> dict[str, Path]:
    """The files a scenario reads, by field (``"demand.path"`` ...); unset ones left out."""
    checks: list[tuple[str, Path | None]] = [
        ("network.path", sc.network.path),
        ("demand.path", sc.demand.path),
        ("candidates.path", sc.candidates.path),
        ("existing.path", sc.existing.path if sc.existing else None),
        ("zones.path", sc.zones.path if sc.zones else None),
        ("hydrogen.supply.path", sc.hydrogen.supply.path if sc.hydrogen else None),
        ("setbacks.sites.path", sc.setbacks.sites.path if sc.setbacks else None),
        ("grid.substations.path", sc.grid.substations.path if sc.grid else None),
    ]
    return {field: p for field, p in checks if p is not None}


def input_paths(sc: Scenario) -> list[Path]:
    """Everything a run reads: the scenario's folder and each layer file (an output folder may
    not be or contain any of them)."""
    return [sc.source_file.parent, *layer_paths(sc).values()]


def _check_files_exist(sc: Scenario) -> None:
    for field, p in layer_paths(sc).items():
        why = file_problem(p)
        if why == "file not found":
            msg = f"{sc.source_file}: field '{field}': file not found: {p}; check the path"
            raise ScenarioError(msg)
        if why is not None:
            msg = (f"{sc.source_file}: field '{field}': {p} {why}; give the path of a GIS "
                   "file (GeoPackage, GeoJSON, Shapefile, CSV ...)")
            raise ScenarioError(msg)


def _too_deep(path: Path) -> str:
    return (f"{path}: values are nested too deeply (lists or tables inside each other hundreds "
            "of levels deep); a scenario needs only a few levels - check the brackets")


def load_scenario(path: str | Path) -> Scenario:
    """Read, resolve and validate a scenario TOML file.

    Parameters
    ----------
    path
        The scenario file. Layer paths inside it are relative to its folder.

    Returns
    -------
    Scenario
        Frozen, validated; every layer path absolute and existing.

    Raises
    ------
    ScenarioError
        One line naming the file, the field and the fix.

    Notes
    -----
    The file is UTF-8; a byte-order mark at its start (how Windows Notepad saves UTF-8) is
    accepted silently.
    """
    path = check_path_text(path, "scenario")
    why = file_problem(path)
    if why == "file not found":
        msg = f"{path}: scenario file not found; give the path to a scenario .toml file"
        raise ScenarioError(msg)
    if why is not None or path.is_dir():
        msg = f"{path}: {why or 'is a folder, not a file'}; give the path to a scenario .toml file"
        raise ScenarioError(msg)
    try:
        data = path.read_bytes()
    except OSError as e:
        msg = (f"{path}: cannot read the scenario file ({e.strerror or type(e).__name__}); "
               "check its permissions")
        raise ScenarioError(msg) from None
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        msg = f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8"
        raise ScenarioError(msg) from None
    except tomllib.TOMLDecodeError as e:
        msg = f"{path}: not valid TOML: {e}; fix the syntax at that line"
        raise ScenarioError(msg) from None
    except RecursionError:
        raise ScenarioError(_too_deep(path)) from None
    base = path.resolve().parent
    try:
        raw = _resolve_layer_paths(raw, base, path)
        raw["base_dir"] = str(base)
        raw["source_file"] = str(path)
        try:
            sc = Scenario.model_validate(raw)
        except ValidationError as e:
            raise ScenarioError(format_validation_error(path, e, raw)) from None
    except RecursionError:
        raise ScenarioError(_too_deep(path)) from None
    _check_files_exist(sc)
    from siting.crs import parse_crs  # checked now, not after a long solve at export time

    parse_crs(sc.output_crs, where=f"{path}: field 'output_crs'")
    return sc
