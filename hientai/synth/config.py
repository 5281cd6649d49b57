"""Typed configuration of the synthetic national extract, loaded from ``conf/synthetic.yaml``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hientai.settings import validation_problems

DEFAULT_SYNTH_CONFIG_PATH = Path("conf/synthetic.yaml")


class SynthConfigError(ValueError):
    """The synthetic-extract configuration is missing or invalid; the message names the file."""


class BiasConfig(BaseModel):
    """How unfair the simulated history is. Logit coefficients unless said otherwise.

    The promotion coefficients are added to a candidate's score when vacancies are filled, so at
    equal potential a favoured candidate wins a contested post more often. Setting all of them to
    zero gives a merit-only history (plus the noise of who happened to be in the pool).
    """

    model_config = ConfigDict(extra="forbid")

    promotion_party_member: float = Field(0.8, ge=-5, le=5)
    promotion_local: float = Field(0.5, ge=-5, le=5)
    promotion_male: float = Field(0.5, ge=-5, le=5)
    promotion_kinh: float = Field(0.4, ge=-5, le=5)
    # Weight of latent potential in the same score: what merit alone would do.
    promotion_potential: float = Field(0.9, ge=0, le=5)
    # Annual ratings are inflated: these shares of rated cadres get "excellent" / "good".
    rating_excellent_share: float = Field(0.18, gt=0, lt=1)
    rating_good_share: float = Field(0.67, gt=0, lt=1)
    rating_not_completed_share: float = Field(0.02, ge=0, lt=1)
    # Weight of potential in the latent behind ratings (noise has sd 1): ratings say little.
    rating_potential_weight: float = Field(0.33, ge=0, le=5)
    # 360 surveys: sd of the leniency of each (unit, rater role); self-ratings are inflated.
    rater_leniency_sd: float = Field(0.3, ge=0, le=2)
    self_rating_inflation: float = Field(0.5, ge=0, le=2)
    # Confidence votes: logit shift of the "high" share when the cadre leads their home province.
    vote_locality_favouritism: float = Field(0.6, ge=-3, le=3)
    # Political-theory courses: logit advantage of Party members in getting a place.
    political_theory_party_access: float = Field(1.6, ge=-5, le=5)

    @model_validator(mode="after")
    def _rating_shares_fit(self) -> BiasConfig:
        total = self.rating_excellent_share + self.rating_good_share
        if total + self.rating_not_completed_share >= 1:
            raise ValueError(
                "rating_excellent_share + rating_good_share + rating_not_completed_share must "
                "leave room for 'completed' (sum below 1)"
            )
        return self


class SynthConfig(BaseModel):
    """Size, window and seed of one synthetic extract; same config, same bytes."""

    model_config = ConfigDict(extra="forbid")

    n_people: int = Field(20_000, ge=200, le=5_000_000, description="internal cadres")
    n_external: int = Field(1_000, ge=0, le=1_000_000, description="external candidates")
    years: int = Field(10, ge=1, le=30, description="simulated years ending at end_date")
    seed: int = Field(7, ge=0)
    end_date: dt.date = dt.date(2025, 12, 31)
    people_per_unit: float = Field(100.0, ge=10, le=1_000)
    biases: BiasConfig = Field(default_factory=BiasConfig)

    @property
    def first_year(self) -> int:
        return self.end_date.year - self.years + 1


def load_synth_config(path: Path | None = None) -> SynthConfig:
    """Read ``path`` (default ``conf/synthetic.yaml``); defaults apply when it does not exist."""
    source = path or DEFAULT_SYNTH_CONFIG_PATH
    if path is not None and not path.exists():
        raise SynthConfigError(f"{path}: synthetic-extract configuration file not found")
    raw: object = {}
    if source.exists():
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise SynthConfigError(f"{source}: expected a mapping of settings at the top level")
    try:
        return SynthConfig.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise SynthConfigError(f"{source}: {problems}") from None
