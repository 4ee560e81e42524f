"""The standard normal's CDF and its inverse, imported from scipy on first use.

Importing scipy.special takes about 0.2 s (it pulls in numpy.f2py), paid by every worker
process at its start; only schemas with correlations or normal-quantile margins call these.
"""

from __future__ import annotations

import numpy as np


def ndtr(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr as cdf

    return cdf(z)


def ndtri(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri as quantile

    return quantile(u)
