"""Training data: datasets and their batch order, CSV files, the bundled MNIST images."""
