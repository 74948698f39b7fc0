"""siting for QGIS: Processing algorithms that run the siting command line.

QGIS calls :func:`classFactory` when the plugin is enabled (in the desktop and in
``qgis_process``, which then calls ``initProcessing`` only).
"""


def classFactory(iface):
    from .plugin import SitingPlugin

    return SitingPlugin(iface)
