"""The streaming job's windows, as numbers every layer can read: the job windows events
with them, the producer's expected answer and the fault spec's checks use the same ones."""

WINDOW_S = 3600  # each window is one hour long
SLIDE_S = 900  # and a new one starts every 15 minutes
WATERMARK_S = 900  # events more than 15 minutes behind the newest seen may be dropped
WINDOWS_PER_EVENT = WINDOW_S // SLIDE_S


def spark_interval(seconds: int) -> str:
    """Spark's interval text for a whole number of seconds: "1 hour", "15 minutes"."""
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    raise ValueError(seconds)
