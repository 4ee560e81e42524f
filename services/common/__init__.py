"""Helpers every service shell shares: CLI error handling, logging, progress."""
