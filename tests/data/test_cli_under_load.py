"""The first run never fails: a command's flow starts Prefect's temporary API (migrating a
new database) on a machine whose cores are all busy, with no Prefect setting of the user's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.slow]

BURN = "while True:\n    pass\n"
COMMAND = [sys.executable, "-m", "hientai_app", "features", "--as-of", "2025-01-01", "--json"]


def test_a_flow_from_the_cli_starts_on_a_busy_machine_with_a_new_prefect_home(
    trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    config, _ = trained_world
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "new-prefect-home")  # not created: the CLI makes it
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(os.cpu_count() or 2)]
    try:
        done = subprocess.run(
            [*COMMAND, "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Timed out while attempting to connect" not in done.stderr
    # The server the command started before importing the flow is the one the flow used, and
    # it is gone with the command.
    used = re.search(r"Using the temporary server on (http://127\.0\.0\.1:\d+)/api", done.stderr)
    assert used, done.stderr[-3000:]
    assert "Starting temporary server" not in done.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{used.group(1)}/api/health", timeout=2)
    manifest = json.loads(done.stdout)
    assert manifest["as_of"] == "2025-01-01" and manifest["rows"] > 0
    assert (tmp_path / "new-prefect-home" / "prefect.db").exists()
