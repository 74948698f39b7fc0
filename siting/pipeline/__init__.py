"""Run a scenario end to end: layers → network → demand/options → coverage → MIP → result.

:func:`solve_scenario` returns a :class:`~siting.results.SitingResult`; :func:`run` also writes
the output contract into a folder (atomically). Each stage reports its progress and time through
a :class:`StageHooks` (the CLI shows them as rich progress bars; library users get no output).

One module per step, in the order a run takes them:

- :mod:`~siting.pipeline.stages` — :data:`STAGES`, the :class:`StageHooks` protocol,
  :class:`NoHooks` and the stage timer;
- :mod:`~siting.pipeline.inputs` — :func:`read_inputs`: every layer the scenario names;
- :mod:`~siting.pipeline.model_input` — the MIP's :class:`~siting.model.ModelInput`, the
  snap-distance check, hydrogen delivery cost and supply distances, warnings;
- :mod:`~siting.pipeline.preparation` — :func:`prepare` (the stages up to the MIP) and
  :class:`Prepared`;
- :mod:`~siting.pipeline.solving` — :func:`solve_prepared`, :func:`solve_scenario`,
  :func:`with_lang` and :func:`run` (solve, price the mandates, write the outputs);
  :func:`open_years_of` (a result's plan as a start for another solve);
- :mod:`~siting.pipeline.assembly` — :func:`assemble`: the solution as a result keyed by the
  input ids.
"""

from __future__ import annotations

from siting.pipeline.assembly import assemble
from siting.pipeline.inputs import Inputs, read_inputs
from siting.pipeline.preparation import Prepared, prepare
from siting.pipeline.solving import (
    open_years_of,
    run,
    solve_prepared,
    solve_scenario,
    with_lang,
)
from siting.pipeline.stages import STAGES, NoHooks, StageHooks

__all__ = [
    "STAGES",
    "Inputs",
    "NoHooks",
    "Prepared",
    "StageHooks",
    "assemble",
    "open_years_of",
    "prepare",
    "read_inputs",
    "run",
    "solve_prepared",
    "solve_scenario",
    "with_lang",
]
