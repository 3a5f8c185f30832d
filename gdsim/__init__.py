"""gdsim: a desktop gradient-descent simulator."""

import os

# The lessons' matrices are small: a second BLAS thread costs more in hand-offs than it gains,
# collapses when another program holds the other core, and in the app that core belongs to the
# window. Must be set before NumPy loads its BLAS; an explicit setting by the user wins.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
