"""Regenerate the pictures in README.md from the bundled scenario (run from the repo root).

    python scripts/make_readme_pictures.py

Runs the Suizhou demo into maps/suizhou/ (basemap-free, so the pictures do not depend on
tiles) and the same scenario with a 25 % larger budget into maps/suizhou-more/ (starting from
the demo's plan), compares the
two (maps/compare-suizhou/), sweeps five budgets (maps/suizhou-sweep/, no per-budget
folders), then screenshots map.html, compare.html and explorer.html in headless Chromium at
1366×768 and renders the briefing. Writes docs/img/map.png, briefing-1.png, briefing-2.png,
compare.png and explorer.png.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for devtools/ (developer helpers, not installed)

import numpy as np  # noqa: E402

from devtools.browser import screenshot_map  # noqa: E402
from siting.briefing import write_briefing  # noqa: E402
from siting.compare import compare_runs, write_comparison  # noqa: E402
from siting.pipeline import prepare, run  # noqa: E402
from siting.scenario import input_paths, load_scenario  # noqa: E402
from siting.sweep import sweep  # noqa: E402

#: The larger budget of the comparison, × the scenario's.
MORE = 1.25
#: Budgets of the sweep, × the scenario's.
SWEEP = (0.75, 1.0, 1.25, 1.5, 2.0)


def main() -> int:
    """Build the runs, the comparison, the sweep, the screenshots and the briefing pages."""
    maps_dir = ROOT / "maps"
    out = maps_dir / "suizhou"
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    scenario = ROOT / "data" / "suizhou" / "scenario.toml"
    sc = load_scenario(scenario)
    base = run(sc, out, basemap="none")
    screenshot_map(out / "map.html", img / "map.png", 1366, 768)
    pages = [p for p in write_briefing(out) if p.suffix == ".png"]
    for k, page in enumerate(pages[:2], start=1):
        shutil.copyfile(page, img / f"briefing-{k}.png")

    with tempfile.TemporaryDirectory(prefix="siting-pictures-") as tmp:
        copy = Path(tmp) / "suizhou"
        shutil.copytree(scenario.parent, copy)
        toml = copy / "scenario.toml"
        text = toml.read_text(encoding="utf-8")

        def scale(m: re.Match[str]) -> str:
            return f"{float(m.group(1)) * MORE!r}"

        text = re.sub(r"(?m)(?<=^total = )([\d.]+)", scale, text)
        text = re.sub(r'(?m)^(by_year = \{.*\})$', lambda m: re.sub(
            r"= ([\d.]+)", lambda n: f"= {float(n.group(1)) * MORE!r}", m.group(1)), text)
        toml.write_text(text, encoding="utf-8")
        more = maps_dir / "suizhou-more"
        # from the base plan: a time-limited run with more money never shows less coverage
        run(load_scenario(toml), more, basemap="none", start_from=base)
    cmp_dir = maps_dir / "compare-suizhou"
    cmp = compare_runs(out, more)
    write_comparison(cmp, out, more, cmp_dir)
    screenshot_map(cmp_dir / "compare.html", img / "compare.png", 1366, 768)

    sweep_dir = maps_dir / "suizhou-sweep"
    budgets = np.array(SWEEP) * sc.budget.total
    sweep(prepare(sc), budgets, sweep_dir, inputs=input_paths(sc))
    screenshot_map(sweep_dir / "explorer.html", img / "explorer.png", 1366, 768)
    print(f"wrote {img}/map.png, compare.png, explorer.png and {min(len(pages), 2)} briefing "
          "page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
