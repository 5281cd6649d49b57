"""A tiny published world for the review app's tests: an ingested 20-person extract (so the
snapshot has organisations, ratings and protected attributes) and two hand-written nights
through ``ResultsDB.publish_night`` (so the frames obey docs/nightly-frames.md), with hostile
text in every free-text field that reaches a page."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from hientai.ingest import run_batch
from hientai.settings import Settings
from hientai_app.review.accounts import add_user
from hientai_app.review.db import ReviewDB
from tests.conftest import TODAY, tiny_tables, write_tables

SCRIPT = "<script>alert('x')</script>"
ONERROR = '<img src=x onerror="alert(1)">'
HOSTILE = f"{SCRIPT}{ONERROR}"
FORMULA = '=HYPERLINK("http://evil.example","x")'
NIGHT, PREVIOUS = "2026-01-01", "2025-12-01"
PASSWORD = "correct-horse-battery"
# (pool_id, kind, org_id, title, verdict); org P1 is a province, X1 a commune inside it.
POOLS = [
    ("post-P1-chair", "leadership_post", "P1", f"Chủ tịch UBND tỉnh {HOSTILE}", "fail"),
    ("slot-X1", "planning_slot", "X1", "Quy hoạch Chủ tịch xã", "pass"),
    ("slot-C1", "planning_slot", "C1", "Quy hoạch Vụ trưởng", "warn"),
    ("standing-young", "standing", None, "Nguồn cán bộ trẻ", "pass"),
]
USERS = {
    "planner": ("planner", None),
    "planner-p1": ("planner", "P1"),
    "planner-c1": ("planner", "C1"),
    "scientist": ("data_scientist", None),
    "auditor": ("auditor", None),
    "auditor-p1": ("auditor", "P1"),
    "scientist-p1": ("data_scientist", "P1"),
    "admin": ("admin", None),
}


def hostile_tables() -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    people = tables["people"].copy()
    people.loc[0, "full_name"] = f"Nguyễn {HOSTILE}"
    people.loc[people["person_id"] == "P008", "current_org_id"] = "C1"  # outside province P1
    orgs = tables["organizations"].copy()
    orgs.loc[orgs["org_id"] == "X1", "name"] = f"Xã {ONERROR}"
    return tables | {"people": people, "organizations": orgs}


def _pools() -> pd.DataFrame:
    rules = json.dumps([f"education at least bachelor {SCRIPT}", "no active discipline"])
    return pd.DataFrame(
        [
            {"pool_id": pid, "kind": kind, "position_id": None, "org_id": org,
             "province": "LCI" if org in ("P1", "X1") else None, "title": title,
             "title_code": None, "scope": "subtree", "k": 3, "n_eligible": 6,
             "n_qualified": 5, "max_age": None, "rules": rules, "party_rule": False}
            for pid, kind, org, title, _ in POOLS
        ]
    )  # fmt: skip


def _entries(names: dict[str, str]) -> pd.DataFrame:
    rows = []
    for number, (pid, *_rest) in enumerate(POOLS):
        for rank in range(1, 6):
            person = f"P{(number * 3 + rank - 1) % 18:03d}"
            rows.append(
                {"pool_id": pid, "person_id": person, "full_name": names[person],
                 "population": "internal", "rank": rank if rank <= 3 else None,
                 "rank_model": rank, "rank_fair": rank, "in_shortlist": rank <= 3,
                 "score": 0.9 - rank / 10, "raw_score": 2.0 - rank / 5,
                 "percentile": 100 - rank * 5.0, "moved": rank == 2,
                 "move_note": f"{FORMULA} {SCRIPT}" if rank == 2 else None}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _reason(text: str) -> dict[str, Any]:
    return {
        "feature": "rating_excellent_share", "value": 1.0, "contribution": 0.4,
        "text_vi": f"xếp loại xuất sắc {text}", "text_en": f"rated excellent {text}",
    }  # fmt: skip


def _explanations(people: list[str]) -> pd.DataFrame:
    suggestion = {
        "feature": "training_hours", "from_value": 1, "to_value": 2, "score_gain": 0.05,
        "text_vi": f"học thêm {ONERROR}", "text_en": f"train more {ONERROR}",
    }  # fmt: skip
    return pd.DataFrame(
        [
            {"person_id": p, "base_value": -1.0, "raw_score": 1.2, "score": 0.7,
             "additivity_error": 0.0,
             "dimensions": json.dumps({"ratings": 1.5, "career": 0.9, f"x{SCRIPT}": -0.2}),
             "reasons_positive": json.dumps([_reason(SCRIPT)]),
             "reasons_negative": json.dumps([_reason(ONERROR)]),
             "suggestions": json.dumps([suggestion]),
             "contributions": json.dumps({"rating_excellent_share": 1.5, ONERROR: -0.2})}
            for p in people
        ]
    )  # fmt: skip


def _fairness() -> pd.DataFrame:
    rows = []
    for pid, *_rest, verdict in POOLS:
        rows.append(
            {"pool_id": pid, "attribute": "party_member", "group": f"false{SCRIPT}",
             "metric": "selection_impact_ratio", "value": 0.5, "ci_low": 0.3, "ci_high": 0.9,
             "n_pool": 6, "n_selected": 3, "small": True, "threshold": 0.8, "verdict": verdict,
             "note": f"few members {ONERROR}"}
        )  # fmt: skip
    run_row = rows[0] | {"pool_id": None, "verdict": "warn"}
    return pd.DataFrame([*rows, run_row])


def _frames(names: dict[str, str], *, night: str) -> dict[str, pd.DataFrame]:
    entries = _entries(names)
    listed = sorted(set(entries.loc[entries["in_shortlist"], "person_id"]))
    warnings = pd.DataFrame(
        [{"person_id": "P017", "full_name": names["P017"], "org_id": "X1", "province": "LCI",
          "title": f"Chủ tịch xã {SCRIPT}", "severity": "high",
          "signals": json.dumps(["falling_ratings"]), "evidence_vi": f"giảm {ONERROR}",
          "evidence_en": f"falling {ONERROR}"}]
    )  # fmt: skip
    diff = pd.DataFrame(
        [{"pool_id": "post-P1-chair", "person_id": "P000", "full_name": names["P000"],
          "change": "entered", "rank_before": None, "rank_after": 1,
          "reason_vi": f"mới đủ điều kiện {SCRIPT}", "reason_en": f"newly eligible {SCRIPT}"}]
    )  # fmt: skip
    if night == PREVIOUS:
        diff = diff.iloc[0:0]
    return {
        "pools": _pools(),
        "entries": entries,
        "explanations": _explanations(listed),
        "fairness": _fairness(),
        "warnings": warnings,
        "diff": diff,
    }


def _manifest(night: str, snapshot_id: str) -> dict[str, Any]:
    return {
        "run_id": uuid.uuid4().hex, "night": night, "as_of": night, "snapshot_id": snapshot_id,
        "model_name": "hientai-potential", "model_version": "7", "config_hash": "c0ffee",
        "code_version": "test", "started_at": f"{night}T01:00:00+00:00",
        "finished_at": f"{night}T01:05:00+00:00", "policy": "audit_only",
        "counts": {"pools": 4, "shortlisted": 12, "fairness_fail": 1, "fairness_warn": 1,
                   "warnings": 1},
        "party_rules": [], "stage_seconds": {"score": 1.0},
        "report_file": "/nowhere/report.html", "excel_file": "/nowhere/report.xlsx",
    }  # fmt: skip


def _run_folder(settings: Settings, manifest: dict[str, Any], people: list[str]) -> None:
    """The run folder's scores (everyone scored), as the nightly flow leaves them."""
    folder = settings.runs_dir / manifest["night"]
    folder.mkdir(parents=True)
    scores = [round(0.05 + 0.9 * n / len(people), 3) for n in range(len(people))]
    pd.DataFrame({"person_id": people, "score": scores}).to_parquet(folder / "scores.parquet")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def build_world(root: Path, *, db_url: str | None = None) -> Settings:
    """Ingest the hostile extract, publish two nights, add one account per test user (in the
    application database at ``db_url``, default SQLite in the data folder)."""
    settings = Settings(data_dir=root / "data", today=TODAY)
    if db_url is not None:
        nightly = settings.nightly.model_copy(update={"app_db_url": db_url})
        settings = settings.model_copy(update={"nightly": nightly})
    tables = hostile_tables()
    report = run_batch(write_tables(root / "extract", tables), mapping=None, settings=settings)
    assert report.status == "published", report.notes
    names = dict(zip(tables["people"]["person_id"], tables["people"]["full_name"], strict=True))
    db = ReviewDB(settings.app_db_url)
    db.create_schema()
    for night in (PREVIOUS, NIGHT):
        manifest = _manifest(night, str(report.snapshot_id))
        db.results.publish_night(manifest, _frames(names, night=night))
        _run_folder(settings, manifest, list(names))
    for username, (role, scope) in USERS.items():
        add_user(db, username, role=role, password=PASSWORD, scope_org_id=scope, by="test")
    db.dispose()
    return settings
