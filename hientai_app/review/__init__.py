"""The review app: planners review the nightly shortlists in a browser, record decisions with
reasons, and every action is chained into a tamper-evident audit log (`hientai serve`)."""

from hientai_app.review.app import create_app
from hientai_app.review.db import ROLES, ReviewDB

__all__ = ["ROLES", "ReviewDB", "create_app"]
