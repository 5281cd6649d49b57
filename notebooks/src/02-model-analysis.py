# %% [markdown]
# # 02 · The champion model: quality, calibration, fairness, explanations
#
# This notebook loads the **champion** from the MLflow registry (`hientai-potential@champion`)
# and the reports its training run logged, and shows: how it compares with the two baselines
# on the held-out period, whether its probabilities are calibrated, how selection in each
# cohort's top k splits by protected group, and which features drive its scores (exact
# TreeSHAP, summed per feature and per dimension of the catalog).
#
# It reads the settings of the project (`conf/hientai.yaml`, or `$HIENTAI_CONFIG`); run
# `make demo` and `hientai train` first, or point `HIENTAI_DATA_DIR` at a data folder with a
# trained registry.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from hientai import tracking
from hientai.settings import load_settings

settings = load_settings()
client = tracking.connect(settings)
classifier, version = tracking.load_champion(settings)
run = client.get_run(version.run_id)
report = Path(client.download_artifacts(version.run_id, "report"))
print(f"champion: {settings.training.model_name} version {version.version}, run {run.info.run_id}")
print(f"snapshot {run.data.tags['snapshot_id']}, config {run.data.tags['config_hash']}")
print(f"{len(classifier.feature_names_)} features")

# %% [markdown]
# ## Quality on the held-out period, beside the baselines
# NDCG@10 and precision@10 are computed within cohorts (the pools shortlists are drawn from).
# On synthetic extracts, `merit_*` columns measure selections against the latent truth the
# model never saw.

# %%
metrics = pd.read_csv(report / "metrics_by_model.csv").set_index("model")
shown = [
    c
    for c in [
        "roc_auc",
        "pr_auc",
        "ndcg_at_10",
        "precision_at_10",
        "brier",
        "merit_precision_at_10",
        "merit_spearman",
        "min_impact_ratio",
    ]
    if c in metrics
]
assert "seniority_plus_last_rating" in metrics.index
metrics[shown].round(3)

# %% [markdown]
# ## Calibration
# Probabilities are calibrated with isotonic regression on the latest training period; the
# points should lie near the diagonal.

# %%
calibration = pd.read_csv(report / "calibration.csv")
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.plot([0, calibration["predicted"].max()], [0, calibration["predicted"].max()], "--", c="grey")
ax.plot(calibration["predicted"], calibration["observed"], "o-")
ax.set_xlabel("predicted probability")
ax.set_ylabel("observed rate")
ax.set_title("Calibration on the held-out period")
plt.tight_layout()
calibration.round(4)

# %% [markdown]
# ## Selection by group
# Selection rate = share of the group in its cohort's top 10. The impact ratio is the lowest
# group rate over the highest (the four-fifths rule flags < 0.8), with a bootstrap interval.

# %%
groups = pd.read_csv(report / "fairness_groups.csv")
impact = pd.read_csv(report / "fairness_impact_ratios.csv")
pivot = groups.pivot_table(index="attribute", columns="group", values="selection_rate")
pivot.plot.barh(figsize=(7, 4), title="Selection rate in the top 10, by group")
plt.tight_layout()
impact.round(3)

# %% [markdown]
# ## What drives the scores
# Mean absolute exact TreeSHAP contribution per feature (raw-score units), and summed per
# dimension of the feature catalog.

# %%
shap_summary = pd.read_csv(report / "shap_summary.csv")
by_dimension = shap_summary.groupby("dimension")["mean_abs_shap"].sum().sort_values()
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
top = shap_summary.head(15).iloc[::-1]
axes[0].barh(top["feature"], top["mean_abs_shap"])
axes[0].set_title("Top 15 features (mean |SHAP|)")
by_dimension.plot.barh(ax=axes[1], title="By dimension")
plt.tight_layout()
assert set(shap_summary["feature"]) == set(classifier.feature_names_)
shap_summary.head(10).round(4)

# %% [markdown]
# ## The model card
# Logged with every training run; the gate's decision is at the end.

# %%
print((report / "model_card.md").read_text(encoding="utf-8")[:3000])
