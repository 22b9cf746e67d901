"""Pinhaven: a self-hosted visual discovery platform."""

__version__ = "0.1.0"
