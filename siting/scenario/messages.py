"""One-line messages about a scenario: pydantic's errors reworded, unknown names with a
suggestion."""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import ValidationError

from siting._errors import echo


def unknown_name(what: str, value: str, known: list[str]) -> str:
    """``"<what> '<value>' is not defined (did you mean 'x'?); known: [...]"``."""
    near = difflib.get_close_matches(value, known, n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return f"{what} {echo(value)} is not defined{hint}; known: {known}"


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """``" (did you mean 'x'?)"`` for the closest known name, or an empty string."""
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


#: Arrays of tables in a scenario; an error inside one names the entry (1-based) and its id.
_TABLE_ARRAYS = ("segments", "station_types", "corridors", "zone_requirements")


def _entry_hint(raw: dict, loc: tuple) -> str:
    """``" ([[corridors]] entry 2, id 'hedian_urban')"`` for a location inside a table array.

    Field paths keep TOML's 0-based positions (``corridors.1.origin``); people count entries
    from 1, so the entry is named that way too, with its id when it has one.
    """
    if len(loc) < 2 or loc[0] not in _TABLE_ARRAYS or not isinstance(loc[1], int):
        return ""
    items = raw.get(loc[0])
    if not isinstance(items, list) or not 0 <= loc[1] < len(items):
        return ""
    item = items[loc[1]]
    ident = item.get("id", item.get("zone")) if isinstance(item, dict) else None
    named = f", id {echo(ident)}" if isinstance(ident, str) else ""
    return f" ([[{loc[0]}]] entry {loc[1] + 1}{named})"


def format_validation_error(path: Path, err: ValidationError,
                            raw: dict | None = None) -> str:
    """One line naming the file, the first failing field and what is wrong."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p not in ("function-after",))
    msg = first["msg"].removeprefix("Value error, ")
    fix = ""
    inp = first.get("input")
    if first["type"] == "extra_forbidden":
        msg = "unknown key (misspelt?); remove it or check the scenario reference in README"
    elif first["type"] == "missing":
        msg = "required field is missing; add it"
    elif isinstance(inp, bool) and first["type"] in ("float_type", "int_type"):
        msg = "true/false is not a number"
        fix = "; give a number" if first["type"] == "float_type" else "; give a whole number"
    elif first["type"] in _TYPE_FIXES:
        fix = _TYPE_FIXES[first["type"]]
    shown = f" (got {echo(inp)})" if isinstance(inp, (str, int, float)) and first["type"] not in (
        "missing", "value_error") else ""
    more = f" [+{len(err.errors()) - 1} more]" if len(err.errors()) > 1 else ""
    where = f"field '{loc}'{_entry_hint(raw or {}, first['loc'])}: " if loc else ""
    return f"{path}: {where}{msg}{shown}{fix}{more}"


#: The fix appended to pydantic's wording for common type errors.
_TYPE_FIXES: dict[str, str] = {
    "float_parsing": "; give a number without quotes or units, e.g. 32000000.0",
    "float_type": "; give a number (without quotes)",
    "int_parsing": "; give a whole number without quotes",
    "int_type": "; give a whole number (without quotes or decimals)",
    "int_from_float": "; give a whole number",
    "bool_parsing": "; give true or false",
    "bool_type": "; give true or false (without quotes)",
    "string_type": "; give text in double quotes",
    "list_type": "; give a list in square brackets",
    "dict_type": "; give a table, e.g. { key = value }",
    "literal_error": "",
    "greater_than": "; give a larger value",
    "greater_than_equal": "; give a larger value",
    "less_than_equal": "; give a smaller value",
    "finite_number": "; give a finite number",
}
