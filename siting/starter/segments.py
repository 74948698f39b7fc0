"""The starter's ``[[segments]]``: the fleet layer's segment values matched to the bundled
segments, whose figures they get."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from siting.scenario import Segment

#: The segment whose figures an unrecognised fleet segment gets (marked as an assumption).
FALLBACK_SEGMENT = "municipal"


def _core(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    t = re.sub(r"\(.*?\)", "", t)
    t = re.sub(r"[\s_\-&/]+", "", t)
    return re.sub(r"(车辆|车)$", "", t)


def match_segment(value: str, templates: Sequence[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                             str]:
    """The bundled segment a fleet ``segment`` value stands for.

    Returns
    -------
    (dict, str)
        The template and how it matched: ``"id"`` (the value is a bundled id), ``"name"``
        (it names one: ``环卫`` for 环卫作业车辆, ``logistics`` ...), or ``"assumed"`` (the
        :data:`FALLBACK_SEGMENT`'s figures).
    """
    for t in templates:
        if value == t["id"]:
            return t, "id"
    v = _core(value)
    if v:
        for t in templates:
            names = [_core(str(t.get(k, ""))) for k in ("id", "name", "name_en")]
            if any(n and (v == n or (len(v) >= 2 and (v in n or n in v))) for n in names):
                return t, "name"
    fallback = next((t for t in templates if t["id"] == FALLBACK_SEGMENT), templates[0])
    return fallback, "assumed"


def _year_shares(shares: dict[str, float], years: Sequence[int]) -> dict[str, float]:
    """The bundled new-energy shares carried to other years (nearest bundled year)."""
    have = sorted(int(y) for y in shares)
    return {str(y): float(shares[str(min(have, key=lambda h: (abs(h - y), -h)))])
            for y in years}


def match_kinds(values: list[str] | None, templates: list[dict[str, Any]]) -> list[str]:
    """How each fleet segment value matched (see :func:`match_segment`); every bundled
    segment is an ``"id"`` when the fleet layer could not be read (``values`` None)."""
    if values is None:
        return ["id"] * len(templates)
    return [match_segment(v, templates)[1] for v in values]


def segments_for(values: list[str] | None, templates: list[dict[str, Any]],
                 years: Sequence[int]) -> tuple[list[dict[str, Any]], list[str]]:
    """The [[segments]] for the fleet's segment values (all bundled ones if unreadable).

    Returns
    -------
    (list of dict, list of str)
        The segment tables (validated; ``nev_share`` for ``years``) and a note per segment
        whose figures were borrowed.
    """
    notes: list[str] = []
    if values is None:
        chosen = [(t, t["id"], "id") for t in templates]
        notes.append("The fleet layer could not be read yet (`siting validate` says why): "
                     "all bundled segments are listed.")
    else:
        chosen = []
        for v in values:
            t, how = match_segment(v, templates)
            chosen.append((t, v, how))
            if how == "name":
                notes.append(f"Segment '{v}': figures of the bundled '{t['id']}' "
                             f"({t.get('name', '')}).")
            elif how == "assumed":
                notes.append(f"Segment '{v}': ASSUMPTION — no bundled segment matches; "
                             f"figures copied from '{t['id']}'. Check them.")
    out = []
    for t, v, how in chosen:
        seg = dict(t)
        seg["id"] = v
        if how == "assumed":
            seg["name"], seg["name_en"] = v, v
        seg["nev_share"] = _year_shares({str(k): x for k, x in t["nev_share"].items()}, years)
        Segment.model_validate(seg)
        out.append(seg)
    return out, notes
