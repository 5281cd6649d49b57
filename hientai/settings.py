"""Typed settings, loaded from ``conf/hientai.yaml`` at the edge (CLI, flows), never at import."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

# The settings file, relative to the project root (see ``project_root``).
DEFAULT_CONFIG_PATH = Path("conf/hientai.yaml")
HOME_ENV = "HIENTAI_HOME"
CONFIG_ENV = "HIENTAI_CONFIG"
DATA_DIR_ENV = "HIENTAI_DATA_DIR"
TODAY_ENV = "HIENTAI_TODAY"
# The review app's session key; overrides settings.review.secret (kept out of files in git).
REVIEW_SECRET_ENV = "HIENTAI_REVIEW_SECRET"
NO_DATA_DIR = (
    "data folder {path} does not exist: nothing has been ingested there. Run `make demo` or "
    "`hientai ingest EXTRACT` first, or point {home} at the project folder (the one holding "
    "conf/hientai.yaml) or {data} at an existing data folder"
)


class ContractSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_levels: list[str] = Field(default_factory=lambda: ["central", "province", "commune"])

    @field_validator("org_levels")
    @classmethod
    def _levels_unique(cls, levels: list[str]) -> list[str]:
        if not levels or len(set(levels)) != len(levels):
            raise ValueError("org_levels must be a non-empty list of distinct level names")
        return levels


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_rejection_rate: float = Field(0.05, ge=0.0, le=1.0)
    max_rejection_rate_by_table: dict[str, float] = Field(default_factory=dict)
    na_values: list[str] = Field(
        default_factory=lambda: ["", "NA", "N/A", "n/a", "NULL", "null", "None", "nan", "NaN"]
    )
    excel_header_search_rows: int = Field(30, ge=1)
    # Publish guard: an extract whose table lost more than this share of the accepted rows of
    # the latest snapshot is held (published only with --accept-shrink).
    max_shrink_share: float = Field(0.2, ge=0.0, le=1.0)
    # Table files and mapping sources outside the extract folder are refused unless listed here.
    allow_outside_paths: list[Path] = Field(default_factory=list)

    def max_rate_for(self, table: str) -> float:
        return self.max_rejection_rate_by_table.get(table, self.max_rejection_rate)


class ProxySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Folded ROC-AUC at or above which a feature is flagged as a proxy.
    threshold: float = Field(0.65, gt=0.5, le=1.0)
    # Whether flagged features are dropped from model training (measured: off).
    exclude_flagged: bool = False


class LabelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # What the model learns to predict: "results" (demonstrated results in the horizon, for
    # everyone with enough evidence; features/results_label.py) or "promotion" (promoted in
    # the horizon and then proved it; features/labels.py).
    family: Literal["results", "promotion"] = "results"
    horizon_years: int = Field(2, ge=1, le=10)
    # Results label: the top share of results scores labelled 1, and the records a person needs
    # in the horizon to be labelled at all.
    top_share: float = Field(0.2, gt=0, lt=1)
    min_evidence: int = Field(2, ge=1)
    leadership_only: bool = True
    min_rating_after: Literal["excellent", "good", "completed"] | None = "good"
    no_discipline_after: bool = True


class FeatureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: Literal["pandas", "duckdb"] = "pandas"
    # Use a feature table already built from the same snapshot, date, code and settings.
    reuse: bool = True
    # Threads computing a night's (or `hientai features`') dimensions side by side: "auto" is
    # the cores the process may run on, at most 4; 1: one after the other. Same features.
    threads: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = "auto"
    proxy: ProxySettings = Field(default_factory=ProxySettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)


class GateSettings(BaseModel):
    """Fairness thresholds a challenger must pass to become champion (and beat it)."""

    model_config = ConfigDict(extra="forbid")
    # Lowest selection-rate impact ratio of the top k across the gated attributes.
    min_impact_ratio: float | None = Field(0.3, ge=0, le=1)
    # Attributes the impact-ratio threshold applies to (names from features.proxy).
    attributes: list[str] = Field(
        default_factory=lambda: [
            "party_member",
            "male",
            "ethnic_majority",
            "vietnamese_nationality",
            "religion_majority",
            "local_hometown",
        ]
    )
    # The impact ratios and merit-by-group ratios compare who is in the top share of each
    # cohort (at least one person per cohort); null: the top k of each cohort, which over
    # cohorts of very different sizes misreads groups spread unevenly between them.
    selection_share: float | None = Field(0.1, gt=0, le=1)
    max_brier: float | None = Field(None, gt=0)
    # A challenger must beat the champion's primary metric by more than this.
    min_improvement: float = Field(0.0, ge=0)


class TrainingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_uri: str | None = None  # default: sqlite:///<data_dir>/mlflow.db
    # Where new experiments keep their artifacts (models, reports); default:
    # <data_dir>/mlartifacts, never the current folder's ./mlruns.
    artifact_location: str | None = None
    experiment: str = "hientai"
    model_name: str = "hientai-potential"
    # Historical as_of dates of the training frame: yearly on this month-day, from the first
    # year with `history_years` of history before it to the last whose label horizon fits.
    as_of_month_day: str = Field("01-01", pattern=r"^\d\d-\d\d$")
    history_years: int = Field(3, ge=1, le=20)
    max_as_of_dates: int = Field(6, ge=2, le=30)
    n_valid_dates: int = Field(1, ge=1)
    # Processes that label the dates and build their features, each holding the extract's
    # tables (about 4.6 GiB for 1,000,000 people): "auto" is 2 (or the cores it may run on, if
    # fewer) for an extract of 500,000 rows or more, else 1 (the training's own process).
    frame_workers: Annotated[int, Field(ge=1, le=64)] | Literal["auto"] = "auto"
    # How a model is validated: "time" holds out the latest n_valid_dates; "people" holds out
    # a stratified share of people at the same date (extracts of one date, such as WNS);
    # "auto" takes time when more than n_valid_dates dates have promotions, else people.
    split: Literal["auto", "time", "people"] = "auto"
    holdout_share: float = Field(0.2, gt=0, lt=1)
    k: int = Field(10, ge=1)
    reweigh: bool = True
    seed: int = 0
    params: dict[str, float | int] = Field(default_factory=dict)
    # Train the LambdaRank ranker beside the classifier and print it as a comparison (the
    # classifier is what is registered and served). A national training took 15 min 46 s with
    # it (2026-12-03) and 3 min 17 s to 3 min 26 s without (2026-12-04): off for routine
    # retrains once the comparison is made.
    compare_ranker: bool = True
    # Budgeted Optuna search of the LightGBM params before the final fit (0 = off).
    search_trials: int = Field(0, ge=0)
    search_timeout_s: float | None = Field(None, gt=0)
    gate: GateSettings = Field(default_factory=GateSettings)


Education = Literal[
    "lower_secondary", "upper_secondary", "vocational", "college", "bachelor", "master",
    "doctorate",
]  # fmt: skip
PoliticalTheory = Literal["elementary", "intermediate", "advanced"]
StateManagement = Literal["specialist", "principal_specialist", "senior_specialist"]
# Attributes the nightly audit and re-ranking know (models/shortlist.py AUDITABLE).
Auditable = Literal[
    "party_member", "nationality", "gender", "ethnicity", "hometown", "age_band", "population"
]  # fmt: skip


class StandingPoolSettings(BaseModel):
    """A talent pool that exists whatever the positions table says (national, external)."""

    model_config = ConfigDict(extra="forbid")
    pool_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    population: Literal["internal", "external", "any"] = "internal"
    max_age: int | None = Field(None, ge=18, le=80)
    min_education: Education | None = None
    min_political_theory: PoliticalTheory | None = None
    min_state_management: StateManagement | None = None
    min_years_service: int | None = Field(None, ge=0)
    required_languages: str | None = Field(
        None, pattern=r"^[a-z]{2}(:(A1|A2|B1|B2|C1|C2))?(;[a-z]{2}(:(A1|A2|B1|B2|C1|C2))?)*$"
    )
    requires_party_member: bool = False
    k: int | None = Field(None, ge=1)


def _default_standing_pools() -> list[StandingPoolSettings]:
    return [
        StandingPoolSettings(
            pool_id="national-young-talent",
            title="Nguồn cán bộ trẻ triển vọng toàn quốc / National young-talent pool",
            population="internal",
            max_age=40,
            min_education="bachelor",
            k=20,
        ),
        StandingPoolSettings(
            pool_id="external-talent",
            title="Nguồn nhân tài bên ngoài / External-talent pool",
            population="external",
            k=20,
        ),
    ]


# The coarse views of two attributes (models/shortlist.py VIEWS): audited beside their
# attribute, and usable in an intersection (ethnicity_majority x gender: a few groups per pool
# where ethnicity x gender has one per recorded ethnicity and gender).
AuditView = Literal["nationality_vn", "ethnicity_majority"]
VIEW_OF: dict[str, str] = {"nationality_vn": "nationality", "ethnicity_majority": "ethnicity"}


def _default_intersections() -> list[list[Auditable | AuditView]]:
    return [["party_member", "gender"], ["ethnicity", "gender"]]


RerankAttribute = Literal[
    "party_member", "nationality", "gender", "ethnicity", "age_band", "population"
]  # fmt: skip


def _default_rerank() -> list[RerankAttribute]:
    return ["party_member", "gender"]


class AuditSettings(BaseModel):
    """Fairness checks of every shortlist and of the whole run (models/shortlist_fairness)."""

    model_config = ConfigDict(extra="forbid")
    min_impact_ratio: float = Field(0.8, ge=0, le=1)
    min_scoring_impact_ratio: float = Field(0.8, ge=0, le=1)
    max_abs_skew: float = Field(0.5, gt=0)
    max_ndkl: float = Field(0.2, gt=0)
    min_exposure_ratio: float = Field(0.8, ge=0, le=1)
    min_group: int = Field(5, ge=1)
    confidence: float = Field(0.95, gt=0, lt=1)
    attributes: list[Auditable] = Field(default_factory=lambda: list(get_args(Auditable)))
    intersections: list[list[Auditable | AuditView]] = Field(
        default_factory=_default_intersections
    )

    @model_validator(mode="after")
    def _intersections_of_audited(self) -> AuditSettings:
        if "intersections" not in self.model_fields_set:
            # The default intersections follow the attributes: narrowing the attributes drops
            # the default intersections of those left out instead of refusing the settings.
            audited = set(self.attributes)
            self.intersections = [
                parts
                for parts in self.intersections
                if {VIEW_OF.get(p, p) for p in parts} <= audited
            ]
            return self
        for parts in self.intersections:
            where = f"nightly.audit.intersections {parts}"
            bases = {VIEW_OF.get(p, p) for p in parts}  # a view counts as its attribute
            if len(parts) < 2 or len(bases) < len(parts):
                raise ValueError(
                    f"{where}: an intersection needs two or more different attributes (a view "
                    "such as ethnicity_majority counts as its attribute)"
                )
            if "hometown" in parts:
                raise ValueError(
                    f"{where}: hometown locality is relative to each pool's province, so it "
                    "cannot be part of an intersection"
                )
            missing = sorted(bases - set(self.attributes))
            if missing:
                raise ValueError(
                    f"{where}: {missing} not in nightly.audit.attributes; an intersection "
                    "(or a view such as ethnicity_majority) needs its attributes audited"
                )
        return self


class RerankSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # audit_only: shortlists follow the model's order and are audited; rerank: DetGreedy
    # reorders the qualified candidates towards the eligible pool's shares. Both orders are
    # stored either way.
    policy: Literal["audit_only", "rerank"] = "audit_only"
    # Hometown locality depends on each pool, so it cannot be a re-ranking group.
    attributes: list[RerankAttribute] = Field(default_factory=_default_rerank, min_length=1)


class WarningSettings(BaseModel):
    """Early warnings for leaders ("in and out, up and down")."""

    model_config = ConfigDict(extra="forbid")
    rating_trend_below: float = -0.3
    rating_last_at_most: float = 1.0  # 1 = "completed", 0 = "not completed"
    vote_high_share_drop: float = 0.10
    vote_low_share_above: float = 0.30
    kpi_drop: float = 0.15  # last year's KPI achievement below the two before by this much


class DriftSettings(BaseModel):
    """When a night's drift (models.drift) becomes a warning on the run."""

    model_config = ConfigDict(extra="forbid")
    # Population stability index of a feature or the score, against the champion's training
    # rows or the previous night: above 0.25 is the usual "large shift".
    psi_warning: float = Field(0.25, gt=0)
    # Rise of a feature's or a table's share of missing values (0.1 = ten points).
    missing_share_warning: float = Field(0.1, gt=0, le=1)


class NightlySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    k: int = Field(10, ge=1)
    # Candidates re-ranking may reorder: the top qualified_factor x k of the eligible pool.
    qualified_factor: float = Field(3.0, ge=1.0)
    # Age window of planning slots (young-cadre pools) that do not state their own; null:
    # such slots have no age window.
    young_max_age: int | None = Field(40, ge=18, le=80)
    # Pools: every planning slot, every vacant leadership post (and filled ones if asked).
    include_filled_posts: bool = False
    # Planning slots: political-theory and state-management standards are needs to meet before
    # appointment ("development", by measurement: docs/model-selection.md) or exclusions.
    planning_course_standards: Literal["required", "development"] = "development"
    # Planning slots with a planning term ('2026-2031'): years of service counted as they will
    # be at the term's end ("term_end": appointment comes within the term) or at the night.
    planning_service_by: Literal["as_of", "term_end"] = "term_end"
    # Pools with an age window rank each candidate by place among the pool's candidates at the
    # same career stage (years of service), not by the raw score (models/career_stage.py).
    stage_relative_young_pools: bool = True
    # Rotation rule: these titles at province level take candidates from outside the
    # province (on top of any position flagged requires_outside_hometown).
    rotation_titles: list[str] = Field(
        default_factory=lambda: ["party_secretary", "committee_chair"]
    )
    rotation_levels: list[str] = Field(default_factory=lambda: ["province"])
    no_active_discipline: bool = True
    standing_pools: list[StandingPoolSettings] = Field(default_factory=_default_standing_pools)
    app_db_url: str | None = None  # default sqlite:///<data_dir>/app.db
    audit: AuditSettings = Field(default_factory=AuditSettings)
    rerank: RerankSettings = Field(default_factory=RerankSettings)
    warnings: WarningSettings = Field(default_factory=WarningSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    # Early warnings, drift and explanations run beside the other stages in a process of their
    # own (pipelines/side_process.py): "auto" on 2 cores or more for 100,000 people or more;
    # false: on threads of the night's process.
    side_process: bool | Literal["auto"] = "auto"


# Engines of the night's per-person stages (pipelines/dask_engine.py).
NightEngine = Literal["local", "dask"]
SCHEDULER_ADDRESS = (
    "dask.scheduler must be the address of a running Dask scheduler, such as "
    "tcp://10.0.0.5:8786, or empty to start a LocalCluster of dask.workers workers on this "
    "machine; got {value!r}"
)
_SCHEDULER_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx|inproc)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)(?::\d{1,5})?$"
)


class DaskSettings(BaseModel):
    """Where the Dask engine (``engine: dask``) runs the night's partitioned stages."""

    model_config = ConfigDict(extra="forbid")
    # A running scheduler (tcp://host:8786); empty: a LocalCluster started for the night.
    scheduler: str = ""
    # The LocalCluster's worker processes and threads per worker (ignored with a scheduler).
    workers: int = Field(2, ge=1, le=256)
    threads_per_worker: int = Field(1, ge=1, le=64)
    # Partitions of the people (by hash of person id); null: one per worker thread.
    partitions: int | None = Field(None, ge=1, le=4096)
    # Seconds to wait for the scheduler to answer and for its first worker.
    connect_timeout_s: float = Field(30.0, gt=0)

    @field_validator("scheduler")
    @classmethod
    def _scheduler_address(cls, value: str) -> str:
        value = value.strip()
        if value and not _SCHEDULER_ADDRESS.match(value):
            raise ValueError(SCHEDULER_ADDRESS.format(value=value))
        return value


class PrivacySettings(BaseModel):
    """Personal data is readable by its service alone: folders 0700, files 0600, unless a group
    is named (then 0750 / 0640 with that group)."""

    model_config = ConfigDict(extra="forbid")
    group: str | None = None


class ReviewSettings(BaseModel):
    """The review app (`hientai serve`)."""

    model_config = ConfigDict(extra="forbid")
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)  # processes; `hientai serve --workers` overrides
    # Threads per process that run page handlers: pages are mostly Python holding the GIL, so
    # a few threads serve as many pages as forty and queue them more fairly.
    threads: int = Field(8, ge=1, le=256)
    session_minutes: int = Field(30, ge=1)
    max_failed_signins: int = Field(5, ge=1)
    signin_lockout_minutes: int = Field(15, ge=1)
    default_language: Literal["vi", "en"] = "vi"
    # How long a process reuses the signed-in account and the night's run row before asking
    # the database again; a disable, reset or sign-out made in another process (the command
    # line, another worker) takes effect there within this time. 0: ask on every page.
    cache_seconds: float = Field(2.0, ge=0, le=60)
    # The key that signs session cookies; $HIENTAI_REVIEW_SECRET overrides it. With neither,
    # every start draws a new key and everyone signs in again.
    secret: SecretStr | None = None
    # The model's readiness proposal (docs/review-app.md): on the shortlist and at least this
    # percentile of everyone eligible: ready now; on it below that, or off it and at least
    # readiness_soon_percentile: in 1-2 years; else later.
    readiness_now_percentile: float = Field(90.0, ge=0, le=100)
    readiness_soon_percentile: float = Field(75.0, ge=0, le=100)

    @model_validator(mode="after")
    def _readiness_order(self) -> ReviewSettings:
        if self.readiness_soon_percentile > self.readiness_now_percentile:
            raise ValueError(
                "review.readiness_soon_percentile must not exceed readiness_now_percentile"
            )
        return self


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data_dir: Path = Path("data")
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    nightly: NightlySettings = Field(default_factory=NightlySettings)
    # Where the night's per-person stages (scoring, explanations) run: in this process, or
    # partitioned on a Dask cluster (docs/scale.md).
    engine: NightEngine = "local"
    dask: DaskSettings = Field(default_factory=DaskSettings)
    # A night and a feature build keep the memory they free for their next arrays instead of
    # giving it back to the system at once (hientai/memory.py): faster, the peak held longer.
    keep_freed_memory: bool = True
    # The date ingestion treats as "today" for the no-future-dates rule; None means the clock.
    today: dt.date | None = None

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def features_dir(self) -> Path:
        return self.data_dir / "features"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def tracking_uri(self) -> str:
        if self.training.tracking_uri:
            return self.training.tracking_uri
        return f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"

    @property
    def artifact_location(self) -> str:
        if self.training.artifact_location:
            return self.training.artifact_location
        return (self.data_dir / "mlartifacts").resolve().as_uri()

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def app_db_url(self) -> str:
        if self.nightly.app_db_url:
            return self.nightly.app_db_url
        return f"sqlite:///{(self.data_dir / 'app.db').resolve()}"

    def reference_today(self) -> dt.date:
        return self.today or dt.date.today()

    def require_data_dir(self) -> Path:
        """The data folder, which must exist: only ingestion may start a new one, so a command
        run from the wrong folder says so instead of working on a new, empty data folder."""
        if not self.data_dir.is_dir():
            raise DataDirMissing(
                NO_DATA_DIR.format(path=self.data_dir, home=HOME_ENV, data=DATA_DIR_ENV)
            )
        return self.data_dir


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as 'key.path: message; ...', for messages that name the file too."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )


class SettingsError(ValueError):
    """The configuration file is missing or invalid; the message names the file and key."""


class DataDirMissing(SettingsError):
    """A command that reads the data folder found none (see ``Settings.require_data_dir``)."""


def project_root(start: Path | None = None) -> Path | None:
    """The project folder: ``$HIENTAI_HOME``, else the nearest folder at or above ``start``
    (the current folder) holding ``conf/hientai.yaml``, else the source checkout this package
    was installed from (an editable install), else None. A notebook's kernel runs in
    ``notebooks/`` and a Prefect worker wherever it was started: both find the same root."""
    if os.environ.get(HOME_ENV):
        home = Path(os.environ[HOME_ENV]).expanduser().resolve()
        if not home.is_dir():
            raise SettingsError(f"{HOME_ENV}={os.environ[HOME_ENV]}: no such folder")
        return home
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_CONFIG_PATH).is_file():
            return folder
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / DEFAULT_CONFIG_PATH).is_file() else None


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from ``path``, ``$HIENTAI_CONFIG`` or the project's ``conf/hientai.yaml``.

    A path given here or in ``$HIENTAI_CONFIG`` is taken as the user typed it (relative to the
    current folder); a relative ``data_dir`` (in the file or ``$HIENTAI_DATA_DIR``) is resolved
    against the project root, never the current folder, so every command, notebook and worker
    started anywhere in (or outside) the project reads the same data folder.
    """
    chosen = path or (Path(os.environ[CONFIG_ENV]) if CONFIG_ENV in os.environ else None)
    raw: dict[str, object] = {}
    root = project_root()
    source = chosen or (root or Path.cwd()) / DEFAULT_CONFIG_PATH
    if chosen is not None and not chosen.exists():
        raise SettingsError(f"{chosen}: configuration file not found")
    if source.exists():
        loaded = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise SettingsError(f"{source}: expected a mapping of settings at the top level")
        raw = loaded
    if os.environ.get(DATA_DIR_ENV):
        raw["data_dir"] = os.environ[DATA_DIR_ENV]
    if TODAY_ENV in os.environ:
        raw["today"] = os.environ[TODAY_ENV]
    if os.environ.get(REVIEW_SECRET_ENV):
        review = raw.get("review")
        raw["review"] = (review if isinstance(review, dict) else {}) | {
            "secret": os.environ[REVIEW_SECRET_ENV]
        }
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(f"{source}: {validation_problems(exc)}") from None
    return _anchored(settings, root or _config_home(chosen) or Path.cwd())


def _config_home(chosen: Path | None) -> Path | None:
    """Outside any project, a settings file's own project: the folder holding its conf/."""
    if chosen is None:
        return None
    folder = chosen.resolve().parent
    return folder.parent if folder.name == "conf" else folder


def _anchored(settings: Settings, base: Path) -> Settings:
    """Relative paths of the settings (data folder, SQLite URLs, artifact folder) resolved
    against ``base``, so no command, notebook or worker follows its current folder."""

    def path(value: Path) -> Path:
        value = value.expanduser()
        return value if value.is_absolute() else base / value

    def url(value: str | None) -> str | None:
        prefix = "sqlite:///"
        if value is None or not value.startswith(prefix) or value.startswith(prefix + "/"):
            return value  # not SQLite, or already absolute
        name = value.removeprefix(prefix)
        return value if name in ("", ":memory:") else f"{prefix}{path(Path(name))}"

    training, nightly = settings.training, settings.nightly
    location = training.artifact_location
    if location is not None and "://" not in location:
        location = path(Path(location)).as_uri()
    return settings.model_copy(
        update={
            "data_dir": path(settings.data_dir),
            "training": training.model_copy(
                update={"tracking_uri": url(training.tracking_uri), "artifact_location": location}
            ),
            "nightly": nightly.model_copy(update={"app_db_url": url(nightly.app_db_url)}),
        }
    )
