# %% [markdown]
# # 03 · One night's fairness audit, explained
#
# Every nightly run audits each shortlist against the pool it was drawn from, and the run as a
# whole, by Party membership, nationality, gender, ethnicity, hometown locality, age band and
# population (internal or external), and by the intersections in `conf/hientai.yaml`
# (`nightly.audit`). This notebook reads the latest published night from the application
# database and walks through what the checks say and how to read them.
#
# It reads the settings of the project (`conf/hientai.yaml`, or `$HIENTAI_CONFIG`): run
# `make demo` first, or point `HIENTAI_CONFIG` at the settings of a data folder with a
# published night.

# %%
import json

import matplotlib.pyplot as plt

from hientai.settings import load_settings
from models.shortlist_fairness import derived_rows
from pipelines.results_db import ResultsDB

settings = load_settings()
db = ResultsDB(settings.app_db_url)
run = db.run()
assert run is not None, "no night published yet: run `make demo` or `hientai nightly`"
fairness = db.read("fairness", run["run_id"])
entries = db.read("entries", run["run_id"])
pools = db.read("pools", run["run_id"])
print(f"night {run['night']}: model version {run['model_version']}, policy {run['policy']}")
print(f"{len(pools):,} pools, {int(entries['in_shortlist'].sum()):,} shortlist places")
print("Party-membership rules:", run["party_rules"] or "none")

# %% [markdown]
# ## The metrics
# For each attribute and group, against the **eligible pool** (never the whole population):
#
# - `share_pool` / `share_selected` and **skew@k** = ln(share on the shortlist / share in the
#   pool) (Geyik et al. 2019): 0 is proportional; -0.69 means half the group's share.
# - **NDKL**: how far every prefix of the ranking is from the pool's shares, weighted to the top.
# - **selection-rate impact ratio**: a group's shortlist places per eligible member over the
#   best group's (the four-fifths rule flags < 0.8).
# - **scoring-rate impact ratio** (NYC Local Law 144): share of the group scoring above the
#   pool's median over the best group's; the note counts people whose attribute is unknown.
# - **exposure ratio**: attention by rank position (1/log2(1 + rank)) per member of the pool.
#
# Verdicts: *pass* if the value meets the threshold; *fail* only if its interval (Wilson) is on
# the wrong side too; *warn* otherwise, and always for groups too small to judge.

# %% [markdown]
# ## The whole run
# Run rows sum the shortlists' counts: a person eligible for thirty pools counts thirty times.
# The note says in how many shortlists each check warned or failed.

# %%
run_rows = fairness.loc[fairness["pool_id"].isna()]
checked = run_rows.loc[run_rows["threshold"].notna()]
checked.pivot_table(index=["attribute", "group"], columns="metric", values="value").round(3)

# %%
ratios = checked.loc[checked["metric"] == "selection_impact_ratio"].dropna(subset=["value"])
fig, ax = plt.subplots(figsize=(8, max(3, 0.3 * len(ratios))))
labels = ratios["attribute"] + ": " + ratios["group"]
ax.barh(labels, ratios["value"], color="#3b6ea8")
ax.errorbar(
    ratios["value"],
    labels,
    xerr=[ratios["value"] - ratios["ci_low"], ratios["ci_high"] - ratios["value"]],
    fmt="none",
    color="black",
)
ax.axvline(settings.nightly.audit.min_impact_ratio, color="red", linestyle="--")
ax.set_xlabel("selection-rate impact ratio (whole run), with interval")
fig.tight_layout()

# %% [markdown]
# ## Shortlist by shortlist
# How many shortlists pass, warn or fail each check. Most warnings on a 10-person shortlist are
# honest uncertainty: ten places say little about a group of five.

# %%
per_pool = fairness.loc[fairness["pool_id"].notna() & fairness["threshold"].notna()]
tally = per_pool.groupby(["metric", "verdict"]).size().unstack(fill_value=0)
assert set(tally.columns) <= {"pass", "warn", "fail"}
tally

# %% [markdown]
# ## The shortlist with the most failed checks
# Its entries, the checks it failed, and the reasons recorded for each recommendation.

# %%
fails = per_pool.loc[per_pool["verdict"] == "fail"]
worst = fails["pool_id"].value_counts().index[0] if len(fails) else per_pool["pool_id"].iloc[0]
print(pools.set_index("pool_id").loc[worst, ["title", "scope", "n_eligible", "k"]].to_dict())
per_pool.loc[
    per_pool["pool_id"] == worst, ["attribute", "group", "metric", "value", "verdict", "note"]
]

# %% [markdown]
# Per shortlist, the database keeps the checks. The shares and selection rates behind them
# follow from each group's counts (`n_pool`, `n_selected`): `derived_rows` gives them back,
# with their Wilson intervals, exactly as the audit computed them.

# %%
shares = derived_rows(
    per_pool.loc[per_pool["pool_id"] == worst], confidence=settings.nightly.audit.confidence
)
shares.pivot_table(index=["attribute", "group"], columns="metric", values="value").round(3)

# %%
listed = entries.loc[(entries["pool_id"] == worst) & entries["in_shortlist"].astype(bool)]
explanations = db.read("explanations", run["run_id"]).set_index("person_id")
for _, row in listed.sort_values("rank").head(5).iterrows():
    reasons = json.loads(explanations.loc[row["person_id"], "reasons_positive"])
    print(f"{int(row['rank'])}. {row['full_name']} (score {row['score']:.3f})")
    for reason in reasons:
        print(f"     + {reason['text_en']}")

# %% [markdown]
# ## What to do with a failed check
# A failed check is evidence for the planners, not a verdict on anyone: look at whether the
# pool's standards (not the model) exclude a group, read the recommendations' reasons, and
# consider the re-ranked order (`rank_fair`, stored for every qualified candidate), which
# reorders only people already qualified. Setting `nightly.rerank.policy: rerank` makes that
# order the shortlist; both orders stay in the database either way.

# %%
moved = entries.loc[entries["rank_fair"].notna() & (entries["rank_fair"] != entries["rank_model"])]
print(f"{len(moved):,} qualified candidates would move under re-ranking")
