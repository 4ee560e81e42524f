"""`make demo`: the whole platform on one machine, started and stopped by one command."""
