"""Processing algorithms siting:validate, siting:run, siting:sweep and siting:brief.

Each runs the ``siting`` command line (see :mod:`.runner`); none imports siting. Inputs are
either a scenario file, or QGIS layers (any format QGIS opens, selected features only when
asked) plus a few parameters: the layers are written to GeoPackages in a fresh temporary
folder and ``siting init`` builds the scenario there (the same code as on the command line),
so the run sees exactly what a planner would get from ``siting init`` + ``siting run``.

The plugin's own texts (parameters, log lines, its errors) are in QGIS's language
(:mod:`.i18n`); siting's summary, errors and outputs are in the run's language: the scenario's
``lang`` unless the LANGUAGE parameter picks one.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, ClassVar

from qgis.core import (
    NULL,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputFolder,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsSettings,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

from .i18n import tr
from .run_folder import gpkg_layers, group_name, read_report, sweep_layer_name
from .runner import (
    BRIEF_WEIGHTS,
    GLOBAL_OPTIONS,
    SETTING_KEY,
    SitingCancelled,
    SitingError,
    StageProgress,
    command_line,
    find_executable,
    scenario_time_limit,
)
from .runner import run_siting as _run_siting

#: ``--lang`` of each LANGUAGE choice: None, the scenario's ``lang`` (no ``--lang``).
LANGS = (None, "zh", "en")
#: GIS files siting reads itself: such a layer is passed as the file, not copied, so
#: siting's messages name the user's file and its feature numbers.
DIRECT_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
#: Field types a GeoPackage takes as they are; others (JSON, lists ...) are written as text.
_PLAIN_TYPES = (QVariant.Int, QVariant.LongLong, QVariant.UInt, QVariant.ULongLong,
                QVariant.Double, QVariant.String, QVariant.Bool, QVariant.Date,
                QVariant.DateTime, QVariant.Time)
COORDS = ("wgs84", "gcj02", "bd09")
BASEMAPS = ("osm", "tianditu", "amap", "none")
#: Layers of results.gpkg, loaded bottom to top.
RESULT_LAYERS = ("coverage_areas", "zones", "roads", "candidates", "demand", "stations")


def executable() -> str:
    setting = QgsSettings().value(f"Processing/Configuration/{SETTING_KEY}", "", type=str)
    try:
        return find_executable(setting or None)
    except SitingError as e:
        raise QgsProcessingException(str(e)) from None


def run_siting(args: list[str], feedback: Any, *, progress: StageProgress | None = None,
               renames: dict[str, str] | None = None) -> list[str]:
    """:func:`.runner.run_siting`, with siting's errors as ``QgsProcessingException``.

    ``renames`` maps temporary file paths in messages to the names the user knows (the QGIS
    layer the file was written from).
    """
    exe = executable()
    feedback.pushCommandInfo(command_line([exe, *GLOBAL_OPTIONS, *args]))
    try:
        return _run_siting(args, feedback, executable=exe, progress=progress)
    except SitingCancelled as e:  # reported once, by Processing, as the algorithm's error
        raise QgsProcessingException(str(e)) from None
    except SitingError as e:
        text = str(e)
        for path, name in (renames or {}).items():
            text = text.replace(path, name)
        raise QgsProcessingException(text) from None


class SitingAlgorithm(QgsProcessingAlgorithm):
    """Shared inputs and the scenario they make."""

    SCENARIO = "SCENARIO"
    NAME = "NAME"
    NETWORK = "NETWORK"
    FLEET = "FLEET"
    CANDIDATES = "CANDIDATES"
    EXISTING = "EXISTING"
    ZONES = "ZONES"
    COORDS = "COORDS"
    BUDGET = "BUDGET"
    YEARS = "YEARS"
    TIME_LIMIT = "TIME_LIMIT"
    LANGUAGE = "LANGUAGE"
    OUTPUT_CRS = "OUTPUT_CRS"
    #: The layer inputs as messages name them (English; shown through ``tr``).
    LAYER_NAMES: ClassVar[dict[str, str]] = {
        NETWORK: "Road network", FLEET: "Fleet points", CANDIDATES: "Candidate sites",
        EXISTING: "Existing stations", ZONES: "Zones"}

    def group(self) -> str:
        return tr("Station siting")

    def groupId(self) -> str:
        return "siting"

    def createInstance(self) -> QgsProcessingAlgorithm:
        return type(self)()

    def tr(self, text: str) -> str:
        return tr(text)

    # ---- inputs
    def add_scenario_inputs(self) -> None:
        self.addParameter(QgsProcessingParameterFile(
            self.SCENARIO, tr("Scenario file (.toml); when given, the layers below and the "
                              "budget, years and time limit are not used"),
            behavior=QgsProcessingParameterFile.File, extension="toml", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.NETWORK, tr("Road network (lines, with a highway road-class column)"),
            [QgsProcessing.TypeVectorLine], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.FLEET, tr("Fleet points (fleet_id/编号, segment/车辆类别, vehicles/车辆数, "
                           "daily_km/日均里程)"), [QgsProcessing.TypeVectorPoint],
            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.CANDIDATES, tr("Candidate sites (site_id/站点编号, allowed_types/可建类型)"),
            [QgsProcessing.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.EXISTING, tr("Existing stations (site_id, station_type)"),
            [QgsProcessing.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ZONES, tr("Zones (polygons with zone_id)"), [QgsProcessing.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.NAME, tr("Scenario title (default: the fleet layer's name)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.COORDS, tr("Lon/lat of the point layers are"),
            options=[tr("WGS84 (GPS, OpenStreetMap, Tianditu)"),
                     tr("GCJ-02 (Amap, Tencent)"), tr("BD-09 (Baidu)")], defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.BUDGET, tr("Budget (million CNY; default 32)"),
            type=QgsProcessingParameterNumber.Double, optional=True, minValue=0.0))
        self.addParameter(QgsProcessingParameterString(
            self.YEARS, tr("Planning years, comma-separated (default 2023,2024,2025)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.TIME_LIMIT, tr("Solver time limit (seconds)"),
            type=QgsProcessingParameterNumber.Double, defaultValue=60.0, minValue=1.0))
        self.add_language()
        self.addParameter(QgsProcessingParameterCrs(
            self.OUTPUT_CRS, tr("CRS of the exported layers (default WGS84)"), optional=True))

    def add_language(self) -> None:
        self.addParameter(QgsProcessingParameterEnum(
            self.LANGUAGE, tr("Language of the outputs"),
            options=[tr("Scenario's language"), "中文 (zh)", "English (en)"], defaultValue=0))

    def lang_args(self, parameters: dict, context: QgsProcessingContext) -> list[str]:
        """``["--lang", zh|en]`` as chosen; ``[]`` for the scenario's own ``lang``."""
        lang = LANGS[self.parameterAsEnum(parameters, self.LANGUAGE, context)]
        return ["--lang", lang] if lang else []

    def output_crs(self, parameters: dict, context: QgsProcessingContext) -> str | None:
        if parameters.get(self.OUTPUT_CRS) in (None, ""):
            return None
        crs = self.parameterAsCrs(parameters, self.OUTPUT_CRS, context)
        if not crs.isValid():
            return None
        if not crs.authid():
            raise QgsProcessingException(tr("The output CRS has no authority id (EPSG:...); "
                                            "choose an EPSG CRS"))
        return crs.authid()

    # ---- the scenario
    def scenario(self, parameters: dict, context: QgsProcessingContext,
                 feedback: Any) -> tuple[str, float | None, dict[str, str]]:
        """The scenario file to run: the one given, or one built from the layers.

        Returns the scenario path, the solver time limit when known (for progress) and the
        temporary paths to rename in messages.
        """
        given = self.parameterAsFile(parameters, self.SCENARIO, context)
        if given:
            if not os.path.isfile(given):
                raise QgsProcessingException(tr("{}: scenario file not found; choose an "
                                                "existing .toml file").format(given))
            feedback.pushInfo(tr("Using the scenario file {}; the layer inputs are not used")
                              .format(given))
            return given, scenario_time_limit(given), {}
        folder = os.path.join(QgsProcessingUtils.tempFolder(), f"siting-{uuid.uuid4().hex[:8]}")
        os.makedirs(folder)
        files: dict[str, str] = {}
        renames: dict[str, str] = {}
        fleet_name = ""
        for name, required in ((self.NETWORK, True), (self.FLEET, True),
                               (self.CANDIDATES, True), (self.EXISTING, False),
                               (self.ZONES, False)):
            direct = self.layer_file(parameters, name, context)
            if direct is not None:
                path, label = direct, ""
                feedback.pushInfo(tr("{}: using the file {}").format(
                    tr(self.LAYER_NAMES[name]), direct))
            else:
                path, label = self.export(parameters, name, context, folder)
            if name == self.FLEET and path is not None:
                source = self.parameterAsSource(parameters, name, context)
                fleet_name = source.sourceName() if source is not None else ""
            if path is None:
                if required:
                    raise QgsProcessingException(tr(
                        "Give a scenario file, or the {} layer (with the road network, fleet "
                        "and candidate layers)").format(tr(self.LAYER_NAMES[name])))
                continue
            files[name] = path
            if label:
                renames[path.split("|")[0]] = label
        title = self.parameterAsString(parameters, self.NAME, context).strip() or fleet_name
        args = ["init", folder, "--network", files[self.NETWORK], "--fleet", files[self.FLEET],
                "--candidates", files[self.CANDIDATES], "--no-validate", "--link",
                *self.lang_args(parameters, context)]
        if title:
            args += ["--name", title]
        for name, opt in ((self.EXISTING, "--existing"), (self.ZONES, "--zones")):
            if name in files:
                args += [opt, files[name]]
        coords = COORDS[self.parameterAsEnum(parameters, self.COORDS, context)]
        if coords != "wgs84":
            args += ["--coords", coords]
        if parameters.get(self.BUDGET) not in (None, ""):
            args += ["--budget", repr(self.parameterAsDouble(parameters, self.BUDGET, context))]
        years = self.parameterAsString(parameters, self.YEARS, context).strip()
        if years:
            args += ["--years", years]
        time_limit = self.parameterAsDouble(parameters, self.TIME_LIMIT, context)
        args += ["--time-limit", repr(time_limit)]
        crs = self.output_crs(parameters, context)
        if crs:
            args += ["--output-crs", crs]
        run_siting(args, feedback, renames=renames)
        scenario = os.path.join(folder, "scenario.toml")
        feedback.pushInfo(tr("Scenario written to {} - a temporary folder that QGIS empties "
                             "when it closes: copy the folder to keep the scenario and rerun "
                             "it with `siting run`").format(scenario))
        return scenario, time_limit, renames

    def layer_file(self, parameters: dict, name: str,
                   context: QgsProcessingContext) -> str | None:
        """``path`` or ``path|layername=x`` when the input is a whole GIS file siting reads
        (no selection, no filter), else None (the layer is then exported)."""
        value = parameters.get(name)
        if isinstance(value, QgsProcessingFeatureSourceDefinition) and (
                value.selectedFeaturesOnly or value.featureLimit not in (-1, None)):
            return None
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is None or layer.providerType() != "ogr" or layer.subsetString():
            return None
        parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
        path = parts.get("path")
        if not isinstance(path, str) or not os.path.isfile(path) or not path.lower().endswith(
                DIRECT_SUFFIXES):
            return None
        for key, v in parts.items():
            if key not in ("path", "layerName", "layerId") and v not in (None, "", NULL):
                return None  # a subset, a geometry type filter ...: export what QGIS shows
        layer_name = parts.get("layerName")
        if isinstance(layer_name, str) and layer_name:
            return f"{path}|layername={layer_name}"
        return path

    def export(self, parameters: dict, name: str, context: QgsProcessingContext,
               folder: str) -> tuple[str | None, str]:
        """Write one input layer to ``folder/<name>.gpkg``; ``(None, "")`` if not given."""
        source = self.parameterAsSource(parameters, name, context)
        if source is None:
            return None, ""
        # siting's messages are English: the layer is named in English in them
        label = f"{self.LAYER_NAMES[name]} layer '{source.sourceName()}'"
        shown = tr("{} layer '{}'").format(tr(self.LAYER_NAMES[name]), source.sourceName())
        if not source.sourceCrs().isValid():
            raise QgsProcessingException(tr("{} has no CRS; set it in QGIS (Layer ▸ Set CRS) "
                                            "and run again").format(shown))
        path = os.path.join(folder, f"{name.lower()}.gpkg")  # init references it there
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = name.lower()
        options.fileEncoding = "UTF-8"
        options.layerOptions = ["FID=siting_fid"]  # a 'fid' field of the source stays a field
        fields = QgsFields()
        as_text = []
        for i, f in enumerate(source.fields()):
            if f.type() in _PLAIN_TYPES:
                fields.append(f)
            else:  # JSON, lists, maps: text (GeoPackage has no such types)
                fields.append(QgsField(f.name(), QVariant.String, "String"))
                as_text.append(i)
        writer = QgsVectorFileWriter.create(path, fields, source.wkbType(),
                                            source.sourceCrs(), context.transformContext(),
                                            options)
        if writer.hasError() != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(tr("{}: cannot write {}: {}").format(
                shown, path, writer.errorMessage()))
        for feature in source.getFeatures():
            if as_text:
                out = QgsFeature(fields)
                out.setGeometry(feature.geometry())
                attrs = feature.attributes()
                for i in as_text:
                    v = attrs[i]
                    attrs[i] = None if v is None or v == NULL else (
                        json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                        else str(v))
                out.setAttributes(attrs)
                feature = out
            writer.addFeature(feature, QgsFeatureSink.FastInsert)
        del writer  # closes the file
        return path, label


class ValidateAlgorithm(SitingAlgorithm):
    """``siting validate``: check a scenario and every layer; writes nothing."""

    SUMMARY = "SUMMARY"

    def name(self) -> str:
        return "validate"

    def displayName(self) -> str:
        return tr("Validate scenario")

    def shortHelpString(self) -> str:
        return tr("Checks a scenario file, or the given layers as a scenario, the way a run "
                  "would (network, demand, candidates, rules, reachability) and reports what "
                  "a run would work with. Writes nothing. A problem stops it with one line "
                  "naming the layer, the feature and the fix.")

    def initAlgorithm(self, config: Any = None) -> None:
        self.add_scenario_inputs()
        self.addOutput(QgsProcessingOutputString(self.SUMMARY, tr("Summary")))

    def processAlgorithm(self, parameters: dict, context: QgsProcessingContext,
                         feedback: Any) -> dict:
        scenario, _, renames = self.scenario(parameters, context, feedback)
        lines = run_siting(["validate", scenario], feedback, renames=renames)
        summary = "\n".join(ln for ln in lines if ln.strip())
        return {self.SUMMARY: summary}


class RunAlgorithm(SitingAlgorithm):
    """``siting run``: solve and write the map and the exports; load them into the project."""

    OUTPUT = "OUTPUT"
    BASEMAP = "BASEMAP"
    LOAD = "LOAD"
    GEOPACKAGE = "GEOPACKAGE"
    MAP = "MAP"
    REPORT = "REPORT"
    SCENARIO_FILE = "SCENARIO_FILE"
    COVERAGE = "COVERAGE_SHARE"

    def name(self) -> str:
        return "run"

    def displayName(self) -> str:
        return tr("Site stations (run)")

    def shortHelpString(self) -> str:
        return tr("Places battery-swap, charging and hydrogen stations so that the most "
                  "fleet demand is served within the budget, and writes the output folder: "
                  "map.html (interactive, offline), results.gpkg (styled layers, loaded into "
                  "the project), stations.geojson, summary.csv, report.json. Give a scenario "
                  "file, or the road, fleet and candidate layers (a starter scenario is built "
                  "from the bundled Suizhou station types and segments, as `siting init` "
                  "does). Cancel stops siting and leaves the output folder as it was.")

    def initAlgorithm(self, config: Any = None) -> None:
        self.add_scenario_inputs()
        self.addParameter(QgsProcessingParameterEnum(
            self.BASEMAP, tr("Basemap of map.html"), options=list(BASEMAPS), defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.LOAD, tr("Load the result layers into the project"), defaultValue=True))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT, tr("Output folder")))
        self.addOutput(QgsProcessingOutputFile(self.GEOPACKAGE, "results.gpkg"))
        self.addOutput(QgsProcessingOutputFile(self.MAP, "map.html"))
        self.addOutput(QgsProcessingOutputFile(self.REPORT, "report.json"))
        self.addOutput(QgsProcessingOutputFile(self.SCENARIO_FILE, tr("Scenario file used")))
        self.addOutput(QgsProcessingOutputNumber(self.COVERAGE, tr("Coverage share (0-1)")))

    def processAlgorithm(self, parameters: dict, context: QgsProcessingContext,
                         feedback: Any) -> dict:
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        scenario, time_limit, renames = self.scenario(parameters, context, feedback)
        args = ["run", scenario, "--out", out, *self.lang_args(parameters, context),
                "--basemap", BASEMAPS[self.parameterAsEnum(parameters, self.BASEMAP, context)]]
        crs = self.output_crs(parameters, context)
        if crs:
            args += ["--crs", crs]
        run_siting(args, feedback, progress=StageProgress(1, time_limit), renames=renames)
        gpkg = os.path.join(out, "results.gpkg")
        report = read_report(out)
        if self.parameterAsBoolean(parameters, self.LOAD, context):
            load_results(gpkg, context, self.OUTPUT)
        return {self.OUTPUT: out, self.GEOPACKAGE: gpkg,
                self.MAP: os.path.join(out, "map.html"),
                self.REPORT: os.path.join(out, "report.json"), self.SCENARIO_FILE: scenario,
                self.COVERAGE: float(report.get("coverage_share", float("nan")))}


class SweepAlgorithm(SitingAlgorithm):
    """``siting sweep``: coverage against budget, a run per budget."""

    OUTPUT = "OUTPUT"
    BUDGETS = "BUDGETS"
    N = "N"
    FROM = "FROM"
    TO = "TO"
    MAPS = "MAPS"
    CURVE = "CURVE"

    def name(self) -> str:
        return "sweep"

    def displayName(self) -> str:
        return tr("Coverage against budget (sweep)")

    def shortHelpString(self) -> str:
        return tr("Solves the scenario for a range of budgets and writes curve.csv and "
                  "curve.png (the knee marked) and, optionally, a full run folder per budget. "
                  "Budgets: a list in million CNY, or N budgets from FROM to TO times the "
                  "scenario's budget.")

    def initAlgorithm(self, config: Any = None) -> None:
        self.add_scenario_inputs()
        self.addParameter(QgsProcessingParameterString(
            self.BUDGETS, tr("Budgets in million CNY, e.g. 10,20,40 (instead of N/from/to)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.N, tr("Number of budgets"), type=QgsProcessingParameterNumber.Integer,
            defaultValue=8, minValue=2))
        self.addParameter(QgsProcessingParameterNumber(
            self.FROM, tr("Smallest budget (× the scenario's)"),
            type=QgsProcessingParameterNumber.Double, defaultValue=0.25, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.TO, tr("Largest budget (× the scenario's)"),
            type=QgsProcessingParameterNumber.Double, defaultValue=2.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.MAPS, tr("Write a full run (map and exports) per budget"), defaultValue=True))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT, tr("Output folder")))
        self.addOutput(QgsProcessingOutputFile(self.CURVE, "curve.csv"))

    def processAlgorithm(self, parameters: dict, context: QgsProcessingContext,
                         feedback: Any) -> dict:
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        scenario, time_limit, renames = self.scenario(parameters, context, feedback)
        budgets = self.parameterAsString(parameters, self.BUDGETS, context).strip()
        args = ["sweep", scenario, "--out", out, *self.lang_args(parameters, context),
                "--maps" if self.parameterAsBoolean(parameters, self.MAPS, context)
                else "--no-maps"]
        if budgets:
            args += ["--budgets", budgets]
            solves = len([b for b in budgets.split(",") if b.strip()])
        else:
            solves = self.parameterAsInt(parameters, self.N, context)
            args += ["--n", str(solves),
                     "--from", repr(self.parameterAsDouble(parameters, self.FROM, context)),
                     "--to", repr(self.parameterAsDouble(parameters, self.TO, context))]
        run_siting(args, feedback, progress=StageProgress(solves, time_limit), renames=renames)
        curve = os.path.join(out, "curve.csv")
        # named in the sweep's language, from its sweep.json (the scenario's lang, or --lang)
        name = sweep_layer_name(out, tr("coverage against budget"), temporary=temporary(out))
        details = QgsProcessingContext.LayerDetails(name, context.project(), self.OUTPUT)
        # OGR reads every CSV column as text unless told to detect types: the budgets,
        # coverage and costs load as numbers (sortable, plottable)
        context.addLayerToLoadOnCompletion(f"{curve}|option:AUTODETECT_TYPE=YES", details)
        return {self.OUTPUT: out, self.CURVE: curve}


class BriefAlgorithm(SitingAlgorithm):
    """``siting brief``: the review-board briefing of a finished run."""

    RUN = "RUN"
    PDF = "PDF"

    def name(self) -> str:
        return "brief"

    def displayName(self) -> str:
        return tr("Review-board briefing (PDF)")

    def shortHelpString(self) -> str:
        return tr("Writes briefing.pdf and one PNG per page into a run folder written by "
                  "'Site stations (run)' or `siting run`.")

    def initAlgorithm(self, config: Any = None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            self.RUN, tr("Run folder"), behavior=QgsProcessingParameterFile.Folder))
        self.add_language()
        self.addOutput(QgsProcessingOutputFile(self.PDF, "briefing.pdf"))
        self.addOutput(QgsProcessingOutputFolder("FOLDER", tr("Run folder")))

    def processAlgorithm(self, parameters: dict, context: QgsProcessingContext,
                         feedback: Any) -> dict:
        folder = self.parameterAsFile(parameters, self.RUN, context)
        run_siting(["brief", folder, *self.lang_args(parameters, context)], feedback,
                   progress=StageProgress(weights=BRIEF_WEIGHTS))
        return {self.PDF: os.path.join(folder, "briefing.pdf"), "FOLDER": folder}


ALGORITHMS = (ValidateAlgorithm, RunAlgorithm, SweepAlgorithm, BriefAlgorithm)


# --------------------------------------------------------------------------- outputs
def temporary(folder: str) -> bool:
    """Whether ``folder`` is in QGIS's temporary folder (an output left to QGIS to name)."""
    return os.path.abspath(folder).startswith(
        os.path.abspath(QgsProcessingUtils.tempFolder()) + os.sep)


#: Custom property of the layer-tree group that holds one run's layers: its results.gpkg.
GROUP_KEY = "siting/results"


def result_group(project: Any, gpkg: str, name: str) -> Any:
    """The layer-tree group of the run of ``gpkg``, made at the top of the tree named ``name``
    (:func:`.run_folder.group_name`) the first time, so two runs' layers (both named
    stations, demand ...) are told apart."""
    root = project.layerTreeRoot()
    for group in root.findGroups():
        if group.customProperty(GROUP_KEY) == gpkg:
            return group
    group = root.insertGroup(0, name)
    group.setCustomProperty(GROUP_KEY, gpkg)
    return group


def order_result_layers(project: Any, gpkg: str, group: str) -> list[str]:
    """Put the loaded layers of ``gpkg`` into the run's group (:func:`result_group`) in
    :data:`RESULT_LAYERS` order (stations on top); return the layer names, top first."""
    root = project.layerTreeRoot()
    nodes = {}
    prefix = f"{gpkg}|layername="
    for layer in project.mapLayers().values():
        if layer.source().startswith(prefix):
            node = root.findLayer(layer.id())
            if node is not None:
                nodes[layer.source()[len(prefix):].split("|")[0]] = node
    if not nodes:
        return []
    tree_group = result_group(project, gpkg, group)
    for name in RESULT_LAYERS:  # bottom to top: each goes to the top of the group
        node = nodes.get(name)
        if node is None:
            continue
        parent = node.parent()
        tree_group.insertChildNode(0, node.clone())
        parent.removeChildNode(node)
    return [n for n in reversed(RESULT_LAYERS) if n in nodes]


class StyledResult(QgsProcessingLayerPostProcessorInterface):
    """Run by Processing as each result layer is loaded: apply the GeoPackage's default
    style (Processing opens result layers without it) and keep the result layers in their
    run's group, in order (stations on top; Processing loads them sorted by name)."""

    def __init__(self, gpkg: str, project: Any, group: str) -> None:
        super().__init__()
        self.gpkg = gpkg
        self.project = project
        self.group = group

    def postProcessLayer(self, layer: Any, context: QgsProcessingContext,
                         feedback: Any) -> None:
        if isinstance(layer, QgsVectorLayer):
            _, ok = layer.loadDefaultStyle()
            if not ok and feedback is not None:
                feedback.pushInfo(tr("{}: no style in the GeoPackage").format(layer.name()))
            layer.triggerRepaint()
        if self.project is not None:
            order_result_layers(self.project, self.gpkg, self.group)


#: Post-processors handed to Processing, kept alive until QGIS has used them.
_POST_PROCESSORS: list[StyledResult] = []


def load_results(gpkg: str, context: QgsProcessingContext, output: str) -> list[str]:
    """Queue the result layers for loading when the algorithm ends, each with a
    :class:`StyledResult` post-processor (the styles are in the GeoPackage's layer_styles
    table). The layers and their group are named in the run's language, from the run folder
    (:mod:`.run_folder`)."""
    titles = gpkg_layers(gpkg)
    folder = os.path.dirname(os.path.abspath(gpkg))
    group = group_name(read_report(folder), folder, temporary=temporary(folder))
    uris = []
    del _POST_PROCESSORS[:-50]  # earlier runs' (Processing has used them by now)
    for name in RESULT_LAYERS:
        if name in titles:
            uri = f"{gpkg}|layername={name}"
            details = QgsProcessingContext.LayerDetails(titles[name], context.project(), output)
            details.forceName = True  # the title, even when QGIS prefers the layer's name
            post = StyledResult(gpkg, context.project(), group)
            _POST_PROCESSORS.append(post)
            details.setPostProcessor(post)
            context.addLayerToLoadOnCompletion(uri, details)
            uris.append(uri)
    return uris
