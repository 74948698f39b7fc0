"""The ``siting`` Processing provider and its setting (where the siting executable is)."""

from __future__ import annotations

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS, tr
from .runner import SETTING_KEY

ICON = os.path.join(os.path.dirname(__file__), "icon.svg")


class SitingProvider(QgsProcessingProvider):
    """Algorithms ``siting:validate``, ``siting:run``, ``siting:sweep``, ``siting:brief``."""

    def id(self) -> str:
        return "siting"

    def name(self) -> str:
        return "siting"

    def longName(self) -> str:
        return tr("siting — swap, charging and hydrogen station siting")

    def icon(self) -> QIcon:
        return QIcon(ICON)

    def svgIconPath(self) -> str:
        return ICON

    def load(self) -> bool:
        try:  # the setting shows under Settings ▸ Options ▸ Processing ▸ Providers
            from processing.core.ProcessingConfig import ProcessingConfig, Setting

            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(
                self.name(), SETTING_KEY,
                tr("siting executable (full path; empty: SITING_EXECUTABLE, then PATH)"), "",
                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        except ImportError:  # Processing's Python part missing: the env var and PATH still work
            pass
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(SETTING_KEY)
        except (ImportError, KeyError):
            pass

    def loadAlgorithms(self) -> None:
        for alg in ALGORITHMS:
            self.addAlgorithm(alg())
