"""Privacy and reliability tests: canary scans, retention, logging, flood, crash."""
