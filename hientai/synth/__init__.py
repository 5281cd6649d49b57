"""Synthetic national HR extract: a simulated civil service with known latent talent.

``generate_extract`` simulates careers year by year (vectorised over people) with configurable
historical biases, and returns contract-shaped tables plus the latent truth; ``write_extract``
writes them atomically. Configuration lives in ``conf/synthetic.yaml``.
"""

from hientai.synth.config import (
    DEFAULT_SYNTH_CONFIG_PATH,
    BiasConfig,
    SynthConfig,
    SynthConfigError,
    load_synth_config,
)
from hientai.synth.generate import SyntheticExtract, generate_extract
from hientai.synth.orgs import ORG_LEVELS
from hientai.synth.writer import MANIFEST_NAME, TRUTH_DIR, ExtractFormat, write_extract

__all__ = [
    "DEFAULT_SYNTH_CONFIG_PATH",
    "MANIFEST_NAME",
    "ORG_LEVELS",
    "TRUTH_DIR",
    "BiasConfig",
    "ExtractFormat",
    "SynthConfig",
    "SynthConfigError",
    "SyntheticExtract",
    "generate_extract",
    "load_synth_config",
    "write_extract",
]
