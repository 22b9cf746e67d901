"""Media: decoding, normalisation, variants, colour, the media store and HTTP serving."""
