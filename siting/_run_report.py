"""A run folder's ``report.json`` checked before ``compare`` and ``brief`` use it.

The shape is :class:`siting.report.Report`'s (one definition of the report). This first pass
is *strict*, as JSON: a number must be a JSON number (``true``/``false`` and ``"1.5"`` are not
numbers, though a lax read takes ``true`` for 1), text must be text, tables tables. Keys may be
absent here; :func:`siting.report.read_report` then parses the file into the typed
:class:`~siting.report.Report`, which names a missing required key in one line too.

A file edited into the wrong shape gives one line naming the file and the first key at fault,
instead of a crash deep in a table or a PDF page.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from siting._errors import InputDataError, echo

_KINDS = {"float_type": "a number", "int_type": "a whole number", "string_type": "text",
          "bool_type": "true or false", "dict_type": "a table ({...})",
          "list_type": "a list ([...])", "model_type": "a table ({...})",
          "literal_error": "one of the allowed words"}
_REWRITE = "re-run `siting run` to rewrite it (or give a folder written by this siting)"


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    kind = ("a number" if isinstance(value, (int, float)) else "text" if isinstance(value, str)
            else "a table" if isinstance(value, dict) else "a list" if isinstance(value, list)
            else type(value).__name__)
    return kind + (f" {echo(value)}" if isinstance(value, (str, int, float)) else "")


def _optional_everywhere(tp: Any) -> Any:
    """``tp`` with every pydantic model inside it replaced by :func:`_partial` of it."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _partial(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None or not args or origin is typing.Literal:
        return tp
    inner = tuple(_optional_everywhere(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[inner]  # noqa: UP007 - built from a tuple
    return origin[inner] if len(inner) > 1 else origin[inner[0]]


@functools.cache
def _partial(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with every field optional (default None), nested models too; extra keys kept."""
    fields: dict[str, Any] = {
        name: (_optional_everywhere(f.annotation) | None, None)
        for name, f in model.model_fields.items()}
    return create_model(f"Partial{model.__name__}", __config__=ConfigDict(extra="allow"),
                        **fields)


def check_report(report: object, path: Path | str) -> dict[str, Any]:
    """Return ``report`` (parsed ``report.json``) if it has the shape of a run report.

    Raises
    ------
    InputDataError
        One line naming the file, the first key (dotted path, e.g. ``solver.gap``) that holds
        the wrong type, what it holds and what belongs there.
    """
    from siting.report import Report

    if not isinstance(report, dict):
        msg = f"{path}: the top level is {_json_kind(report)}, not a JSON object; {_REWRITE}"
        raise InputDataError(msg)
    try:
        _partial(Report).model_validate_json(json.dumps(report, allow_nan=True), strict=True)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        want = _KINDS.get(first["type"], first["msg"].removeprefix("Input should be "))
        msg = (f"{path}: key '{loc}' holds {_json_kind(first.get('input'))} where {want} "
               f"belongs; {_REWRITE}")
        raise InputDataError(msg) from None
    return report


__all__ = ["check_report"]
