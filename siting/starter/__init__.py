"""``siting init``: a commented starter scenario for a planner's own layers.

:func:`write_starter` takes the files a planning office has — a road layer, a fleet register
(Excel or any GIS layer), candidate sites, optionally existing stations and zones — and writes
``FOLDER/scenario.toml`` with **every key** of the scenario schema, each explained (meaning,
unit, default). Keys the starter does not use are written commented out (``# key = value``)
with a working example value, so uncommenting a section is all it takes to switch it on.

Starting points come from the bundled Suizhou scenario (``data/suizhou/scenario.toml``): its
station types (costs and capacities are Suizhou's assumptions) and its fleet segments. The
fleet layer's ``segment`` values are read: a value that is a bundled segment id is used as
is; a value that names one (``环卫``, ``渣土车``, ``Logistics`` ...) gets that segment's
figures under the layer's own value; any other value gets the municipal segment's figures,
marked as an assumption. Excel workbooks are scanned for the sheet and the row holding the
coordinate columns.

Layers are **copied** into the folder (a Shapefile with its sidecar files), so the folder can
be zipped and mailed, and the scenario's paths are plain file names; with ``link=True`` they
are **referenced** where they are, by paths relative to the folder (and
``allow_outside_paths = true`` when they lie outside it). A file already inside the folder is
referenced. Nothing is overwritten: an existing ``scenario.toml`` or a different file of the
same name in the folder stops the command before it writes anything.

One module per job: :mod:`.write` (the entry point, in steps), :mod:`.render` (the file, one
function per section), :mod:`.toml_text` (escaped TOML and commented lines),
:mod:`.defaults` (the bundled scenario, the schema's defaults, the keys' docs),
:mod:`.inspection` (what the user's layers say), :mod:`.segments` (fleet segment values
matched to the bundled segments) and :mod:`.placing` (copied or referenced files).
"""

from __future__ import annotations

from siting.starter.defaults import INTERNAL_KEYS, LAYER_KEY_DOCS, bundled_toml
from siting.starter.inspection import split_layer_uri
from siting.starter.placing import PlacedLayer
from siting.starter.segments import FALLBACK_SEGMENT, match_segment
from siting.starter.toml_text import toml_key, toml_value
from siting.starter.write import LAYER_OPTIONS, StarterResult, write_starter

__all__ = ["FALLBACK_SEGMENT", "INTERNAL_KEYS", "LAYER_KEY_DOCS", "LAYER_OPTIONS", "PlacedLayer",
           "StarterResult", "bundled_toml", "match_segment", "split_layer_uri", "toml_key",
           "toml_value", "write_starter"]
