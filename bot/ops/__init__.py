"""Operating the service: private files, the instance lock, health and metrics, systemd."""
