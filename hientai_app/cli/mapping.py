"""`hientai mapping suggest` and `hientai mapping check`: write and try a mapping file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from hientai.ingest import IngestError, load_mapping
from hientai.ingest.suggest import suggest_mapping
from hientai_app.cli.common import ConfigOption, app, err, fail, out, settings_for
from pipelines.mapping_check import MappingCheck, check_mapping

mapping_app = typer.Typer(
    help="Write a mapping file for a new extract, and try it before ingesting.",
    no_args_is_help=True,
)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("suggest")
def mapping_suggest(
    files: Annotated[
        list[Path], typer.Argument(help="The extract's CSV / Parquet / Excel files.")
    ],
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the YAML here (default: print it).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day the extract was taken (default: 1 January)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Propose a starting mapping from the files' headers and values.

    What it guessed and what it could not map are said in YAML comments. Try it with
    `hientai mapping check`, then edit; docs/mapping.md explains every feature.
    """
    settings = settings_for(config)
    try:
        reference = _date(as_of) if as_of else dt.date(settings.reference_today().year, 1, 1)
        text = suggest_mapping(files, as_of=reference, settings=settings)
    except IngestError as exc:
        raise fail(str(exc)) from None
    if out_path is None:
        print(text, end="")
        return
    if out_path.exists():
        raise fail(f"{out_path} already exists; choose another --out or remove it")
    out_path.write_text(text, encoding="utf-8")
    err.print(f"Suggested mapping written to {out_path}; try it with `hientai mapping check`.")


@mapping_app.command("check")
def mapping_check(
    mapping: Annotated[Path, typer.Argument(help="Mapping file (conf/mappings/NAME.yaml).")],
    source: Annotated[
        Path, typer.Argument(help="Extract folder, or a CSV / Parquet / Excel file.")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Date of the feature coverage (default: after the last record)."
        ),
    ] = None,
    problems: Annotated[int, typer.Option(help="How many problems to show.", min=0)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Dry-run a mapping: what an ingest would accept, quarantine and feed; publishes nothing.

    Per table: rows read, accepted and quarantined, contract columns fed; the features that
    would be missing; protected attributes known; the first problems. Exit 0: the batch would
    publish; 1: it would be refused; 2: a file-level error (one line naming file and column).
    """
    settings = settings_for(config)
    try:
        chosen = load_mapping(mapping)
        when = pd.Timestamp(_date(as_of)) if as_of else None
        result = check_mapping(source, chosen, settings, as_of=when, max_problems=problems)
    except IngestError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        _print_check(result)
    if not result.would_publish:
        raise typer.Exit(1)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise IngestError(f"--as-of {text!r}: expected a date as YYYY-MM-DD") from None


def _print_check(check: MappingCheck) -> None:
    out.print(
        f"[bold]Dry run of {check.mapping} on {check.source}[/] (nothing is published)",
        highlight=False,
        soft_wrap=True,
    )
    heads = ("read", "filtered", "accepted", "quarantined", "rate", "limit")
    rows = [f"{'table':<17}" + "".join(f"{h:>12}" for h in heads)]
    for t in check.tables:
        r = t.report
        cells = (
            f"{t.rows_read:,}",
            f"{r.filtered_by_mapping:,}",
            f"{r.accepted:,}",
            f"{r.quarantined:,}",
            f"{r.rejection_rate:.2%}",
            f"{r.max_rejection_rate:.0%}",
        )
        verdict = "  over limit" if r.over_limit else "  ok"
        rows.append(f"{r.name:<17}" + "".join(f"{c:>12}" for c in cells) + verdict)
    _say("Rows (read from the source; filtered out by where or distinct)", rows)
    _say(
        "Contract columns",
        [_columns_line(t.report.name, t.fed, t.not_fed, t.blank) for t in check.tables]
        + [f"tables not mapped: {', '.join(check.unmapped_tables) or 'none'}"],
    )
    _print_features(check)
    known = [f"{name} {share:.0%}" for name, share in check.protected_known.items()]
    _say(
        "Protected attributes known (fairness groups; unknown is counted as its own group)",
        [", ".join(known)],
    )
    quarantined = sum(t.report.quarantined for t in check.tables)
    _say(
        f"First problems of {quarantined:,} rows quarantined (file, row (table): column: reason)",
        [p.line() for p in check.problems] or ["none"],
    )
    if check.notes:
        _say("Notes", check.notes)
    _print_verdict(check)


def _say(title: str, lines: list[str]) -> None:
    out.print(f"[bold]{title}[/]", highlight=False, soft_wrap=True)
    for line in lines:
        out.print(f"  {line}", highlight=False, soft_wrap=True)


def _columns_line(table: str, fed: list[str], not_fed: list[str], blank: list[str]) -> str:
    line = f"{table}: {len(fed)} fed ({', '.join(fed)}); not fed: {', '.join(not_fed) or 'none'}"
    return line + (f"; fed but blank in every row: {', '.join(blank)}" if blank else "")


def _print_features(check: MappingCheck) -> None:
    if not check.features:
        _say("Features", [check.features_note or "not computed"])
        return
    missing = check.missing_features
    partly = [f for f in check.features if 0.0 < f.available < 1.0]
    title = (
        f"Features as of {check.as_of}: {len(check.features) - len(missing)} of "
        f"{len(check.features)} computable, {len(missing)} missing for lack of inputs"
    )
    by_dimension: dict[str, list[str]] = {}
    for f in missing:
        by_dimension.setdefault(f.dimension, []).append(f.name)
    lines = [f"missing, {dim}: {', '.join(names)}" for dim, names in by_dimension.items()]
    if partly:
        shares = ", ".join(f"{f.name} {f.available:.0%}" for f in partly)
        lines.append(f"for part of the people only: {shares}")
    _say(title, lines + ([check.features_note] if check.features_note else []))


def _print_verdict(check: MappingCheck) -> None:
    if check.would_publish:
        out.print("[bold green]Would publish[/] (exit 0): every table is within its limit.")
        return
    over = [
        f"{t.report.name} {t.report.rejection_rate:.1%} > {t.report.max_rejection_rate:.0%}"
        for t in check.tables
        if t.report.over_limit
    ]
    out.print(
        f"[bold red]Would be refused[/] (exit 1): rejection over the limit in {'; '.join(over)}"
    )
