"""Person ids as integer codes: each record's row in the people table, looked up without
Python strings, so that the features group by ``bincount`` and not by a string hash."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class IdRuns:
    """A table's person ids as runs of equal ids: where each run starts, and its id."""

    rows: int
    starts: np.ndarray
    heads: pa.Array  # large strings, the lookup's type


def id_runs(ids: pd.Series) -> IdRuns:
    text = arrow_ids(ids)
    same = pc.equal(text[1:], text[:-1]).fill_null(False).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, ~same]) if len(text) else np.zeros(0, int)
    # Only the runs' first ids are cast to the lookup's type (casting every row's id cost
    # a second of the point-in-time cut at 1,000,000 people).
    return IdRuns(len(text), starts, text.take(starts).cast(pa.large_string()))


def codes_by_table(runs: dict[str, IdRuns], universe: pa.Array) -> dict[str, np.ndarray]:
    """Each id's position in ``universe`` (-1 if absent), for several tables, without Python
    string objects.

    Building the lookup's hash table of a million ids costs about as much as looking up ten
    million, so it is built once for all tables; and tables list a person's records together,
    so an id is looked up once per run of equal ids, not once per row (any order still gives
    the right codes, only slower).
    """
    heads = pa.chunked_array([run.heads for run in runs.values()], pa.large_string())
    found = pc.index_in(heads, value_set=universe)
    codes = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    out, done = {}, 0
    for name, run in runs.items():
        run_codes = codes[done : done + len(run.starts)]
        out[name] = np.repeat(run_codes, np.diff(np.r_[run.starts, run.rows]))
        done += len(run.starts)
    return out


def arrow_ids(ids: pd.Series) -> pa.Array:
    """Person ids as one Arrow string array, for lookups without Python strings."""
    values = pa.array(ids.astype("string[pyarrow]").array, type=pa.string())
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
