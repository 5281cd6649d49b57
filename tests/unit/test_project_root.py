"""Settings find the project root from any folder; relative paths never follow the current
folder; a missing data folder is said, not silently created."""

from __future__ import annotations

from pathlib import Path

import pytest

from hientai.settings import (
    CONFIG_ENV,
    DATA_DIR_ENV,
    HOME_ENV,
    DataDirMissing,
    SettingsError,
    load_settings,
    project_root,
)

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, data_dir: str = "data") -> Path:
    root = tmp_path / "proj"
    (root / "conf").mkdir(parents=True)
    (root / "conf" / "hientai.yaml").write_text(f"data_dir: {data_dir}\n", encoding="utf-8")
    (root / "notebooks").mkdir()
    return root


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (HOME_ENV, CONFIG_ENV, DATA_DIR_ENV):
        monkeypatch.delenv(name, raising=False)


def test_a_notebook_kernel_in_a_subfolder_finds_the_projects_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root / "notebooks")
    assert project_root() == root.resolve()
    assert load_settings().data_dir == root.resolve() / "data"


def test_hientai_home_wins_over_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, data_dir="store")
    elsewhere = _project(tmp_path / "other")
    monkeypatch.chdir(elsewhere / "notebooks")
    monkeypatch.setenv(HOME_ENV, str(root))
    assert load_settings().data_dir == root.resolve() / "store"


def test_a_missing_hientai_home_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(SettingsError, match="nowhere: no such folder"):
        load_settings()


def test_outside_any_project_the_source_checkout_is_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no conf/ here or above
    assert project_root() == ROOT
    assert load_settings().data_dir == ROOT / "data"


def test_relative_data_dir_from_env_and_explicit_config_resolve_against_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    config = tmp_path / "night.yaml"
    config.write_text("data_dir: nightly-data\n", encoding="utf-8")
    monkeypatch.chdir(root / "notebooks")
    assert load_settings(config).data_dir == root.resolve() / "nightly-data"
    monkeypatch.setenv(DATA_DIR_ENV, "other-data")
    assert load_settings(config).data_dir == root.resolve() / "other-data"


def test_an_absolute_data_dir_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, data_dir=str(tmp_path / "abs"))
    monkeypatch.chdir(root)
    assert load_settings().data_dir == tmp_path / "abs"


def test_reading_commands_refuse_a_data_folder_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hientai import tracking

    root = _project(tmp_path)
    monkeypatch.chdir(root)
    settings = load_settings()
    with pytest.raises(DataDirMissing, match=r"proj/data does not exist.*HIENTAI_HOME"):
        tracking.connect(settings)
    assert not (root / "data").exists()
    assert sorted(p.name for p in root.iterdir()) == ["conf", "notebooks"]


def test_mlflow_artifacts_go_to_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hientai import tracking

    root = _project(tmp_path)
    (root / "data").mkdir()
    monkeypatch.chdir(root / "notebooks")
    settings = load_settings()
    tracking.use_experiment(settings, "probe")
    client = tracking.connect(settings)
    location = client.get_experiment_by_name("probe").artifact_location
    assert location == (root / "data" / "mlartifacts" / "probe").resolve().as_uri()
    assert sorted(p.name for p in (root / "notebooks").iterdir()) == []


def test_relative_sqlite_urls_and_artifact_folder_follow_the_root_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    (root / "conf" / "hientai.yaml").write_text(
        "data_dir: data\n"
        "training: {tracking_uri: 'sqlite:///store/mlflow.db', artifact_location: arts}\n"
        "nightly: {app_db_url: 'sqlite:///store/app.db'}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(root / "notebooks")
    settings = load_settings()
    base = root.resolve()
    assert settings.tracking_uri == f"sqlite:///{base}/store/mlflow.db"
    assert settings.app_db_url == f"sqlite:///{base}/store/app.db"
    assert settings.artifact_location == (base / "arts").as_uri()


def test_outside_any_project_a_config_in_conf_anchors_its_own_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hientai.settings as module

    root = _project(tmp_path)
    monkeypatch.setattr(module, "project_root", lambda start=None: None)  # no checkout either
    monkeypatch.chdir(tmp_path)
    assert load_settings(root / "conf" / "hientai.yaml").data_dir == root.resolve() / "data"


def test_empty_environment_variables_are_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root / "notebooks")
    monkeypatch.setenv(HOME_ENV, "")
    monkeypatch.setenv(DATA_DIR_ENV, "")
    assert load_settings().data_dir == root.resolve() / "data"
