"""The streaming side: the Structured Streaming job's script."""
