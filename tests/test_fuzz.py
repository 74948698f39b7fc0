"""Property-based fuzzing of ``siting validate`` and ``siting run`` (hypothesis).

Random malformed scenario values (wrong types, negatives, huge numbers, unicode, empty lists,
deleted or unknown keys) and random malformed layers (columns dropped or renamed, junk in
numeric columns, NaN, empty or wrong geometries, random CRS labels) are thrown at the real
CLI. Whatever happens, the exit code is 0, 2 or 3, a failure is ONE ``error:`` line, and the
output never shows a traceback or an "internal error".
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tomllib
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers_cli import DATA, invoke

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

#: More examples when hunting bugs: SITING_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py
N_EXAMPLES = int(os.environ.get("SITING_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=N_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

#: Text without surrogates (not encodable as UTF-8) — everything else is fair game.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
JUNK = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.booleans(),
    st.just([]),
    st.just({}),
    st.lists(st.one_of(st.integers(-5, 5000), TEXT), max_size=3),
    st.dictionaries(TEXT, st.integers(-5, 5), max_size=2),
    st.sampled_from([0, -1, 1e308, -0.0, "", " ", "NaN", "1e999", "２０２５", "随州",
                     "../x.geojson", "/etc/passwd", "EPSG:3857", "GCJ-02", "\x00", "😀"]),
)


# =========================================================================== TOML writer
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(x)}"
                                for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    """Every top-level key as ``key = <inline value>`` (valid TOML for any nesting)."""
    return "".join(f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(v)}\n"
                   for k, v in doc.items())


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into dicts and lists (containers included)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for k in path[:-1]:
        doc = doc[k]
    return doc


BASE_DOC = tomllib.loads((DATA / "scenario.toml").read_text(encoding="utf-8"))
BASE_PATHS = _paths(BASE_DOC)

#: One edit: (path index, action, value).
EDIT = st.tuples(st.integers(0, len(BASE_PATHS) - 1),
                 st.sampled_from(["set", "set", "delete", "add_key", "number", "number",
                                  "number", "first_only"]), JUNK)
#: Valid-looking but extreme numbers: these get past the schema and into the model.
EXTREME = [0, 0.0, 1e-9, 0.001, 1, 2, 1e6, 1e9, 1e15, 1e300]


def apply_edits(edits: list[tuple[int, str, Any]]) -> dict:
    doc = json.loads(json.dumps(BASE_DOC))  # deep copy
    for idx, action, value in edits:
        path = BASE_PATHS[idx]
        try:
            parent = _parent(doc, path)
            key = path[-1]
            if action == "set":
                parent[key] = value
            elif action == "number":
                old = parent[key]
                if isinstance(old, (int, float)) and not isinstance(old, bool):
                    pick = EXTREME[zlib.crc32(repr(value).encode()) % len(EXTREME)]
                    parent[key] = type(old)(pick) if isinstance(old, float) or pick == int(
                        pick) else pick
            elif action == "first_only":
                if isinstance(parent[key], list):
                    parent[key] = parent[key][:1]
            elif action == "delete":
                if isinstance(parent, dict):
                    parent.pop(key, None)
                else:
                    parent.pop(key)
            elif isinstance(parent, dict):
                parent[f"x_{len(parent)}"] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    return doc


# =========================================================================== assertions
def check(res) -> None:
    text = res.output
    event(f"exit {res.exit_code}")
    assert res.exit_code in (0, 2, 3), f"exit {res.exit_code}: {res.exception!r}\n{text}"
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    if res.exit_code:
        errors = [ln for ln in text.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1, text


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The bundled scenario with a shrunken fleet (every 40th point) and a short time limit."""
    root = tmp_path_factory.mktemp("fuzzbase") / "suizhou"
    shutil.copytree(DATA, root)
    fleet = json.loads((root / "fleet.geojson").read_text(encoding="utf-8"))
    fleet["features"] = fleet["features"][::40]
    (root / "fleet.geojson").write_text(json.dumps(fleet, ensure_ascii=False), encoding="utf-8")
    text = (root / "scenario.toml").read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^time_limit_s = .*$", "time_limit_s = 3.0", text)
    assert n == 1
    (root / "scenario.toml").write_text(text, encoding="utf-8")
    return root


class Workdir:
    """A fresh copy of ``base`` per example (hypothesis reuses the test's fixtures)."""

    def __init__(self, base: Path, tmp: Path) -> None:
        self.base, self.tmp, self.n = base, tmp, 0

    def fresh(self) -> Path:
        self.n += 1
        d = self.tmp / f"ex{self.n}"
        shutil.copytree(self.base, d)
        return d


@pytest.fixture
def work(base, tmp_path) -> Workdir:
    return Workdir(base, tmp_path)


# =========================================================================== scenario values
@FUZZ
@given(edits=st.lists(EDIT, min_size=1, max_size=3))
def test_fuzz_scenario_values_validate(work, edits):
    d = work.fresh()
    doc = apply_edits(edits)
    (d / "scenario.toml").write_text(to_toml(doc), encoding="utf-8")
    check(invoke("validate", str(d / "scenario.toml")))


@pytest.mark.slow
@settings(FUZZ, max_examples=max(1, N_EXAMPLES // 5))
@given(edits=st.lists(EDIT, min_size=1, max_size=2))
def test_fuzz_scenario_values_run(work, edits):
    d = work.fresh()
    doc = apply_edits(edits)
    solver = doc.get("solver")
    if isinstance(solver, dict) and isinstance(solver.get("time_limit_s"), (int, float)):
        solver["time_limit_s"] = min(max(solver["time_limit_s"], 0.5), 3.0)  # keep it short
    (d / "scenario.toml").write_text(to_toml(doc), encoding="utf-8")
    out = d / "out"
    res = invoke("run", str(d / "scenario.toml"), "--out", str(out), "-q", "--basemap", "none")
    check(res)
    if res.exit_code:
        assert not out.exists()
    else:
        assert (out / "report.json").is_file()


def test_toml_writer_round_trips():
    assert tomllib.loads(to_toml(BASE_DOC)) == BASE_DOC
    odd = {"a": [float("inf"), -0.0, "\x00😀\n\"'"], "b": {"c d": {"e": []}}}
    back = tomllib.loads(to_toml(odd))
    assert back["b"] == odd["b"] and back["a"][0] == math.inf and back["a"][2] == odd["a"][2]


# =========================================================================== layers
CRS_NAMES = ["EPSG:4326", "EPSG:4490", "EPSG:4547", "EPSG:3857", "EPSG:32649", "EPSG:27700",
             "EPSG:3413", "EPSG:2385", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:99999",
             "not a crs"]
GEOMS = st.sampled_from([
    None,
    {"type": "Point", "coordinates": []},
    {"type": "Point", "coordinates": [113.38, 31.7, 55.0]},
    {"type": "Point", "coordinates": [float("nan"), 31.7]},
    {"type": "Point", "coordinates": [1e10, -1e10]},
    {"type": "MultiPoint", "coordinates": [[113.38, 31.7], [113.39, 31.71]]},
    {"type": "MultiPoint", "coordinates": []},
    {"type": "LineString", "coordinates": [[113.38, 31.7], [113.39, 31.71]]},
    {"type": "Polygon", "coordinates": [[[113.38, 31.7], [113.39, 31.7], [113.38, 31.7]]]},
    {"type": "GeometryCollection", "geometries": []},
])


@st.composite
def layer_edit(draw) -> tuple:
    kind = draw(st.sampled_from(["drop_col", "rename_col", "cell", "cell", "geom", "crs",
                                 "empty", "dup_row", "number", "number", "keep_one"]))
    return (kind, draw(st.sampled_from(["fleet.geojson", "candidates.geojson", "zones.geojson",
                                        "existing.geojson", "substations.geojson",
                                        "h2_supply.geojson", "sensitive.geojson"])),
            draw(st.integers(0, 10_000)), draw(JUNK), draw(GEOMS), draw(TEXT),
            draw(st.sampled_from(CRS_NAMES)))


def apply_layer_edit(d: Path, edit: tuple) -> None:
    kind, name, k, junk, geom, text, crs = edit
    path = d / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    feats = doc["features"]
    f = feats[k % len(feats)] if feats else None
    cols = sorted(feats[0]["properties"]) if feats else []
    col = cols[k % len(cols)] if cols else None
    if kind == "drop_col" and col:
        for g in feats:
            g["properties"].pop(col, None)
    elif kind == "rename_col" and col:
        for g in feats:
            g["properties"][text or "x"] = g["properties"].pop(col, None)
    elif kind == "cell" and f is not None and col:
        f["properties"][col] = junk
    elif kind == "geom" and f is not None:
        f["geometry"] = geom
    elif kind == "crs":
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    elif kind == "empty":
        doc["features"] = []
    elif kind == "dup_row" and f is not None:
        feats.append(json.loads(json.dumps(f)))
    elif kind == "number" and feats:
        # a valid but extreme value in every row's numeric columns (0 vehicles, 1e12 km ...)
        pick = EXTREME[k % len(EXTREME)]
        for g in feats:
            for c, v in list(g["properties"].items()):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    g["properties"][c] = pick
    elif kind == "keep_one" and f is not None:
        doc["features"] = [f]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@FUZZ
@given(edits=st.lists(layer_edit(), min_size=1, max_size=3))
def test_fuzz_layers_validate(work, edits):
    d = work.fresh()
    for e in edits:
        apply_layer_edit(d, e)
    check(invoke("validate", str(d / "scenario.toml")))


@pytest.mark.slow
@settings(FUZZ, max_examples=max(1, N_EXAMPLES // 5))
@given(edits=st.lists(layer_edit(), min_size=1, max_size=2))
def test_fuzz_layers_run(work, edits):
    d = work.fresh()
    for e in edits:
        apply_layer_edit(d, e)
    out = d / "out"
    res = invoke("run", str(d / "scenario.toml"), "--out", str(out), "-q", "--basemap", "none")
    check(res)
    assert (out / "report.json").is_file() if res.exit_code == 0 else not out.exists()
