"""Search: text, semantic text, visual (embedders, ANN) and duplicates (perceptual hashes)."""
