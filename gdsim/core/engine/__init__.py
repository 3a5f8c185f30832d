"""The gradient-descent engine: parameters, models, losses, initializers, optimizers, the trainer."""
