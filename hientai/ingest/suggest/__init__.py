"""A starting mapping for a new extract, from its headers and values (`hientai mapping suggest`).

Each source column is profiled (``profile``: blanks, distinct values, numbers, the date formats
that read it); its name is matched to what it holds and its values to the contract's
vocabularies (``synonyms``); each match becomes a proposed contract column (``columns``) in a
block of a contract table (``tables``), written as YAML with comments (``render``): what was
guessed and should be checked, and every column it could not map, with why. It is a start,
never a finished mapping; `hientai mapping check` then says what it would do.
"""

from hientai.ingest.suggest.profile import Profile, detect_date_formats, profile
from hientai.ingest.suggest.tables import suggest_mapping

__all__ = ["Profile", "detect_date_formats", "profile", "suggest_mapping"]
