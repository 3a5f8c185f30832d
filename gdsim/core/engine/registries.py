"""The registries of the choices a ``Settings`` names, by its field: losses, initializers, optimizers.

Apart from scenarios.py so that the window's controls list the choices without the scenarios,
their data and the trainer, which its first frame does not need.
"""

from __future__ import annotations

from .initializers import INITIALIZERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS

REGISTRIES = {"loss": LOSSES, "init": INITIALIZERS, "optimizer": OPTIMIZERS}
