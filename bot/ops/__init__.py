"""Operating the service: files, the instance lock, health and metrics, systemd."""
