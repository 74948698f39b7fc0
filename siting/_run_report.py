"""A run folder's ``report.json`` as ``compare`` and ``brief`` read it: JSON, types checked.

The report is written by :func:`siting.pipeline.build_report`, but a folder handed to
``siting compare`` or ``siting brief`` may come from another version, or have been edited by
hand. Before anything uses it, every key those commands read is checked to have the JSON type
it should (a number where a number belongs, never ``true``/``false``, text, tables, lists);
a key of the wrong type is one line naming the file and the key, instead of a crash deep in
a table or a PDF page. Missing keys are allowed (the readers treat them as unknown), and so
are extra keys (a newer version may add some).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Strict, ValidationError

from siting._errors import InputDataError, echo

#: A JSON number (an integer is accepted where a decimal is expected); true/false is not one.
Num = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]


class _Open(BaseModel):
    """Known keys are typed and optional; unknown keys are kept."""

    model_config = ConfigDict(extra="allow")


class _Scenario(_Open):
    name: Text | None = None
    name_en: Text | None = None
    file: Text | None = None
    years: list[Int] | None = None
    weight: Text | None = None
    lang: Text | None = None
    weight_unit: Text | None = None


class _TypeRow(_Open):
    name: Text | None = None
    count: Int | None = None
    new: Int | None = None
    capex: Num | None = None
    capacity: Num | None = None
    capacity_unit: Text | None = None
    served_demand: Num | None = None


class _ZoneRow(_Open):
    count: Int | None = None
    by_type: dict[str, Int] | None = None
    capex: Num | None = None


class _YearRow(_Open):
    new_stations: Int | None = None
    spent: Num | None = None
    budget: Num | None = None
    coverage_share: Num | None = None
    demand_weight: Num | None = None


class _ShareRow(_Open):
    name: Text | None = None
    name_en: Text | None = None
    coverage_share: Num | None = None
    demand_weight: Num | None = None


class _Corridor(_Open):
    id: Text | None = None
    name: Text | None = None
    weight: Num | None = None
    length_km: Num | None = None
    covered: Num | None = None


class _ZoneRequirement(_Open):
    zone: Text | None = None
    pathway: Text | None = None
    station_type: Text | None = None
    min: Int | None = None
    by_year: Int | None = None


class _Solver(_Open):
    name: Text | None = None
    status: Text | None = None
    gap: Num | None = None
    bound: Num | None = None
    seconds: Num | None = None
    time_limit_s: Num | None = None
    mip_gap: Num | None = None
    capacitated: Flag | None = None
    max_alloc_options: Int | None = None
    variables: Int | None = None
    constraints: Int | None = None


class _Network(_Open):
    source: Text | None = None
    schematic: Flag | None = None
    components: Int | None = None
    largest_component_share: Num | None = None
    crs: Text | None = None


class RunReport(_Open):
    """The keys of ``report.json`` that ``compare`` and ``brief`` read, with their types."""

    siting_version: Text | None = None
    scenario: _Scenario | None = None
    budget: Num | None = None
    budget_by_year: dict[str, Num | None] | None = None
    spent: Num | None = None
    objective: Num | None = None
    coverage_share: Num | None = None
    demand_weight_total: Num | None = None
    by_type: dict[str, _TypeRow] | None = None
    by_zone: dict[str, _ZoneRow] | None = None
    by_year: dict[str, _YearRow] | None = None
    by_segment: dict[str, _ShareRow] | None = None
    by_pathway: dict[str, _ShareRow] | None = None
    corridors: list[_Corridor] | None = None
    zone_requirements: list[_ZoneRequirement] | None = None
    grid: dict[str, dict[str, Num | None]] | None = None
    solver: _Solver | None = None
    inputs: dict[str, Int] | None = None
    network: _Network | None = None
    data_provenance: Text | None = None
    output_crs: Text | None = None
    timings: dict[str, Num] | None = None
    extra_layers: list[Text] | None = None


_KINDS = {"float_type": "a number", "int_type": "a whole number", "string_type": "text",
          "bool_type": "true or false", "dict_type": "a table ({...})",
          "list_type": "a list ([...])", "model_type": "a table ({...})"}
_REWRITE = "re-run `siting run` to rewrite it (or give a folder written by siting)"


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def check_report(report: object, path: Path | str) -> dict[str, Any]:
    """Return ``report`` (parsed ``report.json``) if every key read has its JSON type.

    Raises
    ------
    InputDataError
        One line naming the file, the first key of the wrong type (dotted path, e.g.
        ``solver.gap``), what it holds and what it should hold.
    """
    if not isinstance(report, dict):
        msg = f"{path}: the top level is {_json_kind(report)}, not a JSON object; {_REWRITE}"
        raise InputDataError(msg)
    try:
        RunReport.model_validate(report)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        inp = first.get("input")
        want = _KINDS.get(first["type"], first["msg"].removeprefix("Input should be "))
        if isinstance(inp, bool) or inp is None:
            held = echo(inp) if inp is not None else "null"
        else:
            held = _json_kind(inp) + (f" {echo(inp)}" if isinstance(inp, (str, int, float))
                                      else "")
        msg = f"{path}: key '{loc}' holds {held} where {want} belongs; {_REWRITE}"
        raise InputDataError(msg) from None
    return report


def read_report(path: Path | str) -> dict[str, Any]:
    """Read and check a run folder's ``report.json`` (see :func:`check_report`).

    Raises
    ------
    InputDataError
        The file is missing, unreadable, not JSON, or has a key of the wrong type.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: not found; give a folder written by `siting run` or `siting demo`"
        raise InputDataError(msg)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        msg = f"{path}: not valid JSON ({e.msg} at line {e.lineno}); {_REWRITE}"
        raise InputDataError(msg) from None
    except (OSError, UnicodeDecodeError, RecursionError) as e:
        msg = f"{path}: cannot be read as JSON ({type(e).__name__}); {_REWRITE}"
        raise InputDataError(msg) from None
    return check_report(report, path)


__all__ = ["RunReport", "check_report", "read_report"]
