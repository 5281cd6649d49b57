"""The review app over a real published night (the shared trained world's first night): every
pool's page and every shortlisted person's page renders, with the explanations, fairness rows
and snapshot history the nightly flow wrote."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from hientai.settings import load_settings
from hientai_app.review import create_app
from hientai_app.review.accounts import add_user
from hientai_app.review.db import ReviewDB
from hientai_app.review.published import Published
from tests.conftest import FIRST_NIGHT
from tests.review.conftest import LiveServer, sign_in
from tests.review.world import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]


def test_every_page_of_a_real_night_renders(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    settings = load_settings(trained_world[0])
    db = ReviewDB(settings.app_db_url)
    db.create_schema()
    add_user(db, "real-auditor", role="auditor", password=PASSWORD, scope_org_id=None, by="t")
    run = Published(db).run(FIRST_NIGHT)
    assert run is not None
    pools = Published(db).pools(run["run_id"])
    assert len(pools) == first_night["counts"]["pools"]
    with (
        LiveServer(create_app(settings)) as server,
        closing(sign_in(server.url, "real-auditor")) as client,
    ):
        index = client.get("/shortlists", params={"lang": "en"})
        assert index.status_code == 200 and f"{len(pools)} lists" in index.text
        people: set[str] = set()
        listed_pair = ("", "")
        for pool_id, pool in pools.items():
            page = client.get(f"/shortlists/{FIRST_NIGHT}/{pool_id}")
            assert page.status_code == 200, pool_id
            assert pool["title"].split()[0] in page.text
            entries = Published(db).entries(run["run_id"], pool_id)
            people.update(e["person_id"] for e in entries if e["in_shortlist"])
            listed_pair = next(
                ((e["person_id"], pool_id) for e in entries if e["in_shortlist"]), listed_pair
            )
        for person_id in sorted(people)[:40]:
            page = client.get(f"/people/{FIRST_NIGHT}/{person_id}")
            assert page.status_code == 200 and 'id="explanation"' in page.text, person_id
        person_id, pool_id = listed_pair
        rules = client.get(f"/people/{FIRST_NIGHT}/{person_id}/eligibility",
                           params={"pool": pool_id, "lang": "en"})  # fmt: skip
        assert rules.status_code == 200 and ">Eligible<" in rules.text
        assert rules.text.count("✓") == len(pools[pool_id]["rules"]) and "✗" not in rules.text
        assert client.get("/warnings").status_code == 200
        assert client.get("/runs").status_code == 200
        grid = client.get("/ninebox", params={"lang": "en"})
        assert grid.status_code == 200 and "people scored" in grid.text
        assert client.get("/bench").status_code == 200
