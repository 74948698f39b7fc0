"""Page scripts shared by every page the project writes (map, comparison, explorer).

Plain JavaScript, no user text: the pages pass their data as JSON (see :mod:`siting._escape`).
The text holds no Jinja2 opener (``{{``, ``{%``, ``{#``), so folium may render it as template
source (map.html) unchanged.
"""

from __future__ import annotations

__all__ = ["DECLUTTER_JS"]

#: ``sitingDeclutter(labels, taken)``: place the permanent labels matching the CSS selector
#: ``labels`` (in the order of their ``data-rank``, lowest first) clear of the elements matching
#: ``taken`` and of each other: each label stays, or moves up or down by a line or more, or
#: hides until a zoom leaves it room.
DECLUTTER_JS = """
function sitingDeclutter(labelSel, takenSel) {
  function box(el, dy) {
    var r = el.getBoundingClientRect();
    return {l: r.left, r: r.right, t: r.top + dy, b: r.bottom + dy};
  }
  function hits(a, b) {
    return a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
  }
  function rank(el) {
    var s = el.querySelector("[data-rank]");
    return s ? Number(s.getAttribute("data-rank")) : 0;
  }
  var labels = Array.prototype.slice.call(document.querySelectorAll(labelSel));
  labels.forEach(function (el) { el.style.marginTop = "0px"; el.style.visibility = ""; });
  var taken = Array.prototype.slice.call(document.querySelectorAll(takenSel)).map(
    function (el) { return box(el, 0); });
  labels.sort(function (a, b) { return rank(a) - rank(b); });
  labels.forEach(function (el) {
    var h = el.getBoundingClientRect().height + 2;
    var steps = [0, -h, h, -2 * h, 2 * h, -3 * h, 3 * h];
    for (var i = 0; i < steps.length; i++) {
      var b = box(el, steps[i]);
      if (!taken.some(function (o) { return hits(o, b); })) {
        el.style.marginTop = steps[i] + "px";
        taken.push(b);
        return;
      }
    }
    el.style.visibility = "hidden";
  });
}
"""
