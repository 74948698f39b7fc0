"""Regenerate the pictures in README.md from the bundled scenario (run from the repo root).

    python scripts/make_readme_pictures.py

Runs the Suizhou demo into maps/suizhou/ (basemap-free, so the picture does not depend on
tiles), screenshots map.html in headless Chromium and renders the briefing; copies the map
screenshot and the first two briefing pages to docs/img/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for devtools/ (developer helpers, not installed)

from devtools.browser import screenshot_map  # noqa: E402
from siting.briefing import write_briefing  # noqa: E402
from siting.pipeline import run  # noqa: E402
from siting.scenario import load_scenario  # noqa: E402


def main() -> int:
    """Build the demo run, the map screenshot and the briefing pages."""
    out = ROOT / "maps" / "suizhou"
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    sc = load_scenario(ROOT / "data" / "suizhou" / "scenario.toml")
    run(sc, out, basemap="none")
    screenshot_map(out / "map.html", img / "map.png", 1400, 900)
    pages = [p for p in write_briefing(out) if p.suffix == ".png"]
    for k, page in enumerate(pages[:2], start=1):
        shutil.copyfile(page, img / f"briefing-{k}.png")
    print(f"wrote {img}/map.png and {min(len(pages), 2)} briefing page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
