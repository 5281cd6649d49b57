"""hientai: talent discovery and recommendation for public-sector HR (decision support)."""

__version__ = "0.1.0"
