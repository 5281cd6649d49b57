"""`hientai merit`: does a published night find real merit, equally for every group?

Synthetic extracts only: it needs the generator's latent truth (``--truth``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from hientai_app.cli.common import ConfigOption, app, fail, out, settings_for

RATIO_TARGET = 0.85  # issue 10's target for every precision and opportunity ratio
MEASURE_WORDS = {
    "precision": "precision",
    "opportunity": "opportunity",
    "eligible_opportunity": "opp. if eligible",
    "within_pool_precision": "prec. in pools",
    "young_opportunity": "young pools",
}
LEGEND = (
    "precision: share of a group's places held by truly high-potential people; opportunity: "
    "share of a group's truly high-potential people given a place; opp. if eligible: the "
    "same among those some pool admits (leaves out who the pools' rules admit); prec. in "
    "pools: precision compared pool by pool (leaves out which pools a group is listed in); "
    "young pools: opportunity in pools with an age window, under-30s against 30-39s; small: "
    "a side has fewer than 20 places or truly high-potential people, not judged."
)


@app.command()
def merit(
    truth: Annotated[Path, typer.Option("--truth", help="truth.parquet of a generated extract.")],
    night: Annotated[
        str | None, typer.Option("--night", help="The night (default: latest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the measures as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Measure a published night against a synthetic extract's latent truth."""
    from pipelines.merit import night_merit

    if not truth.is_file():
        raise fail(f"{truth}: truth file not found")
    try:
        report = night_merit(settings_for(config), truth, night)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
        return
    out.print(
        f"{report.places:,} shortlist places; truly high-potential (top 10% of latent "
        f"potential) hold {report.precision:.1%} of them; a random draw from each pool's "
        f"eligible candidates would give {report.random_precision:.1%}, "
        f"'seniority + last rating' {report.seniority_precision:.1%}.",
        highlight=False,
        soft_wrap=True,
    )
    table = RichTable(title=f"Group ratios (lower rate / higher rate; target >= {RATIO_TARGET})")
    for column in ("measure", "groups", "rates", "n", "ratio"):
        table.add_column(
            column, justify="right" if column in ("n", "ratio") else "left", no_wrap=True
        )
    for r in report.ratios:
        rates = f"{_pct(r.group_rate)} vs {_pct(r.reference_rate)}"
        ratio = "small" if r.value is None else f"{r.value:.2f}"
        if r.value is not None and r.value < RATIO_TARGET:
            ratio = f"[red]{ratio}[/]"
        table.add_row(
            MEASURE_WORDS[r.measure], f"{r.group} / {r.reference}", rates,
            f"{r.group_n:,} / {r.reference_n:,}", ratio,
        )  # fmt: skip
    out.print(table)
    out.print(LEGEND, highlight=False, soft_wrap=True)
    if report.external_spearman is not None:
        out.print(
            f"External candidates: Spearman of the published score with latent potential "
            f"{report.external_spearman:.2f}; distinct scores for "
            f"{report.external_distinct_share:.0%} of them.",
            highlight=False,
        )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
