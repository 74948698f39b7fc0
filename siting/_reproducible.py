"""Dates embedded in output files, so that reruns write byte-identical files.

Outputs carry no wall-clock time except the timing fields of ``report.json``. Where a format
requires a date (a GeoPackage's ``last_change``, a style's ``update_time``, a PDF's creation
date), :func:`output_date` gives the time named by the ``SOURCE_DATE_EPOCH`` environment
variable (seconds since 1970, the reproducible-builds convention), or a fixed date when it is
not set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

#: Used when ``SOURCE_DATE_EPOCH`` is not set.
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def output_date() -> datetime:
    """The date written into output files (UTC): ``SOURCE_DATE_EPOCH`` or :data:`FIXED_DATE`.

    An unparsable ``SOURCE_DATE_EPOCH`` is ignored (the fixed date is used).
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC) if raw else FIXED_DATE
    except (ValueError, OverflowError, OSError):
        return FIXED_DATE


def output_date_iso() -> str:
    """:func:`output_date` as ``YYYY-MM-DDTHH:MM:SS.000Z`` (GeoPackage timestamp format)."""
    return output_date().strftime("%Y-%m-%dT%H:%M:%S.000Z")


@contextmanager
def source_date_epoch() -> Iterator[None]:
    """Within the block, ``SOURCE_DATE_EPOCH`` names :func:`output_date` (set only if unset).

    For libraries that stamp files with the current time unless the variable is set
    (fontTools, when matplotlib subsets fonts into a PDF). The environment is restored after.
    """
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(int(output_date().timestamp()))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
