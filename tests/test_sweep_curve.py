"""The sweep's curve: a final-year share below a smaller budget's is explained, not hidden."""

from __future__ import annotations

import matplotlib.figure
import pytest

from siting.i18n import t
from siting.sweep import SweepPoint, _plot_curve, dip_note, final_year_dips


def _pt(budget: float, share: float, objective: float, folder: bool = True) -> SweepPoint:
    return SweepPoint(budget, budget, share if folder else float("nan"),
                      objective if folder else float("nan"), 3 if folder else 0,
                      "time_limit" if folder else "infeasible", 0.01 if folder else None,
                      False, f"b{budget:.0f}" if folder else "")


def _footnotes(points: list[SweepPoint], lang: str, tmp_path, monkeypatch) -> list[str]:
    """The figure-level texts of the curve as it is saved."""
    seen: list[str] = []
    save = matplotlib.figure.Figure.savefig

    def spy(fig, *a, **k):
        seen.extend(x.get_text() for x in fig.texts)
        return save(fig, *a, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    _plot_curve(points, None, tmp_path / f"curve_{lang}.png", lang=lang)
    assert (tmp_path / f"curve_{lang}.png").read_bytes()[:4] == b"\x89PNG"
    return seen


def test_a_dip_is_found_against_any_smaller_budget():
    # objective rises throughout; the final-year share falls at 3 (below 2's) and at 4
    # (above 3's but still below 2's); the planless budget is skipped
    pts = [_pt(0, 0, 0, folder=False), _pt(1, 0.5, 10), _pt(2, 0.8, 20), _pt(3, 0.7, 25),
           _pt(4, 0.75, 26), _pt(5, 0.9, 30)]
    assert [p.budget for p in final_year_dips(pts)] == [3, 4]
    assert final_year_dips([_pt(1, 0.5, 10), _pt(2, 0.5, 11), _pt(3, 0.6, 12)]) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_curve_explains_a_dip_and_only_then(lang, tmp_path, monkeypatch):
    note = t("sweep.dip_note", lang)
    assert dip_note([_pt(1, 0.8, 10), _pt(2, 0.7, 12)], lang).replace("\n", "").replace(
        " ", "") == note.replace(" ", "")
    shown = _footnotes([_pt(1, 0.8, 10), _pt(2, 0.7, 12)], lang, tmp_path, monkeypatch)
    assert [s.replace("\n", "").replace(" ", "") for s in shown] == [note.replace(" ", "")]
    assert _footnotes([_pt(1, 0.7, 10), _pt(2, 0.8, 12)], lang, tmp_path, monkeypatch) == []
