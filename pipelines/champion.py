"""The night's champion, loaded on a thread while the features are built.

Loading the champion at the score stage took 3.0 s alone on the national extract's machine
(importing MLflow 1.06 s, opening the registry 0.84 s, the model 1.12 s), and in a night about
2.5 s with one core busy while the other waited. The night starts that load as it starts;
the score stage takes the model loaded ahead if the registry still names the same version as
its champion (a retraining may promote another meanwhile: then it loads that one), and loads
it itself if the load ahead failed (raising the load's own error). Imports MLflow only on the
thread: the night's own imports stay light.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from hientai.settings import Settings

_LOCK = threading.Lock()
_AHEAD: dict[tuple[str, str], Future[tuple[Any, Any]]] = {}


def _key(settings: Settings) -> tuple[str, str]:
    return settings.tracking_uri, settings.training.model_name


def _load(settings: Settings) -> tuple[Any, Any]:
    from hientai import tracking

    return tracking.load_champion(settings)


def load_ahead(settings: Settings) -> None:
    """Start loading the champion on a thread (once per registry and model name)."""
    with _LOCK:
        if _key(settings) in _AHEAD:
            return
        future: Future[tuple[Any, Any]] = Future()
        _AHEAD[_key(settings)] = future

    def run() -> None:
        try:
            future.set_result(_load(settings))
        except BaseException as exc:  # handed to the score stage, which loads again
            future.set_exception(exc)

    threading.Thread(target=run, name="champion-ahead", daemon=True).start()


def forget(settings: Settings) -> None:
    """Drop a load ahead that no score stage took (a night that failed before it)."""
    with _LOCK:
        _AHEAD.pop(_key(settings), None)


def champion(settings: Settings) -> tuple[Any, Any]:
    """The champion's fitted classifier and its registry entry, as
    ``hientai.tracking.load_champion`` gives them now."""
    from hientai import tracking

    with _LOCK:
        ahead = _AHEAD.pop(_key(settings), None)
    if ahead is not None and ahead.exception() is None:
        classifier, version = ahead.result()
        now = tracking.alias_version(
            tracking.connect(settings), settings.training.model_name, tracking.CHAMPION
        )
        if now is not None and (now.version, now.run_id) == (version.version, version.run_id):
            return classifier, version
    return _load(settings)
