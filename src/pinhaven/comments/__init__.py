"""Comments (threaded one level, mentions) and reactions on pins."""
