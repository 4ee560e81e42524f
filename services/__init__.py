"""The schema-driven synthetic data platform: one schema file drives every component."""
