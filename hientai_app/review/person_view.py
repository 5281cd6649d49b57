"""A person's page content: the lists they are on, the explanation as a waterfall, their
history from the snapshot, warnings and decisions, with the name hidden while blind."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hientai_app.review import charts, decisions
from hientai_app.review.accounts import User
from hientai_app.review.lookup import person_for, published
from hientai_app.review.shortlist_view import masked_name

TOP_CONTRIBUTIONS = 15


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def person_context(request: Request, user: User, night: str, person_id: str) -> dict[str, Any]:
    found, entries, warnings = person_for(request, user, night, person_id)
    db, lang = request.app.state.db, request.state.lang
    assessed = decisions.assessed_pools(db, found.night, user.username)
    blind = bool(entries) and not any(e["pool_id"] in assessed for e in entries)
    explanation = published(request).person(found.run_id, person_id)["explanation"]
    history = request.app.state.snapshots.history(found.run["snapshot_id"], person_id)
    full_name = next((e["full_name"] for e in entries if e["full_name"]), None)
    if full_name is None and warnings:
        full_name = warnings[0]["full_name"]
    staff = request.app.state.workforce.get(found.run)
    if full_name is None and staff is not None and person_id in staff.index:
        full_name = staff.at[person_id, "full_name"]
    return {
        "night": found,
        "person_id": person_id,
        "name": masked_name({"full_name": full_name, "rank": "?"}, blind, lang),
        "blind": blind,
        "entries": [e | {"pool": found.pools[e["pool_id"]]} for e in entries],
        "explanation": explanation,
        "chart": _chart(explanation, lang),
        "contributions": _top_contributions(explanation),
        "history": history,
        "lines": _history_lines(history),
        "warnings": warnings,
        "decisions": [
            d for d in decisions.history(db, person_id=person_id) if d["pool_id"] in found.pools
        ],
        "protected": None,
    }


def _chart(explanation: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if not explanation:
        return None
    total = "điểm thô" if lang == "vi" else "raw score"
    steps = [(str(k), float(v)) for k, v in explanation["dimensions"].items()]
    bars = charts.waterfall(float(explanation["base_value"]), steps, total)
    return {"bars": bars, "height": charts.height(bars), "width": charts.WIDTH}


def _top_contributions(explanation: dict[str, Any] | None) -> list[tuple[str, float]]:
    if not explanation:
        return []
    items = [(str(k), float(v)) for k, v in explanation["contributions"].items()]
    return sorted(items, key=lambda item: -abs(item[1]))[:TOP_CONTRIBUTIONS]


# A rating on its own scale when the extract gives one, else its level on the contract's scale.
RATING_LEVELS = {"not_completed": 0.0, "completed": 1 / 3, "good": 2 / 3, "excellent": 1.0}


def _rating_level(rating: dict[str, Any]) -> float | None:
    score, scale = _number(rating["rating_score"]), _number(rating["rating_scale_max"])
    if score is not None and scale:
        return score / scale
    return RATING_LEVELS.get(str(rating["rating"]))


def _history_lines(history: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    ratings = [_rating_level(r) for r in history["evaluations"]]
    votes = [_number(v["high_share"]) for v in history["confidence_votes"]]
    outputs = [
        None if not _number(o["target"]) else _number(o["achieved"]) / _number(o["target"])  # type: ignore[operator]
        for o in history["outputs"]
    ]
    return {
        "ratings": charts.line_points(ratings),
        "votes": charts.line_points(votes),
        "outputs": charts.line_points(outputs),
    }
