"""The built-in scenarios' names, titles and one-line summaries, and the models each offers.

Plain strings, no NumPy: ``gdsim list`` and ``gdsim --help`` read only this module,
so they answer at once, and the window lists the scenarios before any is built.
``scenarios.py`` takes every name, title and summary from here.
"""

from __future__ import annotations


class Entry:
    """A scenario's name, title, summary and the models it offers. A plain class: importing dataclasses
    would take longer than all the rest of ``gdsim list``."""

    __slots__ = ("name", "title", "summary", "models")

    def __init__(self, name: str, title: str, summary: str, models: tuple[tuple[str, str], ...]):
        self.name = name
        self.title = title  # a few words, beside the name in the window's list
        self.summary = summary
        self.models = models  # (name, summary) of each model offered, the default first

    def model_summary(self, model: str) -> str:
        return dict(self.models)[model]


CATALOG: dict[str, Entry] = {e.name: e for e in (
    Entry("fruit", "Apples and oranges",
          "linear regression: crop yields of apples and oranges from temperature, rainfall and humidity",
          (("linear", "linear 3 -> 2 (weight 2x3, bias 2)"),)),
    Entry("quadratic", "Speed of a roller coaster",
          "fit a*t**2 + b*t + c to 20 noisy speeds with SGD at lr 1e-5",
          (("polynomial", "a*t**2 + b*t + c (params: a, b, c)"),)),
    Entry("micrograd", "A tiny tanh network",
          "MLP 3-4-4-1 with tanh, sum of squared errors, SGD at lr 0.4 (forget to zero the gradients!)",
          (("mlp", "MLP 3-4-4-1, tanh after every layer"),)),
    Entry("digits", "3s versus 7s",
          "fastai's MNIST 3-vs-7 classifier on 800 real images, mini-batches of 256",
          (("linear", "linear 784 -> 1, sigmoid output (weight 1x784, bias 1)"),
           ("mlp", "MLP 784-30-1, ReLU hidden layer"))),
    Entry("digits10", "All ten digits",
          "fastai's chapter-4 classifier carried to all ten digits: 3,000 MNIST images, softmax cross-entropy",
          (("linear", "linear 784 -> 10, softmax output (weight 10x784, bias 10)"),
           ("mlp", "MLP 784-30-10, ReLU hidden layer"))),
    Entry("parabola", "Rolling down x**2",
          "minimise f(x) = x**2 from x = 3: learning rates too small, just right, too large",
          (("scalar", "one number x, f(x) = x**2"),)),
    Entry("chain-rule", "The chain rule, node by node",
          "backpropagation by hand: e = a*b, d = e + c, L = d*f, the chain rule node by node, SGD on a, b, c, f",
          (("expression", "e = a*b, d = e + c, L = d*f (leaves a, b, c, f; L is minimised)"),)),
)}
