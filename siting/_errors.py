"""The few error classes siting raises.

Each subclasses a built-in so callers can catch either the specific or the general error.
Every message is one line that names the file, the row/feature or field, and the fix; the CLI
prints it as is and exits with code 2 (input errors) or 3 (solver errors).
"""

from __future__ import annotations


class SitingError(Exception):
    """Base class of every error siting raises on purpose."""

    exit_code: int = 2


class ScenarioError(SitingError, ValueError):
    """The scenario file, or a layer it names, is missing or malformed."""


class InputDataError(SitingError, ValueError):
    """A data layer (roads, fleet, candidates, zones ...) has bad rows, columns or geometry."""


class CRSMismatchError(InputDataError):
    """A layer's coordinate reference system is missing, wrong, or not the one expected."""


class NetworkError(InputDataError):
    """The road network cannot be loaded, or cannot connect demand to candidates."""


class DownloadError(NetworkError):
    """An online service (the Nominatim geocoder, the Overpass API) cannot be reached, refused
    the query or found nothing; ``service`` is ``"nominatim"`` or ``"overpass"``."""

    def __init__(self, message: str, *, service: str = "") -> None:
        super().__init__(message)
        self.service = service


class InfeasibleError(SitingError):
    """The requirements cannot all be met; the message names the conflicting requirement."""

    exit_code = 3


class SolverError(SitingError, RuntimeError):
    """No MIP solver is available, or the solver failed without a usable plan."""

    exit_code = 3


class ResourceError(SitingError, MemoryError):
    """An input would not fit in memory; the message gives the estimate."""


class OutputError(SitingError, OSError):
    """An output folder cannot be written (full disk, read-only, locked by another run)."""


#: Longest echo of a user's value in a message (a 300-digit number must not flood the line).
ECHO_LIMIT = 40


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """A user's value as it appears in a message: ``repr`` of text, plain numbers, clipped.

    ``True``/``False`` are shown as TOML writes them (``true``/``false``); anything longer
    than ``limit`` characters is cut and ends with ``…``, so messages stay one short line.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(clip(value, limit - 2))
    return clip(str(value), limit)
