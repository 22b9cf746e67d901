"""Trust and safety: roles, instance settings, reports, the moderation queue and its audit log."""
