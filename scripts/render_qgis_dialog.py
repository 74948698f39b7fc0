"""Render the QGIS dialog of ``siting:run`` headless to docs/img/qgis-run-dialog.png.

Runs in QGIS's Python (not the project's venv), without a display:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/render_qgis_dialog.py [OUT.png]

It starts a QGIS application (no main window), initialises Processing, registers the siting
provider from ``qgis_plugin/siting_qgis``, adds the bundled Suizhou layers to the project,
opens Processing's own algorithm dialog (``processing.gui.AlgorithmDialog``, the one the
toolbox opens) with those layers chosen, and grabs the widget to a PNG. Chinese labels need
a CJK font (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "suizhou"
PROCESSING = Path("/usr/share/qgis/python/plugins")


def main(out: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
    from qgis.PyQt.QtGui import QFont

    app = QgsApplication([b"siting"], True)  # an empty argv crashes Qt
    app.initQgis()
    app.setFont(QFont("Noto Sans CJK SC", 9))
    sys.path[:0] = [str(PROCESSING), str(ROOT / "qgis_plugin")]
    from processing.core.Processing import Processing

    Processing.initialize()
    from siting_qgis.provider import SitingProvider

    provider = SitingProvider()  # keep a reference: the registry does not own it
    QgsApplication.processingRegistry().addProvider(provider)
    layers = {}
    for key, name, title in (("NETWORK", "roads", "随州路网 roads"),
                             ("FLEET", "fleet", "车辆台账 fleet"),
                             ("CANDIDATES", "candidates", "候选站点 candidates"),
                             ("EXISTING", "existing", "既有站点 existing"),
                             ("ZONES", "zones", "园区 zones")):
        layer = QgsVectorLayer(str(DATA / f"{name}.geojson"), title, "ogr")
        assert layer.isValid(), name
        QgsProject.instance().addMapLayer(layer)
        layers[key] = layer
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    alg = QgsApplication.processingRegistry().createAlgorithmById("siting:run")
    dlg = AlgorithmDialog(alg)
    dlg.mainWidget().setParameters({**{k: layer.id() for k, layer in layers.items()},
                                    "BUDGET": 32.0, "TIME_LIMIT": 60.0,
                                    "YEARS": "2023,2024,2025"})
    dlg.show()
    for _ in range(10):
        app.processEvents()
    dlg.resize(1000, 1180)  # after show(): the dialog restores its last size when shown
    for _ in range(30):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not dlg.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}")
    dlg.close()
    app.exitQgis()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "qgis-run-dialog.png")
