"""MLflow: tracking runs and the model registry (aliases ``champion`` and ``challenger``).

The embedded default is a SQLite store in the data folder; a PostgreSQL store works by URL
(``training.tracking_uri``). Models are logged as a pyfunc wrapping the fitted
``PotentialClassifier`` (trees plus calibration), so the registry serves exactly what was
evaluated.
"""

from __future__ import annotations

import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hientai.settings import Settings, SettingsError

CHAMPION, CHALLENGER = "champion", "challenger"
NO_CHAMPION = "model {name!r} has no champion yet; run `hientai train` first"
UNAVAILABLE = (
    "the tracking store {uri} cannot be used ({why}); check training.tracking_uri and that its "
    "server is running, then run the command again"
)
# What the registry answers for a model or an alias that does not exist; anything else (a
# server down, a store that cannot be read) is an outage, not a missing champion.
_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")

# MLflow's own modules emit this at import; it is about their type hints, not ours.
warnings.filterwarnings("ignore", message=".*Any type hint is inferred as AnyType")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities.model_registry import ModelVersion  # noqa: E402
from mlflow.pyfunc import PythonModel  # noqa: E402
from sqlalchemy import exc as sa_exc  # noqa: E402


class PotentialPyfunc(PythonModel):
    """Serves calibrated probabilities of high potential from a feature frame."""

    def load_context(self, context: Any) -> None:
        self.classifier = pickle.loads(Path(context.artifacts["classifier"]).read_bytes())

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> list[float]:
        return [float(p) for p in self.classifier.predict_proba(model_input)]


class TrackingUnavailable(SettingsError):
    """The tracking store cannot be reached or read; a one-line error for the command (the
    commands print a ``SettingsError`` as one line)."""


def unavailable(exc: BaseException) -> TrackingUnavailable:
    uri = re.sub(r"//[^/@]*@", "//***@", mlflow.get_tracking_uri())  # no password in the line
    why = " ".join(str(exc).split())
    return TrackingUnavailable(UNAVAILABLE.format(uri=uri, why=why[:200]))


@dataclass(frozen=True)
class Registered:
    run_id: str
    version: str


def connect(settings: Settings) -> MlflowClient:
    """The tracking and registry client. The data folder must exist (ingestion makes it): a
    command started from the wrong folder must not start a new, empty registry there."""
    if settings.training.tracking_uri is None:  # the store in the data folder
        settings.require_data_dir()
    elif settings.tracking_uri.startswith("sqlite:///"):  # a store of its own: make its folder
        Path(settings.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    return MlflowClient(settings.tracking_uri, settings.tracking_uri)


def use_experiment(settings: Settings, name: str) -> None:
    """Make ``name`` the active experiment, creating it with its artifacts in the data folder
    (MLflow's default is ./mlruns of whatever folder the command was started from)."""
    client = connect(settings)
    if client.get_experiment_by_name(name) is None:
        location = f"{settings.artifact_location.rstrip('/')}/{name}"
        try:
            client.create_experiment(name, artifact_location=location)
        except mlflow.exceptions.MlflowException:
            if client.get_experiment_by_name(name) is None:  # not a concurrent creation
                raise
    mlflow.set_experiment(name)


def log_and_register(
    settings: Settings,
    *,
    classifier: Any,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    artifacts: Path,
) -> Registered:
    """One run: params, metrics, tags, every file in ``artifacts``, and the model version."""
    use_experiment(settings, settings.training.experiment)
    pickled = artifacts / "classifier.pkl"
    pickled.write_bytes(pickle.dumps(classifier))
    with mlflow.start_run() as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if pd.notna(v)})
        mlflow.set_tags(tags)
        mlflow.log_artifacts(str(artifacts), artifact_path="report")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=PotentialPyfunc(),
            artifacts={"classifier": str(pickled)},
            pip_requirements=_requirements(),
            registered_model_name=settings.training.model_name,
        )
    return Registered(run.info.run_id, str(info.registered_model_version))


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("lightgbm", "scikit-learn", "pandas", "numpy")]


def alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version behind ``alias``, None if the model or the alias does not exist."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code in _NOT_FOUND:
            return None
        raise unavailable(exc) from None


def run_metrics(client: MlflowClient, version: ModelVersion | None) -> dict[str, float] | None:
    if version is None or version.run_id is None:
        return None
    return dict(client.get_run(version.run_id).data.metrics)


def set_alias(client: MlflowClient, name: str, alias: str, version: str, reason: str) -> None:
    client.set_registered_model_alias(name, alias, version)
    client.set_model_version_tag(name, version, f"{alias}_reason", reason[:5000])


def load_champion(settings: Settings) -> tuple[Any, ModelVersion]:
    """The champion's fitted classifier and its registry entry."""
    client = connect(settings)
    name = settings.training.model_name
    try:
        version = alias_version(client, name, CHAMPION)
    except sa_exc.OperationalError as exc:  # a database store that cannot be reached
        raise unavailable(exc.orig or exc) from None
    if version is None:
        raise LookupError(NO_CHAMPION.format(name=name))
    model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
    return model.unwrap_python_model().classifier, version


def versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    found = client.search_model_versions(f"name = '{name}'")
    return sorted(found, key=lambda v: int(v.version))


def aliases(client: MlflowClient, name: str) -> dict[str, str]:
    """alias -> version of a registered model (empty if the model does not exist yet)."""
    try:
        model = client.get_registered_model(name)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code in _NOT_FOUND:
            return {}
        raise unavailable(exc) from None
    return {alias: str(version) for alias, version in model.aliases.items()}


def log_night(settings: Settings, manifest: dict[str, Any]) -> str:
    """One MLflow run per published night (experiment ``<experiment>-nightly``): ids, counts,
    stage timings and the report; returns the MLflow run id."""
    use_experiment(settings, f"{settings.training.experiment}-nightly")
    with mlflow.start_run(run_name=f"night-{manifest['night']}") as run:
        mlflow.set_tags(
            {
                "night": manifest["night"],
                "snapshot_id": manifest["snapshot_id"],
                "model_version": manifest["model_version"],
                "config_hash": manifest["config_hash"],
                "git_commit": manifest["code_version"],
                "policy": manifest["policy"],
                "app_run_id": manifest["run_id"],
            }
        )
        metrics = {f"count.{k}": float(v) for k, v in manifest["counts"].items()}
        metrics |= {f"seconds.{k}": float(v) for k, v in manifest["stage_seconds"].items()}
        metrics |= {f"floor.{k}": float(v) for k, v in manifest["floor_seconds"].items()}
        metrics |= {f"drift.{k}": float(v) for k, v in (manifest.get("drift") or {}).items()}
        mlflow.log_metrics(metrics)
        report = Path(manifest["report_file"])
        if report.exists():
            mlflow.log_artifact(str(report), artifact_path="report")
    return str(run.info.run_id)
