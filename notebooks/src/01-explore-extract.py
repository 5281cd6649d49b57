# %% [markdown]
# # 01 · Exploring the synthetic national extract
#
# hientai measures whether it finds **real merit** by testing itself on a synthetic extract
# whose latent truth is known. This notebook shows what that extract looks like and why it is a
# hard, honest test:
#
# 1. the shape of the population and the organisation hierarchy;
# 2. **rating inflation**: most cadres are rated "good" or better, so ratings say little
#    (the "formalities in evaluation" Resolution 28-NQ/TW complains of), while concrete outputs
#    say more;
# 3. **group gaps in historical promotions**: at equal latent potential, history favoured
#    Party members, locals, men and the Kinh majority. A model that imitates history inherits
#    that; the later notebooks show how hientai measures and counters it.
#
# The latent truth is read here only to *show* the bias. Feature and model code never reads it
# (a test enforces that).
#
# Set `HIENTAI_NOTEBOOK_PEOPLE` to change the size (the test suite runs this on a small extract).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from hientai.synth import SynthConfig, generate_extract

N_PEOPLE = int(os.environ.get("HIENTAI_NOTEBOOK_PEOPLE", "20000"))
config = SynthConfig(n_people=N_PEOPLE, n_external=max(N_PEOPLE // 20, 50), years=10, seed=7)
extract = generate_extract(config)
tables, truth = extract.tables, extract.truth
pd.Series({name: len(frame) for name, frame in tables.items()}, name="rows").to_frame()

# %% [markdown]
# ## 1. Population and organisations
# Organisation levels follow the 2025 two-tier reform (central, province, commune); levels are
# data, so a deployment can configure others.

# %%
people = tables["people"]
orgs = tables["organizations"]
end = pd.Timestamp(config.end_date)
age = (end - pd.to_datetime(people["birth_date"])).dt.days / 365.25
fig, axes = plt.subplots(1, 3, figsize=(14, 3.5))
age[people["population"] == "internal"].plot.hist(bins=40, ax=axes[0], title="Age (internal)")
people["population"].value_counts().plot.bar(ax=axes[1], title="Population")
orgs["level"].value_counts().plot.bar(ax=axes[2], title="Units by level")
plt.tight_layout()
summary = {
    "internal": int((people["population"] == "internal").sum()),
    "external": int((people["population"] == "external").sum()),
    "units": len(orgs),
    "median age (internal)": round(float(age[people["population"] == "internal"].median()), 1),
}
assert summary["internal"] == N_PEOPLE
summary

# %% [markdown]
# ## 2. Rating inflation
# Annual ratings cluster at "good" and above. Their correlation with latent potential is weak;
# concrete outputs (KPI achievement) correlate much more strongly. This is why the feature flow
# normalises ratings within unit and year and gives outputs their own dimension.

# %%
evals = tables["evaluations"].dropna(subset=["rating"])
shares = evals["rating"].astype(str).value_counts(normalize=True)
good_or_better = float(shares.get("excellent", 0) + shares.get("good", 0))
print(f"rated good or better: {good_or_better:.0%}")
assert good_or_better > 0.7, "the generator should inflate ratings"

rating_points = {"excellent": 3, "good": 2, "completed": 1, "not_completed": 0}
mean_rating = (
    evals.assign(points=evals["rating"].astype(str).map(rating_points))
    .groupby("person_id")["points"]
    .mean()
)
kpis = tables["outputs"].query("kind == 'kpi'")
kpi_ratio = (kpis["achieved"] / kpis["target"]).groupby(kpis["person_id"]).mean()
potential = truth.set_index("person_id")["potential"]
signal = pd.DataFrame({"mean rating": mean_rating, "KPI achievement": kpi_ratio}).join(potential)
correlations = signal.corr(method="spearman")["potential"].drop("potential")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
shares.reindex(list(rating_points)).plot.bar(ax=axes[0], title="Share of annual ratings")
correlations.plot.barh(ax=axes[1], title="Spearman correlation with latent potential")
plt.tight_layout()
assert correlations["KPI achievement"] > correlations["mean rating"]
correlations.round(3).to_frame("rho")

# %% [markdown]
# ## 3. Group gaps in historical promotions
# Who was promoted into a leadership post during the window, by group, overall and within
# deciles of latent potential. Gaps *within* a decile are bias: equal merit, unequal outcome.

# %%
assignments = tables["assignments"]
promoted_ids = assignments.query("reason == 'promotion' and is_leadership")["person_id"].unique()
internal = people[people["population"] == "internal"].merge(truth, on="person_id")
first_spell = assignments.sort_values("start_date").drop_duplicates("person_id")
entry_province = first_spell.set_index("person_id")["org_id"].map(
    orgs.set_index("org_id")["province_code"]
)
internal = internal.assign(
    promoted=internal["person_id"].isin(promoted_ids),
    decile=pd.qcut(internal["potential"], 10, labels=False),
    # Local = working in one's home province at entry (rotation later moves people away).
    local=internal["hometown_province"].notna()
    & (internal["hometown_province"] == internal["person_id"].map(entry_province)),
    kinh=internal["ethnicity"] == "Kinh",
    male=internal["gender"] == "male",
    party=internal["party_member"].astype(bool),
)
groups = {"Party member": "party", "local": "local", "male": "male", "Kinh": "kinh"}
rows = []
for label, column in groups.items():
    by = internal.groupby(column)["promoted"].mean()
    within = internal.groupby(["decile", column])["promoted"].mean().unstack()
    rows.append(
        {
            "group": label,
            "rate if yes": by.get(True, np.nan),
            "rate if no": by.get(False, np.nan),
            "mean gap within potential deciles": float((within[True] - within[False]).mean()),
        }
    )
gaps = pd.DataFrame(rows).set_index("group")
fig, ax = plt.subplots(figsize=(7, 3.5))
by_decile = internal.groupby(["decile", "party"])["promoted"].mean().unstack()
by_decile.plot(ax=ax, marker="o", title="Promotion rate by potential decile")
ax.legend(["not a Party member", "Party member"])
ax.set_xlabel("latent potential decile (0 = lowest)")
plt.tight_layout()
assert gaps.loc["Party member", "mean gap within potential deciles"] > 0
gaps.round(3)

# %% [markdown]
# ## Takeaways
# - Ratings are inflated and weakly tied to merit; outputs carry more signal.
# - Promotion history rises with potential **and** favours Party members, locals, men and the
#   Kinh majority at equal potential.
# - So "who was promoted" is a biased label. The training flow (issue 4) reweighs it and
#   checks true-merit precision per group; the nightly flow audits every shortlist.
