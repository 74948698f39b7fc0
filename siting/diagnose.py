"""Moved to :mod:`siting.model.diagnose`; this name stays importable.

Note that :func:`check_zone_requirements` now takes the :class:`~siting.model.ModelInput`
(and the options that can open) instead of its arrays one by one.
"""

from siting.model.diagnose import (
    check_zone_requirements,
    conflict_message,
    first_conflict,
    money,
    requirement_label,
)

__all__ = ["check_zone_requirements", "conflict_message", "first_conflict", "money",
           "requirement_label"]
