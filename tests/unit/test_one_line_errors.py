"""A command that reports an error in one line keeps Prefect's run logs free of that error's
traceback, and only of that error's: an unexpected one keeps its traceback."""

from __future__ import annotations

import io
import logging

from hientai_app.cli.common import PREFECT_RUN_LOGGERS, one_line_errors


def _logged(error: Exception, name: str) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(name)
    # Only this handler: once Prefect has configured logging (other tests ran flows), its own
    # handlers on these loggers would send the record to its API outside a flow run.
    handlers, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [handler], False
    try:
        try:
            raise error
        except Exception:
            logger.error("Task run failed with exception: %r", error, exc_info=True)
    finally:
        logger.handlers, logger.propagate = handlers, propagate
    return stream.getvalue()


def test_expected_errors_lose_their_traceback_others_keep_it() -> None:
    for name in PREFECT_RUN_LOGGERS:
        with one_line_errors(ValueError):
            quiet = _logged(ValueError("people.csv: row 3"), name)
            loud = _logged(RuntimeError("a bug"), name)
        assert "people.csv: row 3" in quiet and "Traceback" not in quiet
        assert "Traceback" in loud
        # Outside the command, Prefect's logs are left as they are.
        assert "Traceback" in _logged(ValueError("later"), name)
