"""The QGIS plugin zip: ``siting qgis-plugin --zip siting_qgis.zip``.

The plugin's source lives in ``qgis_plugin/siting_qgis/`` of the repository (it runs in
QGIS's own Python and never imports siting: it calls the ``siting`` executable). The zip is
what *Plugins ▸ Manage and Install Plugins ▸ Install from ZIP* expects: one top-level
folder ``siting_qgis/`` with ``metadata.txt``. Entries are sorted and dated with
:func:`siting._reproducible.output_date`, so the same source gives the same bytes.
"""

from __future__ import annotations

import configparser
import os
import zipfile
from pathlib import Path

from siting import __version__
from siting._errors import ScenarioError
from siting._reproducible import output_date

#: Name of the plugin folder (and of the Python package QGIS imports).
PLUGIN_NAME = "siting_qgis"
_SKIP_SUFFIXES = (".pyc", ".pyo")


def plugin_source() -> Path:
    """``qgis_plugin/siting_qgis`` beside the package (a clone or an editable install)."""
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        p = base / "qgis_plugin" / PLUGIN_NAME
        if (p / "metadata.txt").is_file():
            return p
    msg = ("qgis_plugin/siting_qgis not found: build the plugin from a clone of the siting "
           "repository (pip install -e . there)")
    raise ScenarioError(msg)


def plugin_files(source: Path | None = None) -> list[Path]:
    """The plugin's files, sorted (no caches, no hidden files)."""
    src = source or plugin_source()
    return sorted(p for p in src.rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts
                  and not any(part.startswith(".") for part in p.relative_to(src).parts)
                  and p.suffix not in _SKIP_SUFFIXES)


def plugin_version(source: Path | None = None) -> str:
    """``version`` of the plugin's metadata.txt."""
    meta = configparser.ConfigParser()
    meta.read((source or plugin_source()) / "metadata.txt", encoding="utf-8")
    return meta["general"]["version"]


def build_plugin_zip(out: str | Path) -> Path:
    """Write the plugin zip to ``out`` (replaced atomically if it exists).

    Raises
    ------
    ScenarioError
        The plugin source is missing, or its version differs from siting's (the plugin
        calls the command line of its own version).
    """
    folder_given = str(out).endswith(("/", os.sep)) or Path(out).is_dir()
    out = Path(out)
    src = plugin_source()
    version = plugin_version(src)
    if version != __version__:
        msg = (f"{src / 'metadata.txt'}: version {version} differs from siting {__version__}; "
               "set them equal before building the plugin")
        raise ScenarioError(msg)
    if folder_given:
        out = out / f"{PLUGIN_NAME}-{version}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = output_date().timetuple()[:6]
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for f in plugin_files(src):
                info = zipfile.ZipInfo(f"{PLUGIN_NAME}/{f.relative_to(src).as_posix()}",
                                       date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, f.read_bytes())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


__all__ = ["PLUGIN_NAME", "build_plugin_zip", "plugin_files", "plugin_source",
           "plugin_version"]
