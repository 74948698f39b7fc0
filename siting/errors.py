"""The error classes siting raises (public: ``from siting.errors import InputDataError``).

Each subclasses a built-in so callers can catch either the specific or the general error.
Every message is one line that names the file, the row/feature or field, and the fix; the CLI
prints it as is and exits with code 2 (input errors) or 3 (solver errors).
"""

from __future__ import annotations

__all__ = ["CRSMismatchError", "DownloadError", "InfeasibleError", "InputDataError",
           "NetworkError", "OutputError", "ResourceError", "ScenarioError", "SitingError",
           "SolverError"]


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
