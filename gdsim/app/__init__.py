"""The desktop simulator (Qt). Nothing under gdsim.core imports from here."""

import os

# In the window, NumPy's BLAS gets one thread: on a 2-core machine the other core belongs to the
# GUI, and a second BLAS thread that finds its core busy spins and stalls (a digits MLP step went
# from 0.8 ms to 30 ms). Effective only if NumPy is not loaded yet; an explicit setting wins.
# Headless `gdsim run` keeps BLAS's default (all cores): nothing competes with it there.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
