"""Pins: pins, saves (repins), pin lifecycle."""
