"""gdsim: a desktop gradient-descent simulator."""

import os

__version__ = "0.1.0"

# NumPy's BLAS gets one thread, in the window and headless alike, unless the environment says
# otherwise. Measured on a 2-core machine (benchmarks/engine.py, "BLAS threads"): a second thread
# gains at most 10% on the largest products here (digits' 256x784 batches, an MLP of 4096 units)
# when the machine is idle, and makes a step 4 to 12 times slower when the other core is busy
# (the GUI, another program), because OpenBLAS's threads spin waiting for each other. Effective
# only before NumPy is loaded, which is why it is here, the first module of gdsim anything imports.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")
