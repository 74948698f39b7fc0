"""The plugin object QGIS loads: registers the Processing provider, nothing else."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import SitingProvider


class SitingPlugin:
    """Adds the ``siting`` provider to the Processing toolbox (desktop and qgis_process)."""

    def __init__(self, iface: object) -> None:
        self.iface = iface
        self.provider: SitingProvider | None = None

    def initProcessing(self) -> None:
        if self.provider is None:
            self.provider = SitingProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        self.initProcessing()

    def unload(self) -> None:
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
