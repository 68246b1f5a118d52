"""Messenger transports: map platform updates to engine events and actions to platform calls."""
