"""The QGIS plugin: built with ``siting qgis-plugin``, installed into a throwaway QGIS profile,
run headless through ``qgis_process`` (QT_QPA_PLATFORM=offscreen), outputs re-read.

The QGIS tests need Debian's QGIS (``apt-get install qgis python3-qgis qgis-providers``;
.ci/run installs them) and are skipped without ``qgis_process``. QGIS runs its own Python
(/usr/bin/python3): the plugin calls this venv's ``siting`` through ``SITING_EXECUTABLE``.

The runner (finding siting, streaming progress, cancelling) is plain Python and is tested
here directly, with the real ``siting`` executable.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest

from siting import __version__
from siting.i18n import t
from tests.helpers_cli import invoke, set_key

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "suizhou"
PLUGIN_SRC = ROOT / "qgis_plugin" / "siting_qgis"
SITING = Path(sys.executable).with_name("siting")
#: Debian's /usr/bin/qgis_process wrapper passes --noversioncheck (meant for the desktop
#: app) from /etc/default/qgis, which qgis_process 3.22 rejects: call the binary itself.
QGIS_PROCESS = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
needs_qgis = pytest.mark.skipif(QGIS_PROCESS is None, reason="qgis_process not installed "
                                "(apt-get install qgis python3-qgis qgis-providers)")
SYSTEM_PYTHON = "/usr/bin/python3"


def load_plugin_module(name: str):
    """A module of the plugin that imports nothing from QGIS (nor do the plugin modules it
    imports), from the plugin's source folder."""
    if str(PLUGIN_SRC.parent) not in sys.path:
        sys.path.insert(0, str(PLUGIN_SRC.parent))
    return importlib.import_module(f"{PLUGIN_SRC.name}.{name}")


runner = load_plugin_module("runner")
run_folder = load_plugin_module("run_folder")
plugin_i18n = load_plugin_module("i18n")


# =========================================================================== the zip
def test_plugin_zip_is_installable_and_reproducible(tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b"
    res = invoke("qgis-plugin", "--zip", str(a))
    assert res.exit_code == 0, res.output
    assert invoke("qgis-plugin", "--zip", f"{b}/").exit_code == 0
    assert a.read_bytes() == (b / f"siting_qgis-{__version__}.zip").read_bytes()
    with zipfile.ZipFile(a) as z:
        names = z.namelist()
        meta = z.read("siting_qgis/metadata.txt").decode("utf-8")
    assert {"siting_qgis/__init__.py", "siting_qgis/metadata.txt", "siting_qgis/provider.py",
            "siting_qgis/algorithms.py", "siting_qgis/runner.py",
            "siting_qgis/run_folder.py", "siting_qgis/i18n.py"} <= set(names)
    assert all(n.startswith("siting_qgis/") and "__pycache__" not in n for n in names)
    assert f"version={__version__}" in meta and "hasProcessingProvider=yes" in meta
    assert "SITING_EXECUTABLE" in res.output


# =========================================================================== the runner
class Feedback:
    """A QgsProcessingFeedback stand-in that records what the plugin reports."""

    def __init__(self, cancel_when=None) -> None:
        self.progress: list[float] = []
        self.texts: list[str] = []
        self.info: list[str] = []
        self.cancel_when = cancel_when
        self.cancelled = False

    def isCanceled(self) -> bool:
        if not self.cancelled and self.cancel_when is not None and self.cancel_when(self):
            self.cancelled = True
        return self.cancelled

    def setProgress(self, p: float) -> None:
        self.progress.append(p)

    def setProgressText(self, t: str) -> None:
        self.texts.append(t)

    def pushInfo(self, t: str) -> None:
        self.info.append(t)


def small_scenario(tmp_path: Path, time_limit_s: float) -> Path:
    folder = tmp_path / "sc"
    shutil.copytree(DATA, folder)
    toml = folder / "scenario.toml"
    set_key(toml, "time_limit_s", str(time_limit_s))
    return toml


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_find_executable_order(tmp_path, monkeypatch):
    monkeypatch.setenv(runner.ENV_VAR, str(SITING))
    assert runner.find_executable("/nowhere/siting") == str(SITING)  # the variable wins
    monkeypatch.delenv(runner.ENV_VAR)
    assert runner.find_executable(str(SITING)) == str(SITING)
    with pytest.raises(runner.SitingError, match="Processing setting 'siting executable' is "
                       "'/nowhere/siting', which is not an executable file"):
        runner.find_executable("/nowhere/siting")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(runner.SitingError, match=r"siting executable was not found.*"
                       r"SITING_EXECUTABLE"):
        runner.find_executable(None)
    monkeypatch.setenv("PATH", str(SITING.parent))
    assert runner.find_executable(None) == str(SITING)


def test_stage_progress_is_monotone_and_reaches_100():
    p = runner.StageProgress(solves=2, time_limit_s=10.0)
    seen = []
    t = 0.0
    for stage in ("layers", "network", "demand", "travel_times", "coverage"):
        for ev in ("start", "finish"):
            p.feed({"event": ev, "stage": stage}, now=t)
            seen.append(p.percent(now=t))
    for _ in range(2):
        for stage in ("model", "results"):
            p.feed({"event": "start", "stage": stage}, now=t)
            for dt in (1.0, 5.0, 50.0):  # time inside a solve moves the bar, capped
                seen.append(p.percent(now=t + dt))
            t += 50.0
            p.feed({"event": "finish", "stage": stage}, now=t)
            seen.append(p.percent(now=t))
    p.feed({"event": "start", "stage": "outputs"}, now=t)
    p.feed({"event": "finish", "stage": "outputs"}, now=t)
    seen.append(p.percent(now=t))
    assert seen == sorted(seen)
    assert seen[-1] == 100.0
    # the prepare stages are their share of the weights
    prepare = sum(runner.RUN_WEIGHTS[s] for s in runner._PREPARE)
    assert seen[9] == pytest.approx(100 * prepare / sum(runner.RUN_WEIGHTS.values()), abs=0.1)


def test_brief_progress_has_its_own_stage():
    p = runner.StageProgress(weights=runner.BRIEF_WEIGHTS)
    assert p.percent(0.0) == 0.0
    p.feed({"event": "start", "stage": "brief"}, 0.0)
    p.feed({"event": "update", "stage": "brief", "fraction": 0.4}, 1.0)
    assert p.percent(1.0) == 40.0
    p.feed({"event": "finish", "stage": "brief"}, 2.0)
    assert p.percent(2.0) == 100.0


def test_runner_streams_progress_of_a_real_run(tmp_path):
    toml = small_scenario(tmp_path, 3.0)
    fb = Feedback()
    out = tmp_path / "run"
    lines = runner.run_siting(["run", str(toml), "--out", str(out), "--basemap", "none"], fb,
                              executable=str(SITING),
                              progress=runner.StageProgress(1, 3.0))
    assert fb.progress == sorted(fb.progress) and fb.progress[-1] == 100.0
    # the stage labels in the run's language (the bundled scenario's: Chinese)
    assert fb.texts[:2] == [t("console.stage_layers", "zh"), t("console.stage_network", "zh")]
    assert not any(line.startswith("{") for line in lines)  # JSON lines are not echoed
    assert (out / "report.json").is_file()
    # the summary's tables one line per row, each cell after its header: Processing's log is
    # in a proportional font, where a drawn table's padded columns collapse into a jumble
    assert fb.info == lines
    assert not [ln for ln in lines if set(ln) & set("│┃─━┏┡└")], lines
    rows = [ln for ln in lines if ln.startswith("年份：")]
    assert [ln.split("；")[0] for ln in rows] == ["年份：2023", "年份：2024", "年份：2025"], lines
    assert rows[0].split("；")[3].startswith(t("console.col_share", "zh") + "：")


@pytest.mark.slow
def test_runner_cancel_stops_siting_and_keeps_the_previous_run(tmp_path):
    toml = small_scenario(tmp_path, 120.0)
    out = tmp_path / "run"
    # a previous run in the folder (quick: another copy of the scenario, a short limit)
    quick = small_scenario(tmp_path / "q", 2.0)
    res = subprocess.run([str(SITING), "run", str(quick), "--out", str(out), "-q",
                          "--basemap", "none"], capture_output=True, text=True, timeout=600,
                         check=False)
    assert res.returncode == 0, res.stderr
    before = digest(out)
    fb = Feedback(cancel_when=lambda f: t("console.stage_model", "zh") in f.texts)
    t0 = time.monotonic()
    with pytest.raises(runner.SitingCancelled) as e:
        runner.run_siting(["run", str(toml), "--out", str(out), "--basemap", "none"], fb,
                          executable=str(SITING), progress=runner.StageProgress(1, 120.0),
                          grace_s=60.0)
    assert time.monotonic() - t0 < 100  # stopped long before the 120 s time limit
    assert e.value.exit_code == 130  # SIGTERM handled like Ctrl-C, not killed
    assert digest(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".run")] == []


def test_runner_reports_the_error_line(tmp_path):
    fb = Feedback()
    with pytest.raises(runner.SitingError) as e:
        runner.run_siting(["validate", str(tmp_path / "none.toml")], fb,
                          executable=str(SITING))
    assert str(e.value) == (f"{tmp_path / 'none.toml'}: scenario file not found; give the "
                            "path to a scenario .toml file")
    assert e.value.exit_code == 2


def test_command_line_can_be_pasted_into_a_shell():
    """The command the plugin logs: paths with spaces, quotes or Chinese characters quoted
    (it was joined with spaces: a planner pasting it into a shell ran a different command)."""
    import shlex

    args = ["/opt/siting env/bin/siting", "--progress-json", "run", "/数据/随州 场景/s.toml",
            "--name", "随州 “测试” 'A' 方案", "--out", "/tmp/x"]
    line = runner.command_line(args)
    assert shlex.split(line) == args
    assert runner.command_line(["siting", "validate", "a.toml"]) == "siting validate a.toml"


def test_scenario_time_limit_is_read_from_the_file(tmp_path):
    """A run given as a scenario file: the solver's time limit comes from the file, so the
    progress bar moves during the solve (it sat still until the solve ended)."""
    toml = small_scenario(tmp_path, 7.5)
    assert runner.scenario_time_limit(str(toml)) == 7.5
    assert runner.scan_time_limit(toml.read_text(encoding="utf-8")) == 7.5  # Python < 3.11
    text = "[budget]\ntime_limit_s = 9\n[solver]\n# time_limit_s = 1\ntime_limit_s = 1_200\n"
    (tmp_path / "b.toml").write_text(text, encoding="utf-8")
    assert runner.scenario_time_limit(str(tmp_path / "b.toml")) == 1200.0
    assert runner.scan_time_limit(text) == 1200.0
    (tmp_path / "c.toml").write_text("[solver]\nmip_gap = 0.01\n", encoding="utf-8")
    assert runner.scenario_time_limit(str(tmp_path / "c.toml")) is None
    assert runner.scan_time_limit("[solver]\nmip_gap = 0.01\n") is None
    (tmp_path / "d.toml").write_text("[solver\n", encoding="utf-8")
    assert runner.scenario_time_limit(str(tmp_path / "d.toml")) is None
    assert runner.scenario_time_limit(str(tmp_path / "none.toml")) is None


# =========================================================================== the run folder
def test_result_layers_are_named_from_the_geopackage_in_the_runs_language(tmp_path):
    """The plugin names each result layer by its title in results.gpkg, which siting writes in
    the run's language (a Chinese run's layers were loaded as stations, demand,
    coverage_areas ...); read from a folder whose name has URI characters in it (it was
    opened as a sqlite URI unquoted: '#' cut the path, and no layer was loaded)."""
    from siting.export.geopackage import write_geopackage
    from tests.helpers_maps import make_result

    folder = tmp_path / "预算 50% #2 ?a=b"
    folder.mkdir()
    gpkg = write_geopackage(make_result(n_demand=5), folder / "results.gpkg", lang="zh")
    titles = run_folder.gpkg_layers(str(gpkg))
    assert {k: titles[k] for k in ("stations", "demand", "coverage_areas", "roads")} == {
        "stations": "站点", "demand": t("layer.demand", "zh"),
        "coverage_areas": t("layer.coverage", "zh"), "roads": t("layer.roads", "zh")}
    assert "layer_styles" not in titles  # feature layers only
    with sqlite3.connect(gpkg) as con:  # an English run ... and a GeoPackage without titles
        con.execute("UPDATE gpkg_contents SET identifier = 'Stations' WHERE table_name = "
                    "'stations'")
        con.execute("UPDATE gpkg_contents SET identifier = NULL WHERE table_name = 'roads'")
    titles = run_folder.gpkg_layers(str(gpkg))
    assert titles["stations"] == "Stations" and titles["roads"] == "roads"
    assert run_folder.gpkg_layers(str(tmp_path / "none.gpkg")) == {}


def test_result_group_is_named_after_the_scenario_in_the_runs_language(tmp_path):
    """The group of a run's layers is named after the scenario as the run's outputs name it
    (name_en in English), and the output folder; the scenario's name is the user's text,
    shown as it is."""
    group = run_folder.group_name
    title = "随州 “方案” <b>A</b> & 'x' | {y}"

    def report(lang: str, name: str = title, name_en: str = "") -> dict:
        return {"scenario": {"name": name, "name_en": name_en, "lang": lang}}

    zh = report("zh", name_en="Suizhou plan")
    assert group(zh, "/data/预算 40") == f"{title} · 预算 40"
    assert group(report("en", name_en="Suizhou plan"), "/data/run/") == "Suizhou plan · run"
    assert group(report("en"), "/data/run") == f"{title} · run"  # no English name
    # a folder QGIS made (temporary output, named OUTPUT): the scenario's name alone
    assert group(zh, "/tmp/processing_x/ab12/OUTPUT", temporary=True) == title
    assert group(report("zh", name="run"), "/data/run") == "run"
    assert group({}, "/data/run") == "run" and group({"scenario": None}, "/data/r") == "r"
    (tmp_path / "report.json").write_text(json.dumps(zh, ensure_ascii=False), encoding="utf-8")
    assert run_folder.read_report(str(tmp_path)) == zh
    assert run_folder.read_report(str(tmp_path / "none")) == {}


def test_sweep_layer_is_named_in_the_sweeps_language(tmp_path):
    """The sweep's curve layer is named by the title siting writes into sweep.json, in the
    sweep's language (it was 'coverage against budget' whatever the language); a folder
    without sweep.json (an older siting) gets the plugin's own name for it."""
    from siting.scenario import load_scenario
    from siting.sweep import sweep_info

    sc = load_scenario(DATA / "scenario.toml")
    folder = tmp_path / "扫描 1"
    folder.mkdir()
    info = sweep_info(sc)
    (folder / "sweep.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    assert info["lang"] == "zh" and info["title"].startswith(sc.name)
    name = run_folder.sweep_layer_name
    assert name(str(folder), "coverage against budget") == f"{info['title']} · 扫描 1"
    assert name(str(folder), "x", temporary=True) == info["title"]
    en = sweep_info(sc.model_copy(update={"lang": "en"}))
    assert en["title"] == f"{sc.name_en}: coverage against budget"
    (folder / "sweep.json").write_text("[]", encoding="utf-8")
    assert name(str(folder), "覆盖率与预算") == "覆盖率与预算 · 扫描 1"
    assert name(str(tmp_path / "none"), "覆盖率与预算", temporary=True) == "覆盖率与预算"


# =========================================================================== its language
def _plugin_texts() -> dict[str, str]:
    """Every text the plugin shows through ``tr`` (and its layer names) -> where."""
    found: dict[str, str] = {}
    for path in sorted(PLUGIN_SRC.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr"
                    and node.args):
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    found[arg.value] = f"{path.name}:{node.lineno}"
            if (isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") ==
                    "LAYER_NAMES" and isinstance(node.value, ast.Dict)):
                found.update({v.value: path.name for v in node.value.values
                              if isinstance(v, ast.Constant)})
    return found


def test_every_text_of_the_plugin_is_in_chinese():
    """The plugin's own texts (parameters, log lines, its errors) have a Chinese version with
    the same placeholders, and none is left over."""
    texts = _plugin_texts()
    assert len(texts) > 60
    missing = {text: where for text, where in texts.items() if text not in plugin_i18n.ZH}
    assert not missing
    assert set(plugin_i18n.ZH) <= set(texts), set(plugin_i18n.ZH) - set(texts)
    for en, zh in plugin_i18n.ZH.items():
        assert en.count("{}") == zh.count("{}"), en
        assert zh != en and re.search(r"[\u4e00-\u9fff]", zh), en


def test_the_plugin_speaks_the_language_of_qgis(tmp_path, monkeypatch):
    """In a QGIS whose locale starts with zh, the plugin's own messages are Chinese (they
    were English only); elsewhere English. siting's own lines are passed on as they are."""
    lang = plugin_i18n.language_of
    assert [lang(x) for x in ("zh_CN", "zh-Hans", "ZH_tw", " zh", "en_US", "C", "", None,
                              "de_DE")] == ["zh"] * 4 + ["en"] * 5
    monkeypatch.delenv(runner.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        assert plugin_i18n.set_locale("zh_CN") == "zh" == plugin_i18n.language()
        assert plugin_i18n.tr("Output folder") == "输出文件夹"
        with pytest.raises(runner.SitingError, match=r"^找不到 siting 可执行文件.*"
                           r"SITING_EXECUTABLE"):
            runner.find_executable(None)
        with pytest.raises(runner.SitingError) as e:
            runner.find_executable("/nowhere/siting")
        assert str(e.value).startswith("处理工具设置“siting 可执行文件”为“/nowhere/siting”，"
                                       "不是可执行文件")
        assert runner.error_message(["a", "b"], 3) == "siting 已停止，退出码 3：a | b"
        assert runner.error_message(["error: x.toml: bad"], 2) == "x.toml: bad"  # siting's
    finally:
        plugin_i18n.set_locale("en_US")
    assert plugin_i18n.language() == "en"
    assert plugin_i18n.tr("Output folder") == "Output folder"
    assert runner.error_message([], 3) == "siting stopped with exit code 3: no output"


# =========================================================================== qgis_process
@pytest.fixture(scope="module")
def qgis(tmp_path_factory):
    """A QGIS profile with the plugin installed and enabled; returns a qgis_process runner."""
    if QGIS_PROCESS is None:
        pytest.skip("qgis_process not installed")
    root = tmp_path_factory.mktemp("qgis")
    zip_path = root / "siting_qgis.zip"
    assert invoke("qgis-plugin", "--zip", str(zip_path)).exit_code == 0
    plugins = root / "config" / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(plugins)
    xdg = root / "xdg"
    xdg.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    # QGIS embeds the system Python, which finds its home from the first python on PATH: an
    # activated venv of another Python build (pyenv) would hand it the wrong standard library
    # (this one's, or any other venv a developer has activated in the shell)
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep)
        if p != venv_bin and not (Path(p).parent / "pyvenv.cfg").is_file())
    # the plugin's own texts follow QGIS's locale, here the system's: English, whatever the
    # locale of the shell the tests run in
    env.update({"QT_QPA_PLATFORM": "offscreen", "QGIS_CUSTOM_CONFIG_PATH": str(root / "config"),
                "SITING_EXECUTABLE": str(SITING), "XDG_RUNTIME_DIR": str(xdg),
                "LC_ALL": "C.UTF-8"})

    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    res = run("plugins", "enable", "siting_qgis")
    assert res.returncode == 0, res.stdout + res.stderr
    run.env = env  # type: ignore[attr-defined]
    return run


@needs_qgis
def test_qgis_process_lists_the_algorithms(qgis):
    res = qgis("list")
    assert res.returncode == 0, res.stderr
    for alg in ("siting:validate", "siting:run", "siting:sweep", "siting:brief"):
        assert alg in res.stdout


@needs_qgis
def test_qgis_validate_broken_layer_surfaces_the_one_line_error(qgis, tmp_path):
    doc = json.loads((DATA / "fleet.geojson").read_text(encoding="utf-8"))
    doc["features"][3]["properties"]["vehicles"] = -5
    bad = tmp_path / "fleet.geojson"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    res = qgis("run", "siting:validate", "--", f"NETWORK={DATA / 'roads.geojson'}",
               f"FLEET={bad}", f"CANDIDATES={DATA / 'candidates.geojson'}")
    assert res.returncode != 0
    want = (f"{bad}: feature 4 (fleet_id 'SAN004'): column 'vehicles' is negative (-5); "
            "give a value >= 0")
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("ERROR:")]
    assert errors == [f"ERROR:\t{want}"], res.stderr
    assert "Traceback" not in res.stderr + res.stdout


@needs_qgis
def test_qgis_validate_exported_layer_names_the_qgis_layer(qgis, tmp_path):
    """A filtered layer is exported (what QGIS shows), and messages name the QGIS layer."""
    subset = f"{DATA / 'fleet.geojson'}|subset=\"vehicles\" > 1000"  # matches no feature
    res = qgis("run", "siting:validate", "--", f"NETWORK={DATA / 'roads.geojson'}",
               f"FLEET={subset}", f"CANDIDATES={DATA / 'candidates.geojson'}")
    assert res.returncode != 0
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("ERROR:")]
    assert len(errors) == 1, res.stderr
    assert errors[0].startswith("ERROR:\tFleet points layer 'fleet': the demand layer has no "
                                "features"), errors[0]


@pytest.fixture(scope="module")
def qgis_run(qgis, tmp_path_factory):
    """siting:run through qgis_process on the bundled layers (once for the tests below)."""
    out = tmp_path_factory.mktemp("qrun") / "run"
    res = qgis("--json", "run", "siting:run", "--",
               f"NETWORK={DATA / 'roads.geojson'}", f"FLEET={DATA / 'fleet.geojson'}",
               f"CANDIDATES={DATA / 'candidates.geojson'}",
               f"EXISTING={DATA / 'existing.geojson'}", f"ZONES={DATA / 'zones.geojson'}",
               "BUDGET=20", "YEARS=2024,2025", "TIME_LIMIT=5", "LANGUAGE=0",
               "OUTPUT_CRS=EPSG:4547", "BASEMAP=3", "NAME=随州 QGIS", f"OUTPUT={out}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out, json.loads(res.stdout)


@needs_qgis
@pytest.mark.slow
def test_qgis_run_writes_the_outputs(qgis_run):
    out, doc = qgis_run
    results = doc["results"]
    assert Path(results["OUTPUT"]) == out
    # the scenario built from the layers sits in QGIS's temporary folder: the log says so
    said = [m for m in doc["log"]["info"] if m.startswith("Scenario written to ")]
    assert len(said) == 1 and "a temporary folder that QGIS empties when it closes" in said[0]
    assert Path(results["GEOPACKAGE"]) == out / "results.gpkg"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["budget"] == 20e6 and report["spent"] <= 20e6
    assert report["scenario"]["name"] == "随州 QGIS"
    n_fleet = len(json.loads((DATA / "fleet.geojson").read_text(encoding="utf-8"))["features"])
    assert report["inputs"]["fleet_points"] == n_fleet
    assert report["inputs"]["existing_stations"] == 2
    assert results["COVERAGE_SHARE"] == pytest.approx(report["coverage_share"], abs=1e-6)
    stations = gpd.read_file(out / "results.gpkg", layer="stations")
    assert stations.crs.to_epsg() == 4547
    geo = gpd.read_file(out / "stations.geojson")
    assert sorted(stations["site_id"]) == sorted(geo["site_id"])
    assert geo["capex"].sum() == pytest.approx(report["spent"])
    assert sorted(report["by_year"]) == ["2024", "2025"]
    with sqlite3.connect(out / "results.gpkg") as con:
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles WHERE "
                                            "useAsDefault")}
    assert {"stations", "demand", "candidates"} <= styled
    log = "\n".join(doc["log"]["info"])
    assert "Road network: using the file" in log  # a GIS file is passed as it is
    # siting's summary in QGIS's log: a line per table row, readable in a proportional font
    # (drawn tables with padded columns collapsed there into a jumble)
    assert not set(log) & set("│┃─━┏┡└"), log
    info = doc["log"]["info"]
    assert [ln.split("；")[0] for ln in info if ln.startswith("年份：")] == ["年份：2024",
                                                                          "年份：2025"], log
    assert f"输出位置：{out}" in info


@needs_qgis
@pytest.mark.slow
def test_qgis_loads_results_with_their_styles(qgis, qgis_run, tmp_path):
    """The layers the run queues for loading open in QGIS with the GeoPackage's styles, named
    in the run's language."""
    out, _ = qgis_run
    script = tmp_path / "load.py"
    script.write_text(f'''
import sys, json
from qgis.core import QgsApplication, QgsProcessingContext, QgsProject
app = QgsApplication([b"t"], False)
app.initQgis()
sys.path[:0] = ["/usr/share/qgis/python/plugins", {str(ROOT / "qgis_plugin")!r}]
from processing.core.Processing import Processing
Processing.initialize()
from processing.gui.Postprocessing import handleAlgorithmResults
from siting_qgis.algorithms import RunAlgorithm, load_results

project = QgsProject.instance()
ctx = QgsProcessingContext()
ctx.setProject(project)
uris = load_results({str(out / "results.gpkg")!r}, ctx, "OUTPUT")
alg = RunAlgorithm()
alg.initAlgorithm()
ok = handleAlgorithmResults(alg, ctx, showResults=False, parameters={{"OUTPUT": {str(out)!r}}})
layers = {{}}
for node in project.layerTreeRoot().findLayers():  # top first
    layer = node.layer()
    name = layer.source().rsplit("=", 1)[1]
    layers[name] = [layer.isValid(), layer.renderer().type(), layer.featureCount(),
                    layer.name(), node.parent().name()]
print(json.dumps({{"ok": ok, "uris": uris, "layers": layers}}, ensure_ascii=False))
''', encoding="utf-8")
    res = subprocess.run([SYSTEM_PYTHON, str(script)], env=qgis.env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert doc["ok"] is True
    layers = doc["layers"]
    assert sorted(layers) == sorted(u.rsplit("=", 1)[1] for u in doc["uris"])
    # loaded in this order, top first, whatever order Processing loads them in
    assert list(layers) == ["stations", "demand", "candidates", "roads", "zones",
                            "coverage_areas"]
    assert all(v[0] for v in layers.values())
    # each with the style of the GeoPackage's layer_styles (Processing alone gives none)
    with sqlite3.connect(out / "results.gpkg") as con:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    for name in ("stations", "coverage_areas", "demand"):
        kind = re.search(r'<renderer-v2[^>]* type="([A-Za-z]+)"', qml[name])
        assert kind is not None and layers[name][1] == kind.group(1), name
    assert layers["stations"][2] == len(gpd.read_file(out / "results.gpkg", layer="stations"))
    # named in the run's language (Chinese), as the map's legend: they were loaded as
    # stations, demand, coverage_areas ... in every run; their group after the scenario
    names = {k: v[3] for k, v in layers.items()}
    assert names == {"stations": "站点", "demand": t("layer.demand", "zh"),
                     "candidates": t("layer.candidates", "zh"),
                     "roads": t("layer.roads", "zh"), "zones": t("layer.zones", "zh"),
                     "coverage_areas": t("layer.coverage", "zh")}
    assert {v[4] for v in layers.values()} == {f"随州 QGIS · {out.name}"}


@needs_qgis
@pytest.mark.slow
def test_qgis_brief_of_the_run(qgis, qgis_run):
    if not any(Path(p).exists() for p in ("/usr/share/fonts/opentype/noto",
                                          "/usr/share/fonts/truetype/noto")):
        pytest.skip("the briefing wants fonts-noto-cjk")
    out, _ = qgis_run
    res = qgis("--json", "run", "siting:brief", "--", f"RUN={out}", "LANGUAGE=2")  # English
    assert res.returncode == 0, res.stderr[-3000:]
    pdf = Path(json.loads(res.stdout)["results"]["PDF"])
    assert pdf == out / "briefing.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


@needs_qgis
@pytest.mark.slow
def test_qgis_sweep_from_a_scenario_file(qgis, tmp_path):
    """By default the run's language is the scenario file's own ``lang`` (the plugin passed
    --lang zh whatever the file said)."""
    toml = small_scenario(tmp_path, 3.0)
    set_key(toml, "lang", '"en"')
    out = tmp_path / "sweep"
    res = qgis("--json", "run", "siting:sweep", "--", f"SCENARIO={toml}", "BUDGETS=10,40",
               "MAPS=false", f"OUTPUT={out}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    curve = Path(json.loads(res.stdout)["results"]["CURVE"])
    assert curve == out / "curve.csv"
    import csv

    with open(curve, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["budget_cny"]) for r in rows] == [10e6, 40e6]  # English headers
    assert json.loads((out / "sweep.json").read_text(encoding="utf-8"))["lang"] == "en"
    assert (out / "curve.png").is_file()


#: The start of a script run by QGIS's Python: QGIS and Processing up, the plugin (from the
#: folder in argv[1]) registered, ``processing`` imported.
QGIS_PROCESSING = r'''
import json, sys
from qgis.core import (QgsApplication, QgsProcessingContext, QgsProcessingFeedback,
                       QgsProcessingUtils, QgsProject)
app = QgsApplication([b"t"], False)
app.initQgis()
sys.path[:0] = ["/usr/share/qgis/python/plugins", sys.argv[1]]
from processing.core.Processing import Processing
Processing.initialize()
from siting_qgis.provider import SitingProvider
provider = SitingProvider()
QgsApplication.processingRegistry().addProvider(provider)
import processing
'''


PROCESSING_RUN = QGIS_PROCESSING + r'''


class Feedback(QgsProcessingFeedback):
    def __init__(self, cancel_on=None):
        super().__init__()
        self.progress, self.infos, self.commands, self.cancel_on = [], [], [], cancel_on
        self.progressChanged.connect(self.progress.append)

    def pushInfo(self, text):
        self.infos.append(text)

    def pushCommandInfo(self, text):
        self.commands.append(text)

    def setProgressText(self, text):
        if text == self.cancel_on:
            self.cancel()


out = {}
for key, toml, folder, cancel_on in json.loads(sys.argv[2]):
    fb = Feedback(cancel_on)
    try:
        processing.run("siting:run", {"SCENARIO": toml, "OUTPUT": folder, "BASEMAP": 3,
                                      "LOAD": False}, feedback=fb)
        error = None
    except Exception as e:
        error = str(e)
    out[key] = {"progress": fb.progress, "infos": fb.infos, "commands": fb.commands,
                "error": error}
print(json.dumps(out, ensure_ascii=False))
'''


@needs_qgis
@pytest.mark.slow
def test_qgis_run_of_a_scenario_file_reports_progress_and_one_cancel_message(qgis, tmp_path):
    """Through Processing, with a scenario file in a folder named with spaces and Chinese:
    the progress bar moves during the solve (it stood at 29 % until the solve ended, as the
    time limit was not read from the file), the logged command pastes into a shell, and a
    cancel is reported once (it was logged twice)."""
    import shlex

    toml = small_scenario(tmp_path / "规划 项目", 3.0)
    slow = small_scenario(tmp_path / "慢 场景", 120.0)
    cases = [["run", str(toml), str(tmp_path / "输出 1"), None],
             ["cancel", str(slow), str(tmp_path / "输出 2"), t("console.stage_model", "zh")]]
    res = subprocess.run([SYSTEM_PYTHON, "-c", PROCESSING_RUN, str(ROOT / "qgis_plugin"),
                          json.dumps(cases)], env=qgis.env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    run, cancel = got["run"], got["cancel"]
    assert run["error"] is None, run
    prepare = sum(runner.RUN_WEIGHTS[s] for s in runner._PREPARE)
    solved = prepare + runner.RUN_WEIGHTS["model"]
    assert any(prepare + 1 < p < solved - 1 for p in run["progress"]), run["progress"]
    assert run["progress"] == sorted(run["progress"]) and run["progress"][-1] == 100.0
    assert shlex.split(run["commands"][-1])[1:6] == ["--progress-json", "--plain-tables",
                                                     "run", str(toml), "--out"]
    assert (tmp_path / "输出 1" / "results.gpkg").is_file()
    said = "cancelled; siting stopped and left the output folder as it was"
    assert cancel["error"] is not None and said in cancel["error"]
    assert said not in cancel["infos"], cancel["infos"]
    assert not (tmp_path / "输出 2").exists()


SWEEP_LOAD = QGIS_PROCESSING + r'''
class Feedback(QgsProcessingFeedback):
    infos = []

    def pushInfo(self, text):
        self.infos.append(text)


context = QgsProcessingContext()
context.setProject(QgsProject.instance())
processing.run("siting:sweep", {"SCENARIO": sys.argv[2], "BUDGETS": "10,40", "MAPS": False,
                                "OUTPUT": sys.argv[3]}, context=context, feedback=Feedback())
layers = {}
for uri in context.layersToLoadOnCompletion():
    layer = QgsProcessingUtils.mapLayerFromString(uri, context)
    layers[uri] = {"fields": {f.name(): f.typeName() for f in layer.fields()},
                   "name": context.layerToLoadOnCompletionDetails(uri).name}
language = QgsApplication.processingRegistry().algorithmById("siting:sweep") \
    .parameterDefinition("LANGUAGE")
print(json.dumps({"layers": layers, "infos": Feedback.infos,
                  "language": [language.description(), *language.options()]},
                 ensure_ascii=False))
'''


@needs_qgis
@pytest.mark.slow
def test_qgis_sweep_curve_loads_with_numeric_columns(qgis, tmp_path):
    """The sweep's curve.csv, loaded into the project, has numbers as numbers (OGR read every
    column of it as text: budgets sorted as strings, nothing to plot), and is named in the
    sweep's language (it was 'coverage against budget' in every language). In a Chinese QGIS
    the plugin's own texts are Chinese (they were English only)."""
    from siting._format import header_years
    from siting.scenario import load_scenario

    toml = small_scenario(tmp_path, 3.0)
    out = tmp_path / "扫描 1"
    res = subprocess.run([SYSTEM_PYTHON, "-c", SWEEP_LOAD, str(ROOT / "qgis_plugin"), str(toml),
                          str(out)], env={**qgis.env, "LC_ALL": "zh_CN.UTF-8"},
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    layers = doc["layers"]
    assert len(layers) == 1
    uri, layer = next(iter(layers.items()))
    assert uri.split("|")[0] == str(out / "curve.csv")
    fields = layer["fields"]
    assert fields[t("sweep.csv_budget", "zh")] in ("Integer", "Integer64", "Real")
    years = header_years(load_scenario(toml).years)
    assert fields[t("sweep.csv_coverage", "zh", **years)] == "Real"
    assert fields[t("sweep.csv_status", "zh")] == "String"
    title = t("console.sweep_title", "zh", name=load_scenario(toml).name)
    assert layer["name"] == f"{title} · 扫描 1"
    assert doc["language"] == ["输出语言", "方案设定", "中文 (zh)", "English (en)"]
    assert f"使用方案文件 {toml}；不使用图层输入" in doc["infos"], doc["infos"]


TWO_RUNS = r'''
import json, sys
from qgis.core import QgsApplication, QgsLayerTreeGroup, QgsProcessingContext, QgsProject
app = QgsApplication([b"t"], False)
app.initQgis()
sys.path[:0] = ["/usr/share/qgis/python/plugins", sys.argv[1]]
from processing.core.Processing import Processing
Processing.initialize()
from processing.gui.Postprocessing import handleAlgorithmResults
from siting_qgis.algorithms import RunAlgorithm, load_results

project = QgsProject.instance()
for out in sys.argv[2:]:
    ctx = QgsProcessingContext()
    ctx.setProject(project)
    load_results(out + "/results.gpkg", ctx, "OUTPUT")
    alg = RunAlgorithm()
    alg.initAlgorithm()
    assert handleAlgorithmResults(alg, ctx, showResults=False, parameters={"OUTPUT": out})
tree = []
for node in project.layerTreeRoot().children():
    if isinstance(node, QgsLayerTreeGroup):
        tree.append([node.name(), [n.layer().source().rsplit("=", 1)[1]
                                   for n in node.children()]])
    else:
        tree.append([None, node.layer().source()])
print(json.dumps(tree, ensure_ascii=False))
'''


@needs_qgis
@pytest.mark.slow
def test_qgis_two_runs_load_into_one_group_each(qgis, qgis_run, tmp_path):
    """Two runs loaded into one project: each run's layers sit in a group named after its
    scenario and output folder (they were loose in the tree, twice 'stations', 'demand' ...
    with nothing to tell which run a layer came from)."""
    out, _ = qgis_run
    second = tmp_path / "预算 40 run"
    shutil.copytree(out, second)
    res = subprocess.run([SYSTEM_PYTHON, "-c", TWO_RUNS, str(ROOT / "qgis_plugin"), str(out),
                          str(second)], env=qgis.env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    tree = json.loads(res.stdout.strip().splitlines()[-1])
    order = ["stations", "demand", "candidates", "roads", "zones", "coverage_areas"]
    assert tree == [["随州 QGIS · 预算 40 run", order], [f"随州 QGIS · {out.name}", order]]
