"""Learned ranking: the served-features log, labelling, LightGBM training per objective, the model registry
and the serving scorer the home feed calls (with the hand-tuned scorer as the fallback). See docs/RANKING.md."""
