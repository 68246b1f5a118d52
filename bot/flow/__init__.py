"""Flow language: located YAML, the frozen model, loading and validation."""
