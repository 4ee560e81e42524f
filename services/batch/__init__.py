"""The batch side: the generator's and the batch job's scripts, and the shipped schemas."""
