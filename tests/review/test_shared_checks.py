"""Pools that share another pool's fairness checks (stored once, pipelines.results_db) show
the same verdict and impact ratios in the review app as if each had its own rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hientai_app.review.db import ReviewDB
from hientai_app.review.published import IMPACT_METRICS, Published
from tests.data.test_results_db import manifest, shared_links, sharing_frames


def test_a_pool_sharing_checks_shows_its_holders_verdict_and_ratios(tmp_path: Path) -> None:
    db = ReviewDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    frames, run = sharing_frames(), manifest("2026-01-15")
    fairness = frames["fairness"]
    fairness.loc[fairness["pool_id"] == "POOL-B", "verdict"] = "fail"
    fairness.loc[fairness["pool_id"] == "POOL-E", "verdict"] = "fail"
    db.results.publish_night(run, frames)
    assert [link[:2] for link in shared_links(db.results)] == [
        ("POOL-C", "POOL-A"),
        ("POOL-E", "POOL-B"),
    ]
    published = Published(db)
    pools = published.pools(run["run_id"])
    assert {pool: row["verdict"] for pool, row in pools.items()} == {
        "POOL-A": "warn", "POOL-B": "fail", "POOL-C": "warn", "POOL-D": "warn", "POOL-E": "fail",
    }  # fmt: skip
    for pool in pools:
        rows = fairness.loc[
            (fairness["pool_id"] == pool) & fairness["metric"].isin(IMPACT_METRICS)
        ]
        shown = pd.DataFrame(published.fairness(run["run_id"], pool), columns=fairness.columns)
        shown = shown.astype({"value": "float64"})
        assert shown["pool_id"].tolist() == [pool] * len(rows)
        assert shown["note"].tolist() == rows["note"].tolist()
        assert shown["value"].fillna(-1).tolist() == rows["value"].fillna(-1).tolist()
    assert [row["note"] for row in published.fairness(run["run_id"], "POOL-D")] == [
        "too few selected to judge, D"
    ]
    db.dispose()
