"""Direct messages (text or a pin, to one or several people), conversations, blocks."""
