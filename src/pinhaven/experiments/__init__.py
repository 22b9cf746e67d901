"""A/B experiments: arms with ranking settings, deterministic bucketing, exposures, reports. See docs/RANKING.md."""
