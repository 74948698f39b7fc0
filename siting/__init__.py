"""siting — where to build battery-swap, charging and hydrogen stations for working fleets.

Road network + fleet-demand layers -> a mixed-integer optimiser (PuLP, HiGHS) that places
stations to maximise covered demand within a budget -> interactive maps and GIS exports.
"""

from __future__ import annotations

__version__ = "0.1.0"
