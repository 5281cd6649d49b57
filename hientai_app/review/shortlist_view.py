"""The shortlist page's content: entries with their reasons, the latest decision and flags,
names hidden until the user has assessed the list (blind-first review), the fairness panel and
the changes since the previous night."""

from __future__ import annotations

from typing import Any

from hientai.settings import ReviewSettings
from hientai_app.review import audit, decisions
from hientai_app.review.accounts import User
from hientai_app.review.db import ReviewDB
from hientai_app.review.lookup import Night
from hientai_app.review.published import Published
from hientai_app.review.readiness import proposal


def masked_name(entry: dict[str, Any], blind: bool, lang: str) -> str:
    """The candidate's name, or a label by rank while the list is reviewed blind."""
    if not blind and entry.get("full_name"):
        return str(entry["full_name"])
    label = "Ứng viên" if lang == "vi" else "Candidate"
    position = entry.get("rank") or entry.get("rank_model") or entry.get("rank_after") or "?"
    return f"{label} #{position}"


def top_reason(explanation: dict[str, Any] | None, lang: str, *, negative: bool = False) -> str:
    if not explanation:
        return ""
    items = explanation["reasons_negative" if negative else "reasons_positive"]
    return str(items[0].get(f"text_{lang}", "")) if items else ""


def shortlist_context(
    db: ReviewDB,
    published: Published,
    night: Night,
    pool: dict[str, Any],
    user: User,
    lang: str,
    *,
    conf: ReviewSettings,
) -> dict[str, Any]:
    pool_id = pool["pool_id"]
    kept = published.shortlist(night.run_id, pool_id)
    entries = kept["entries"]
    latest, assessed = decisions.on_list(db, night.night, pool_id, user.username)
    blind = not assessed
    objects = [f"{night.night}/{e['person_id']}" for e in entries]
    contested = {obj.split("/", 1)[1] for obj in audit.objects_with(db, "contest", objects)}
    rows = [
        entry
        | {
            "name": masked_name(entry, blind, lang),
            "reason_plus": top_reason(entry, lang),
            "reason_minus": top_reason(entry, lang, negative=True),
            "latest": latest.get(entry["person_id"]),
            "proposed": proposal(entry, conf),
            "contested": entry["person_id"] in contested,
        }
        for entry in entries
    ]
    diff = [change | {"name": masked_name(change, blind, lang)} for change in kept["diff"]]
    return {
        "night": night,
        "pool": pool,
        "org_name": night.tree.name(pool["org_id"]),
        "entries": rows,
        "blind": blind,
        "fairness": kept["fairness"],
        "diff": diff,
        "previous_night": published.previous_night(night.night),
    }
