"""Internal error helpers: the public error classes (re-exported from :mod:`siting.errors`)
and how a user's value is echoed in a one-line message (:func:`clip`, :func:`echo`)."""

from __future__ import annotations

from siting.errors import (
    CRSMismatchError,
    DownloadError,
    InfeasibleError,
    InputDataError,
    NetworkError,
    OutputError,
    ResourceError,
    ScenarioError,
    SitingError,
    SolverError,
)

__all__ = ["ECHO_LIMIT", "CRSMismatchError", "DownloadError", "InfeasibleError",
           "InputDataError", "NetworkError", "OutputError", "ResourceError", "ScenarioError",
           "SitingError", "SolverError", "clip", "echo"]

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
