"""Write a synthetic extract to disk, all or nothing.

Layout: ``OUT/<table>.parquet`` (or ``.csv``) per contract table, ``OUT/extract.json`` (generator,
config, row counts) and ``OUT/truth/truth.parquet``, the latent truth, in its own folder so that
ingestion never picks it up. Files are written into a temporary sibling directory that is renamed
into place at the end, so a crash never leaves a half-written extract behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hientai import __version__
from hientai.contract import CONTRACT_VERSION
from hientai.synth.generate import SyntheticExtract

ExtractFormat = Literal["parquet", "csv"]
MANIFEST_NAME = "extract.json"
TRUTH_DIR = "truth"
TRUTH_FILE = "truth.parquet"
GENERATOR = "hientai.synth"
_BAD_FORMAT = "fmt must be one of {allowed}, got {fmt!r}"
_NOT_EMPTY = (
    "{out_dir} already exists and is not empty; choose another directory or pass "
    "overwrite=True to replace it"
)
_NOT_A_DIRECTORY = "{out_dir} exists and is not a directory"


def write_extract(
    extract: SyntheticExtract,
    out_dir: Path,
    *,
    fmt: ExtractFormat = "parquet",
    overwrite: bool = False,
) -> list[Path]:
    """Write ``extract`` under ``out_dir``; returns the paths written (tables, truth, manifest).

    Refuses a non-empty ``out_dir`` unless ``overwrite`` is True, in which case the old
    directory is replaced only once the new one is complete.
    """
    if fmt not in get_args(ExtractFormat):
        raise ValueError(_BAD_FORMAT.format(allowed=", ".join(get_args(ExtractFormat)), fmt=fmt))
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(_NOT_A_DIRECTORY.format(out_dir=out_dir))
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(_NOT_EMPTY.format(out_dir=out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        staging.chmod(0o755)
        written = _write_files(extract, staging, fmt)
        _replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / path.relative_to(staging) for path in written]


def _write_files(extract: SyntheticExtract, root: Path, fmt: ExtractFormat) -> list[Path]:
    written = []
    for name, frame in extract.tables.items():
        path = root / f"{name}.{fmt}"
        _write_frame(frame, path, fmt)
        written.append(path)
    truth = root / TRUTH_DIR / TRUTH_FILE
    truth.parent.mkdir()
    _write_frame(extract.truth, truth, "parquet")
    written.append(truth)
    manifest = root / MANIFEST_NAME
    manifest.write_text(_manifest(extract, fmt), encoding="utf-8")
    written.append(manifest)
    return written


def _write_frame(frame: pd.DataFrame, path: Path, fmt: ExtractFormat) -> None:
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, compression="zstd")
    else:
        frame.to_csv(path, index=False, date_format="%Y-%m-%d", encoding="utf-8")


def _manifest(extract: SyntheticExtract, fmt: ExtractFormat) -> str:
    content = {
        "generator": GENERATOR,
        "generator_version": __version__,
        "contract_version": CONTRACT_VERSION,
        "format": fmt,
        "config": extract.config.model_dump(mode="json"),
        "row_counts": extract.row_counts,
        "truth": f"{TRUTH_DIR}/{TRUTH_FILE}",
        "truth_rows": len(extract.truth),
    }
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def _replace(staging: Path, out_dir: Path) -> None:
    """Move the finished ``staging`` to ``out_dir``, replacing what was there."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
    retired.rmdir()
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        retired.rename(out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
