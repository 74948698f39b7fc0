"""Output folders (issue 10 §2, §5): nothing siting did not write is ever replaced, and at every
step of writing the output path holds either the complete old output or the complete new one.

Interruptions are injected at each named step of the swap (``siting._atomic._checkpoint``):
as an exception (Ctrl-C) in-process, and as SIGKILL in a child process.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from siting import _atomic
from siting._atomic import MARKER, atomic_dir, check_output_dir, output_lock
from siting._errors import OutputError, ScenarioError
from tests.helpers_cli import Case, error_line, invoke

STEPS_EXCHANGE = ("written", "swapped")
STEPS_FALLBACK = ("written", "aside", "swapped")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(out: Path, version: str, **kw) -> None:
    with atomic_dir(out, **kw) as tmp:
        (tmp / "report.json").write_text(json.dumps({"v": version}), encoding="utf-8")
        (tmp / "stations.geojson").write_text(version, encoding="utf-8")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "deep.txt").write_text(version * 1000, encoding="utf-8")


def _expected(version: str) -> dict[str, bytes]:
    return {MARKER: (json.dumps({"kind": "run", "writer": "siting"}) + "\n").encode(),
            "report.json": json.dumps({"v": version}).encode(),
            "stations.geojson": version.encode(),
            "sub/deep.txt": (version * 1000).encode()}


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


# --------------------------------------------------------------------------- what may be replaced
def test_foreign_folder_is_refused_before_anything_happens(tmp_path):
    home = tmp_path / "important"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"precious")
    for kind in ("run", "compare", "sweep"):
        with pytest.raises(ScenarioError, match="not empty and is not a siting"):
            check_output_dir(home, kind)
        with pytest.raises(ScenarioError), atomic_dir(home, kind=kind):
            pytest.fail("atomic_dir went on into a foreign folder")
    assert _snapshot(home) == {"thesis.docx": b"precious"}
    assert _siblings(home) == []


def test_output_of_another_kind_is_refused(tmp_path):
    out = tmp_path / "r"
    _write(out, "1")
    with pytest.raises(ScenarioError, match="is a siting run, not a siting comparison"):
        check_output_dir(out, "compare")
    assert _snapshot(out) == _expected("1")


def test_output_equal_to_or_containing_an_input_is_refused(tmp_path):
    run = tmp_path / "runs" / "a"
    _write(run, "1")
    for out in (run, tmp_path / "runs", tmp_path):
        with pytest.raises(ScenarioError, match="the input"):
            check_output_dir(out, "compare", inputs=[run])
    check_output_dir(tmp_path / "elsewhere", "compare", inputs=[run])


def test_legacy_run_folder_without_marker_is_still_replaced(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / "report.json").write_text("{}")
    (out / "stations.geojson").write_text("{}")
    _write(out, "2")
    assert _snapshot(out) == _expected("2")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Two finished runs of a small case, and the case's scenario file."""
    root = tmp_path_factory.mktemp("cmp")
    case = Case(root).fast()
    a, b = root / "runs" / "a", root / "runs" / "b"
    for out in (a, b):
        res = invoke("run", str(case.toml), "--out", str(out), "-q", "--basemap", "none")
        assert res.exit_code == 0, res.output
    return a, b, case.toml


@pytest.mark.slow
@pytest.mark.parametrize("target", ["important", ".", "A", "parent"])
def test_compare_never_deletes_what_out_names(runs, tmp_path, monkeypatch, target):
    a, b, _ = runs
    before = {p: _snapshot(p) for p in (a, b)}
    monkeypatch.chdir(a.parent)
    (a.parent / "important").mkdir(exist_ok=True)
    (a.parent / "important" / "notes.txt").write_text("keep")
    out = {"important": "important", ".": ".", "A": str(a), "parent": str(a.parent.parent)}
    res = invoke("compare", str(a), str(b), "--out", out[target])
    line = error_line(res)
    assert "--out" in line
    assert {p: _snapshot(p) for p in (a, b)} == before
    assert (a.parent / "important" / "notes.txt").read_text() == "keep"


@pytest.mark.slow
def test_compare_replaces_its_own_output(runs, tmp_path):
    a, b, _ = runs
    out = tmp_path / "cmp"
    for _ in range(2):
        res = invoke("compare", str(a), str(b), "--out", str(out))
        assert res.exit_code == 0, res.output
    assert json.loads((out / MARKER).read_text())["kind"] == "compare"
    assert _siblings(out) == []


def test_sweep_refuses_a_foreign_folder_and_the_scenario_folder(runs, tmp_path):
    _, _, toml = runs
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "a.txt").write_text("keep")
    line = error_line(invoke("sweep", str(toml), "--budgets", "40", "--out", str(foreign), "-q"))
    assert "not a siting sweep" in line
    line = error_line(invoke("sweep", str(toml), "--budgets", "40", "--out",
                             str(toml.parent.parent), "-q"))
    assert "contains the input" in line
    assert (foreign / "a.txt").read_text() == "keep"


def test_run_refuses_an_out_holding_its_inputs(runs):
    _, _, toml = runs
    line = error_line(invoke("run", str(toml), "--out", str(toml.parent), "-q"))
    assert "is the input" in line or "contains the input" in line
    assert (toml.parent / "fleet.geojson").is_file()


# --------------------------------------------------------------------------- interruptions
@pytest.fixture(params=["exchange", "fallback"])
def swap_mode(request, monkeypatch) -> tuple[str, ...]:
    if request.param == "fallback":
        monkeypatch.setattr(_atomic, "_rename_exchange", lambda a, b: False)
        return STEPS_FALLBACK
    return STEPS_EXCHANGE


def test_ctrl_c_at_each_step_leaves_old_or_new_complete(tmp_path, monkeypatch, swap_mode):
    for step in swap_mode:
        out = tmp_path / step / "run"
        _write(out, "old")

        def stop(name: str, step=step) -> None:
            if name == step:
                raise KeyboardInterrupt

        monkeypatch.setattr(_atomic, "_checkpoint", stop)
        with pytest.raises(KeyboardInterrupt):
            _write(out, "new")
        monkeypatch.setattr(_atomic, "_checkpoint", lambda name: None)
        got = _snapshot(out)
        assert got in (_expected("old"), _expected("new")), step
        if step == "swapped":
            assert got == _expected("new")
        else:
            assert got == _expected("old")
        assert _siblings(out) == [], f"{step}: leftovers {_siblings(out)}"
        _write(out, "again")
        assert _snapshot(out) == _expected("again")


_KILL_CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from siting import _atomic
    out, step, fallback = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    if fallback:
        _atomic._rename_exchange = lambda a, b: False
    def kill(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    _atomic._checkpoint = kill
    with _atomic.atomic_dir(out) as tmp:
        (tmp / "report.json").write_text(json.dumps({"v": "new"}), encoding="utf-8")
        (tmp / "stations.geojson").write_text("new", encoding="utf-8")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "deep.txt").write_text("new" * 1000, encoding="utf-8")
""")


@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "fallback"])
def test_sigkill_at_each_step_is_repaired_by_the_next_writer(tmp_path, fallback):
    steps = STEPS_FALLBACK if fallback else STEPS_EXCHANGE
    for step in steps:
        out = tmp_path / step / "run"
        _write(out, "old")
        proc = subprocess.run([sys.executable, "-c", _KILL_CHILD, str(out), step,
                               "1" if fallback else "0"], capture_output=True, text=True)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        if step == "aside":
            # the one moment without the exchange: the old run waits beside the path
            assert not out.exists()
            assert any(n.startswith(".run.old-") for n in _siblings(out))
        else:
            assert _snapshot(out) in (_expected("old"), _expected("new")), step
        # the next writer cleans up (and puts an old run back) before it writes
        with output_lock(out):
            _atomic.clean_leftovers(out)
        assert _snapshot(out) == (_expected("new") if step == "swapped" else _expected("old"))
        assert [n for n in _siblings(out) if not n.endswith(".lock")] == [], step
        _write(out, "again")
        assert _snapshot(out) == _expected("again")
        assert _siblings(out) == []


# --------------------------------------------------------------------------- the lock
_HOLD_CHILD = textwrap.dedent("""
    import sys, time, pathlib
    from siting._atomic import output_lock
    with output_lock(sys.argv[1]):
        pathlib.Path(sys.argv[2]).write_text("held")
        time.sleep(60)
""")


def test_second_writer_stops_naming_the_first(tmp_path, runs):
    out = tmp_path / "outputs" / "run"
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", _HOLD_CHILD, str(out), str(ready)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert time.monotonic() < deadline, "lock holder did not start"
            time.sleep(0.05)
        with pytest.raises(OutputError, match=f"pid {child.pid} is writing this output folder"):
            _write(out, "x")
        _, _, toml = runs
        line = error_line(invoke("run", str(toml), "--out", str(out), "-q", "--basemap", "none"))
        assert f"pid {child.pid}" in line
        assert not out.exists()
    finally:
        child.kill()
        child.wait()
    _write(out, "after")  # the lock dies with its holder
    assert _snapshot(out) == _expected("after")
    assert _siblings(out) == []


def test_lock_is_reentrant_within_a_process(tmp_path):
    out = tmp_path / "run"
    with output_lock(out):
        _write(out, "1")
        _write(out, "2")
    assert _snapshot(out) == _expected("2")
    assert _siblings(out) == []


# --------------------------------------------------------------------------- a full disk
@pytest.mark.slow
def test_full_disk_while_writing_is_one_line_and_keeps_the_old_run(runs, tmp_path, monkeypatch):
    _, _, toml = runs
    out = tmp_path / "run"
    res = invoke("run", str(toml), "--out", str(out), "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    before = _snapshot(out)
    from siting.export import geopackage

    def full(result, path, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(geopackage, "write_geopackage", full)
    line = error_line(invoke("run", str(toml), "--out", str(out), "-q", "--basemap", "none"))
    assert "results.gpkg" in line and "no space left on device" in line
    assert "free some space" in line
    assert _snapshot(out) == before
    assert _siblings(out) == []
