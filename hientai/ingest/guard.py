"""The publish guard: an extract that would wipe out what the latest snapshot holds is held.

A people file with a header and no rows, or an export cut short, validates row by row as well
as a good one; only a comparison with the latest snapshot shows it. Such an extract is held:
nothing is published, the command exits 1, and the reasons are in the ingest report and the
quarantine. ``hientai ingest --accept-shrink`` publishes it anyway (a real reorganisation can
shrink a table), and the snapshot's manifest records that it was forced and by which command.
An extract in which no person was accepted is never published, not even with --accept-shrink:
there is nobody to plan with, and a night on it would replace every shortlist with an empty one.
"""

from __future__ import annotations

import json
from pathlib import Path

from hientai.ingest.publish import LATEST, MANIFEST
from hientai.ingest.report import TableReport

NO_PEOPLE_ACCEPTED = (
    "people: no row accepted ({input_rows} in the file); a night on this snapshot would replace "
    "every shortlist with an empty one, so it is never published (not even with "
    "--accept-shrink): check the people file and export it again"
)
SHRANK = (
    "{table}: {accepted:,} rows accepted, {previous:,} in the latest snapshot {snapshot} "
    "({share:.0%} fewer; the limit is ingest.max_shrink_share = {limit:.0%})"
)
TABLE_GONE = (
    "{table}: not in this extract, {previous:,} rows in the latest snapshot {snapshot} "
    "(100% fewer; the limit is ingest.max_shrink_share = {limit:.0%})"
)


def latest_counts(snapshots_dir: Path) -> tuple[str, dict[str, int]] | None:
    """The latest snapshot's id and accepted rows per table, or None if there is none."""
    pointer = snapshots_dir / LATEST
    if not pointer.is_file():
        return None
    snapshot_id = pointer.read_text(encoding="utf-8").strip()
    manifest = snapshots_dir / snapshot_id / MANIFEST
    if not snapshot_id or not manifest.is_file():
        return None
    tables = json.loads(manifest.read_text(encoding="utf-8")).get("tables", {})
    return snapshot_id, {name: int(t.get("accepted", 0)) for name, t in tables.items()}


def forceable(reports: list[TableReport]) -> bool:
    """Whether ``--accept-shrink`` may publish a held extract: not when no person was accepted."""
    return all(r.accepted > 0 for r in reports if r.name == "people")


def hold_reasons(
    reports: list[TableReport], snapshots_dir: Path, *, max_shrink_share: float
) -> list[str]:
    """Why this extract must not replace the latest snapshot (empty when it may)."""
    reasons = []
    accepted = {r.name: r.accepted for r in reports}
    people = next((r for r in reports if r.name == "people"), None)
    if people is not None and people.accepted == 0:
        reasons.append(NO_PEOPLE_ACCEPTED.format(input_rows=people.input_rows))
    latest = latest_counts(snapshots_dir)
    if latest is None:
        return reasons
    snapshot, previous_counts = latest
    for table, previous in previous_counts.items():
        if previous == 0:
            continue
        now = accepted.get(table)
        share = 1.0 if now is None else (previous - now) / previous
        if share <= max_shrink_share:
            continue
        template = TABLE_GONE if now is None else SHRANK
        reasons.append(
            template.format(
                table=table,
                accepted=now,
                previous=previous,
                snapshot=snapshot,
                share=share,
                limit=max_shrink_share,
            )
        )
    return reasons
