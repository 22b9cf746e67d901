"""Trust and safety: upload quotas and per-token API rate limits (reports and moderation live in `moderation/`)."""
