"""`hientai doctor` and `hientai prune`: keeping the data folder whole, private and small."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from hientai.housekeeping import sweep_leftovers
from hientai.privacy import apply_umask
from hientai_app.cli.common import ConfigOption, app, err, fail, out, settings_for

MARKS = {"ok": "[green]ok[/]", "note": "[yellow]note[/]", "problem": "[red]problem[/]"}


@app.command()
def doctor(
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Repair what is safe: remove leftovers of dead processes, narrow permissions, "
            "point LATEST at the newest complete snapshot.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Check the latest snapshot, every night against the database, leftovers, locks and
    permissions (exit 1 if a problem is left)."""
    from pipelines.doctor import examine, healthy

    settings = settings_for(config)
    apply_umask(settings.privacy)
    findings = examine(settings, fix=fix)
    if as_json:
        print(json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            mark = "[green]fixed[/]" if finding.fixed else MARKS[finding.level]
            out.print(f"{mark:>8} {finding.area:<12} {finding.text}", soft_wrap=True)
    if not healthy(findings):
        raise typer.Exit(1)


@app.command()
def prune(
    keep: Annotated[
        int, typer.Option("--keep", help="Snapshots and run folders to keep, newest first.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Remove old snapshots and run folders that no night in the database needs (never the
    latest snapshot), and crash leftovers of dead processes."""
    from pipelines.retention import PruneRefused
    from pipelines.retention import prune as prune_data

    settings = settings_for(config)
    for leftover in [] if dry_run else sweep_leftovers(settings.require_data_dir()):
        err.print(f"removed leftover {leftover.describe()}", highlight=False, soft_wrap=True)
    try:
        plan = prune_data(settings, keep, dry_run=dry_run)
    except (PruneRefused, ValueError) as exc:
        raise fail(str(exc)) from None
    verb = "would remove" if dry_run else "removed"
    for snapshot_id in plan.snapshots:
        out.print(f"{verb} snapshot {snapshot_id}", highlight=False)
    for night in plan.run_folders:
        out.print(f"{verb} run folder {night}", highlight=False)
    out.print(
        f"kept {len(plan.kept_snapshots)} snapshot(s) and {len(plan.kept_run_folders)} run "
        "folder(s): the newest, the latest snapshot, and all that a night in the database needs",
        highlight=False,
    )
