"""The ``siting`` command line: thin typer commands over :mod:`siting.pipeline`.

Every expected failure (bad input, infeasible requirement, solver trouble) prints one line
``error: ...`` and exits with code 2 (input) or 3 (infeasible / solver); Ctrl-C exits 130.
Nothing is written unless the whole run succeeds.

One typer :data:`app`, its commands in one module per kind:

- :mod:`~siting.cli.common` — the app, the shared options, :func:`~siting.cli.common.guard`
  (errors as one line and an exit code), progress bars and ``--progress-json`` lines;
- :mod:`~siting.cli.runs` — ``demo``, ``run``, ``validate``;
- :mod:`~siting.cli.studies` — ``sweep``, ``robust``, ``compare``, ``brief``;
- :mod:`~siting.cli.tools` — ``init``, ``qgis-plugin``, ``network fetch``.

:func:`main` is the ``siting`` script's entry point.
"""

from __future__ import annotations

import logging

from siting._terminal import SafeFormatter

# The command modules register their commands on ``app`` when imported, in this order (the
# order ``siting --help`` lists them).
from siting.cli.common import RichHooks, app, emit_progress, err, out
from siting.cli.runs import bundled_scenario, check_target, demo, run_cmd, validate, with_target
from siting.cli.studies import brief, compare, robust, sweep
from siting.cli.tools import init, network_app, network_fetch, qgis_plugin


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the Ctrl-C path: outputs are left as they were, exit 130


def main() -> None:
    """Entry point of the ``siting`` script.

    SIGTERM (what the QGIS plugin sends on Cancel, and what job managers send) is handled
    like Ctrl-C: the run stops, no output folder is changed, the exit code is 130.
    """
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("warning: %(message)s"))  # names from files: data
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    app(prog_name="siting")


__all__ = [
    "RichHooks", "app", "brief", "bundled_scenario", "check_target", "compare", "demo",
    "emit_progress", "err", "init", "main", "network_app", "network_fetch", "out",
    "qgis_plugin", "robust", "run_cmd", "sweep", "validate", "with_target",
]
