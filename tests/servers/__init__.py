"""Loopback servers that the channel tests run against."""
