"""Teleo: an engine for git-backed knowledge bases that AI agents and people maintain together."""

__version__ = "0.1.0"
