"""The pipeline's stages and how they report progress: :data:`STAGES`, :class:`StageHooks`.

A caller passes any object with the three :class:`StageHooks` methods (the CLI's progress bars
and ``--progress-json`` lines); :class:`NoHooks` does nothing. :class:`StageTimer` runs a stage
with its hooks called and its time kept (seconds, for the report's ``timings``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

#: Stage names, in order, with their display labels.
STAGES: dict[str, str] = {
    "layers": "Reading layers",
    "network": "Loading road network",
    "demand": "Building demand and options",
    "travel_times": "Travel times (sparse shortest paths)",
    "coverage": "Coverage sets",
    "model": "Building and solving the MIP",
    "results": "Assembling results",
    "mandates": "Pricing the mandates (re-solves)",
    "outputs": "Writing outputs",
}


@runtime_checkable
class StageHooks(Protocol):
    """Progress callbacks a caller may pass to the pipeline (the CLI shows rich bars).

    Any object with these three methods will do; :class:`NoHooks` does nothing.
    """

    def start(self, stage: str, label: str) -> None:
        """A stage begins (``label`` is :data:`STAGES`' display text)."""

    def update(self, stage: str, fraction: float) -> None:
        """Fraction (0-1) of the stage done."""

    def finish(self, stage: str, seconds: float) -> None:
        """A stage ended after ``seconds``."""


class NoHooks:
    """Progress callbacks that do nothing (the default)."""

    def start(self, stage: str, label: str) -> None:
        """Nothing."""

    def update(self, stage: str, fraction: float) -> None:
        """Nothing."""

    def finish(self, stage: str, seconds: float) -> None:
        """Nothing."""


@dataclass
class StageTimer:
    """Runs stages with ``hooks`` called and keeps each stage's time in ``timings`` (s)."""

    hooks: StageHooks
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        """Run the block as stage ``name`` (a key of :data:`STAGES`).

        Yields the stage's progress callback: call it with the fraction (0-1) done.
        """
        self.hooks.start(name, STAGES[name])
        t0 = time.perf_counter()
        try:
            yield lambda f: self.hooks.update(name, f)
        finally:
            dt = time.perf_counter() - t0
            self.timings[name] = round(dt, 3)
            self.hooks.finish(name, dt)

