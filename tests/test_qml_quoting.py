"""Station-type ids in the QGIS style's rule filters: read back by QGIS as written.

A rule filter is a QGIS expression, whose string literals take backslash escapes: an id with
a backslash (``swap\\heavy\\``) quoted by only doubling quotes made a filter QGIS could not
parse, and every station of that type was drawn with the grey fallback symbol.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from siting.qml import layer_styles
from tests.helpers_maps import make_result

#: Type ids a scenario may use: backslashes (one at the end), quotes, a line break, a tab.
IDS = ("swap\\heavy\\", "hub'o \"q\"", "line\nbreak", "tab\there", "=h2 {{7*7}}")
#: The escapes QGIS's expression lexer resolves inside a '...' literal.
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'"}
_FILTER = re.compile(r"^\"station_type\" = '((?:''|\\.|[^'\\])*)' AND (NOT )?\"existing\"$",
                     re.S)


def _qgis_literal(body: str) -> str:
    """The text of a QGIS string literal's body (between the quotes), as QGIS reads it."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif c == "'":  # '' inside a literal is one quote
            out.append("'")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _station_filters() -> list[str]:
    result = make_result()
    types = list(IDS) + list(IDS)
    result.stations["station_type"] = types[: len(result.stations)]
    qml = layer_styles(result, "zh", {})["stations"]
    rules = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2/rules")
    assert rules is not None
    return [r.get("filter", "") for r in rules if r.get("filter") != "ELSE"]


def test_rule_filters_quote_type_ids_as_qgis_reads_them():
    seen = set()
    for expr in _station_filters():
        m = _FILTER.match(expr)
        assert m, f"not one literal: {expr!r}"
        seen.add(_qgis_literal(m.group(1)))
    assert set(IDS) <= seen


QGIS_CHECK = r"""
import json, sys
from qgis.core import (QgsApplication, QgsExpression, QgsExpressionContext, QgsFeature,
                       QgsField, QgsFields)
from qgis.PyQt.QtCore import QVariant
app = QgsApplication([], False); app.initQgis()
cases = json.load(sys.stdin)
fields = QgsFields()
fields.append(QgsField("station_type", QVariant.String))
fields.append(QgsField("existing", QVariant.Bool))
out = []
for expr, type_id, existing in cases:
    e = QgsExpression(expr)
    f = QgsFeature(fields); f.setAttribute(0, type_id); f.setAttribute(1, existing)
    ctx = QgsExpressionContext(); ctx.setFeature(f)
    out.append([e.hasParserError(), bool(e.evaluate(ctx))])
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no system python")
def test_qgis_parses_every_rule_and_matches_its_stations():
    probe = subprocess.run(["/usr/bin/python3", "-c", "import qgis.core"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        pytest.skip("QGIS's python3-qgis is not installed")
    cases = []
    for expr in _station_filters():
        m = _FILTER.match(expr)
        assert m
        cases.append([expr, _qgis_literal(m.group(1)), m.group(2) is None])
    res = subprocess.run(["/usr/bin/python3", "-c", QGIS_CHECK], input=json.dumps(cases),
                         capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got == [[False, True]] * len(cases), list(zip(cases, got, strict=True))
