"""The one as-of rule of every flow and command: which night, and which date features describe.

The night is the date asked for, else today in Vietnam (whatever the worker's own time zone:
schedules run at 01:00 Asia/Ho_Chi_Minh). Features describe the night, unless the snapshot
ends before it: then the day after its last record, since features cannot describe days the
extract does not cover. The CLI and the deployments both go through here, so a scheduled
`build-features` run and `hientai features` agree on the date and say the same thing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from hientai.storage import Snapshot

NIGHT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
STALE_SNAPSHOT = (
    "the snapshot {snapshot} ends before {night}: features describe {as_of} (the day after its "
    "last record); deliver a fresh extract"
)


def night_of(as_of: str | None) -> str:
    """``as_of`` as a YYYY-MM-DD date (checked before any work), else today in Vietnam."""
    if as_of is None:
        return dt.datetime.now(NIGHT_ZONE).date().isoformat()
    try:
        return dt.date.fromisoformat(as_of).isoformat()
    except ValueError:
        raise ValueError(f"as_of {as_of!r} is not a date; use YYYY-MM-DD") from None


def features_date(snapshot: Snapshot, night: str) -> str:
    """The night, or the day after the snapshot's last record if that is earlier."""
    if snapshot.date_range is None:
        return night
    covered = snapshot.date_range[1] + pd.Timedelta(days=1)
    return min(pd.Timestamp(night), covered).strftime("%Y-%m-%d")


def stale_note(snapshot: Snapshot, night: str, as_of: str) -> str | None:
    """The warning a run gives when features describe an earlier day than the night."""
    if as_of == night:
        return None
    return STALE_SNAPSHOT.format(snapshot=snapshot.id, night=night, as_of=as_of)
