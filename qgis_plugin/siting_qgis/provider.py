"""The ``siting`` Processing provider and its setting (where the siting executable is).

Loading it sets the language of the plugin's own texts from QGIS's locale (:mod:`.i18n`).
"""

from __future__ import annotations

import os

from qgis.core import QgsProcessingProvider, QgsSettings
from qgis.PyQt.QtCore import QLocale
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS
from .i18n import set_locale, tr
from .runner import SETTING_KEY

ICON = os.path.join(os.path.dirname(__file__), "icon.svg")
#: QGIS's setting of its interface language (QGIS writes it at start, from *Settings ▸
#: Options ▸ General ▸ Override system locale* or the system's locale).
LOCALE_KEY = "locale/userLocale"


def user_locale() -> str:
    """QGIS's locale (``zh_CN``, ``en_US`` ...): :data:`LOCALE_KEY`, else the system's (in
    ``qgis_process``, which does not write the setting)."""
    return str(QgsSettings().value(LOCALE_KEY, "", type=str) or QLocale().name())


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
        set_locale(user_locale())  # before the algorithms and the setting are made
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
