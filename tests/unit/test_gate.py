"""The promotion gate refuses a worse model, refuses an unfair one, accepts a better fair one."""

from __future__ import annotations

from models.gate import FairnessThresholds, decide

CHAMPION = {"ndcg_at_10": 0.40, "min_impact_ratio": 0.85, "brier": 0.05}
RULES = FairnessThresholds(min_impact_ratio=0.8)


def test_refuses_a_worse_model() -> None:
    decision = decide(
        {"ndcg_at_10": 0.39, "min_impact_ratio": 0.9},
        CHAMPION,
        primary_metric="ndcg_at_10",
        thresholds=RULES,
    )
    assert not decision.promote
    assert decision.reasons == ["ndcg_at_10 0.3900 does not beat the champion's 0.4000"]


def test_refuses_an_unfair_model_however_good() -> None:
    decision = decide(
        {"ndcg_at_10": 0.60, "min_impact_ratio": 0.7},
        CHAMPION,
        primary_metric="ndcg_at_10",
        thresholds=RULES,
    )
    assert not decision.promote
    assert decision.reasons == ["min_impact_ratio 0.700 is below the threshold 0.800"]


def test_accepts_a_better_fair_model() -> None:
    decision = decide(
        {"ndcg_at_10": 0.41, "min_impact_ratio": 0.8},
        CHAMPION,
        primary_metric="ndcg_at_10",
        thresholds=RULES,
    )
    assert decision.promote
    assert "beats the champion's 0.4000" in decision.reasons[0]


def test_first_model_needs_only_to_be_fair() -> None:
    fair = {"ndcg_at_10": 0.1, "min_impact_ratio": 0.95}
    assert decide(fair, None, primary_metric="ndcg_at_10", thresholds=RULES).promote
    unfair = {"ndcg_at_10": 0.9, "min_impact_ratio": float("nan")}
    assert not decide(unfair, None, primary_metric="ndcg_at_10", thresholds=RULES).promote


def test_a_required_improvement_margin_is_honoured() -> None:
    decision = decide(
        {"ndcg_at_10": 0.405, "min_impact_ratio": 0.9},
        CHAMPION,
        primary_metric="ndcg_at_10",
        thresholds=RULES,
        min_improvement=0.01,
    )
    assert not decision.promote
    assert "by more than 0.0100" in decision.reasons[0]


def test_a_refusal_names_the_attribute_and_groups_behind_it() -> None:
    import numpy as np
    import pandas as pd

    from models.fairness import group_table, impact_ratios, lowest_impact_detail

    # Locals selected 1 in 100, others 1 in 10; gender equal; religion not gated.
    local = np.r_[np.ones(1_000), np.zeros(1_000)]
    selected = np.r_[np.arange(1_000) < 10, np.arange(1_000) < 100]
    groups = pd.DataFrame(
        {
            "local_hometown": local,
            "male": np.tile([0.0, 1.0], 1_000),
            "religion_majority": np.r_[np.zeros(1_990), np.ones(10)],
        }
    )
    impact = impact_ratios(selected, groups, draws=0)
    table = group_table(selected, np.zeros(2_000, dtype=int), groups)
    detail = lowest_impact_detail(impact, table, ["local_hometown", "male"])
    assert detail == "local_hometown: 1.0 = 1.00% of 1,000, 0.0 = 10.00% of 1,000"
    decision = decide(
        {"ndcg_at_10": 0.60, "min_impact_ratio": 0.1},
        None,
        primary_metric="ndcg_at_10",
        thresholds=RULES,
        impact_detail=detail,
    )
    assert decision.reasons == [f"min_impact_ratio 0.100 is below the threshold 0.800 ({detail})"]
    assert lowest_impact_detail(impact, table, ["nationality"]) == ""


def test_merit_ratios_by_group_against_a_hand_count() -> None:
    import numpy as np
    import pandas as pd

    from models.fairness import lowest_merit_ratios, merit_precision_by_group

    # Members: 40 selected, 30 truly high of them, 60 truly high in all (opportunity 0.5);
    # non-members: 40 selected, 20 truly high of them, 20 truly high in all (opportunity 1.0).
    member = np.r_[np.ones(100), np.zeros(100)]
    selected = np.r_[np.arange(100) < 40, np.arange(100) < 40]
    high = np.r_[np.arange(100) < 30, (np.arange(100) >= 40) & (np.arange(100) < 70),
                 np.arange(100) < 20]  # fmt: skip
    high = np.r_[high[:100] | high[100:200], high[200:]]
    merit = merit_precision_by_group(selected, high, pd.DataFrame({"party_member": member}))
    rows = merit.set_index(["attribute", "group"])
    assert rows.loc[("party_member", 1.0), "merit_precision"] == 0.75
    assert rows.loc[("party_member", 1.0), "merit_opportunity"] == 0.5
    assert rows.loc[("party_member", 0.0), "merit_precision"] == 0.5
    assert rows.loc[("party_member", 0.0), "merit_opportunity"] == 1.0
    assert lowest_merit_ratios(merit, ["party_member"]) == {
        "merit_precision_ratio_min": 0.5 / 0.75,
        "merit_opportunity_ratio_min": 0.5,
    }
    low = lowest_merit_ratios(merit, ["party_member"], min_group=50)
    assert np.isnan(low["merit_precision_ratio_min"])  # 40 selected per side: too few
