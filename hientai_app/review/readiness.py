"""The model's readiness proposal for a recommended candidate, from what the night published.

Every candidate of a list meets every rule of the list tonight (the night publishes the
qualified only; someone who misses a rule, even one that time alone will meet, such as years
in grade, is not on the list). So the proposal rests on where the candidate stands among
everyone eligible for the list and on whether the list took them:

- **ready now**: on the shortlist and in the top ``now_percentile`` of everyone eligible;
- **ready in 1-2 years**: on the shortlist below that, or qualified but not on the shortlist
  and in the top ``soon_percentile``;
- **ready later**: qualified, not on the shortlist, below that.

A proposal is never a decision: pages show it labelled "proposed" beside the planner's
"decided" readiness, never pre-fill a decision with it, and bench strength counts it only for
people on the shortlist nobody has decided on yet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hientai.settings import ReviewSettings
from hientai_app.review.db import READINESS

BAD_PERCENTILES = (
    "readiness percentiles: 'ready now' needs at least the percentile of 'ready in 1-2 years' "
    "(got now={now}, soon={soon}); both between 0 and 100"
)


def check_percentiles(now_percentile: float, soon_percentile: float) -> None:
    if not 0 <= soon_percentile <= now_percentile <= 100:
        raise ValueError(BAD_PERCENTILES.format(now=now_percentile, soon=soon_percentile))


def propose_readiness(
    in_shortlist: bool,
    percentile: float,
    *,
    now_percentile: float,
    soon_percentile: float,
) -> str:
    """``ready_now``, ``ready_1_2_years`` or ``ready_later`` for a qualified candidate whose
    place among everyone eligible is ``percentile`` (0-100, 100 the highest score)."""
    check_percentiles(now_percentile, soon_percentile)
    if in_shortlist:
        return "ready_now" if percentile >= now_percentile else "ready_1_2_years"
    return "ready_1_2_years" if percentile >= soon_percentile else "ready_later"


def proposal(entry: dict[str, Any], conf: ReviewSettings) -> str:
    """The proposal for a published entry, with the deployment's percentiles."""
    return propose_readiness(
        bool(entry["in_shortlist"]),
        float(entry["percentile"]),
        now_percentile=conf.readiness_now_percentile,
        soon_percentile=conf.readiness_soon_percentile,
    )


def bench(
    proposed: dict[str, dict[str, str]], latest: Iterable[dict[str, Any]]
) -> dict[str, dict[str, int]]:
    """Bench strength per pool: for each readiness, how many people planners nominated with it
    (``<readiness>_decided``) and how many shortlisted people nobody has decided on the model
    proposes for it (``<readiness>_proposed``), their sum (``<readiness>``), not now, needs
    information, and how many counts come from decisions (``decided``) and from proposals
    (``proposed``).

    ``proposed``: pool -> {person on the shortlist: proposed readiness}; ``latest``: the newest
    decision on each (pool, person), with pool_id, person_id, decision and readiness."""
    table = {
        pool: {f"{r}_{source}": 0 for r in READINESS for source in ("decided", "proposed")}
        | {"not_now": 0, "needs_info": 0}
        for pool in proposed
    }
    decided: dict[str, set[str]] = {pool: set() for pool in proposed}
    for decision in latest:
        counts = table.get(decision["pool_id"])
        if counts is None:
            continue
        decided[decision["pool_id"]].add(decision["person_id"])
        if decision["decision"] == "nominate":
            counts[f"{decision['readiness']}_decided"] += 1
        else:
            counts[decision["decision"]] += 1
    for pool, people in proposed.items():
        counts = table[pool]
        for person, readiness in people.items():
            if person not in decided[pool]:
                counts[f"{readiness}_proposed"] += 1
        counts["decided"] = len(decided[pool])
        counts["proposed"] = sum(counts[f"{r}_proposed"] for r in READINESS)
        for readiness in READINESS:
            counts[readiness] = counts[f"{readiness}_decided"] + counts[f"{readiness}_proposed"]
    return table
