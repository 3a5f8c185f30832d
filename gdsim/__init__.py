"""gdsim: a desktop gradient-descent simulator."""

import os

__version__ = "0.1.0"

# NumPy's BLAS gets one thread, in the window and headless alike, unless the environment says
# otherwise. Measured on 2 cores (benchmarks/blas_threads.py): a second thread gains at most about
# 10% on the largest products here (digits' 256x784 batches, an MLP of 512-unit layers) when the
# machine is idle, and makes training 1.7 to 3.4 times slower (12 times in issue 10) when the other
# core is busy (the GUI, another program): OpenBLAS's threads spin waiting for each other. Effective
# only before NumPy is loaded, which is why it is here, the first module of gdsim anything imports.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")
