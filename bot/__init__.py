"""Beistand: first-line help for threatened and harassed municipal officials."""

__version__ = "0.1.0"
