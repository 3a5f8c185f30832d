"""Colour arithmetic for accessibility checks: WCAG 2 contrast, and how a colour looks to a reader
with a colour-vision deficiency. Pure Python and NumPy (no Qt): the tests check the themes with it.

- ``contrast_ratio`` is WCAG 2.x's (1.4.3 and 1.4.11): (L1 + 0.05) / (L2 + 0.05) of the relative
  luminances. Text wants 4.5:1, graphical objects (a curve, a marker, a bar) 3:1.
- ``simulate`` applies Machado, Oliveira and Fernandes's (2009) matrices at full severity to
  linear RGB, for protanopia, deuteranopia and tritanopia.
- ``delta_e`` is CIE76: the distance of two colours in CIELAB (about 2.3 is "just noticeable";
  our tests ask for much more).
"""

from __future__ import annotations

import numpy as np


def rgb(colour: str | tuple) -> tuple[float, float, float]:
    """sRGB in 0..1 of ``"#rrggbb"`` or of an (r, g, b) of 0..255."""
    if isinstance(colour, str):
        h = colour.lstrip("#")
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        if len(h) != 6:
            raise ValueError(f"not a #rrggbb colour: {colour!r}")
        return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    r, g, b = colour[:3]
    return r / 255.0, g / 255.0, b / 255.0


def _linear(c):
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _gamma(c):
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def relative_luminance(colour) -> float:
    """WCAG 2's relative luminance: 0 for black, 1 for white."""
    r, g, b = _linear(rgb(colour))
    return float(0.2126 * r + 0.7152 * g + 0.0722 * b)


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


TEXT_CONTRAST = 4.5  # WCAG 1.4.3, normal text (AA)
GRAPHIC_CONTRAST = 3.0  # WCAG 1.4.11, non-text contrast (AA): lines, markers, bars, focus rings

# Machado et al. 2009, severity 1.0, for linear RGB.
DEFICIENCIES = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def simulate(colour, deficiency: str) -> tuple[float, float, float]:
    """sRGB (0..1) of ``colour`` as seen with ``deficiency`` (a key of DEFICIENCIES)."""
    seen = DEFICIENCIES[deficiency] @ _linear(rgb(colour))
    return tuple(float(v) for v in _gamma(seen))


def _lab(srgb) -> np.ndarray:
    """CIELAB (D65) of sRGB in 0..1."""
    lin = _linear(srgb)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b) -> float:
    """CIE76 colour difference of two colours (``"#rrggbb"`` or sRGB tuples in 0..1)."""
    la = _lab(rgb(a) if isinstance(a, str) else a)
    lb = _lab(rgb(b) if isinstance(b, str) else b)
    return float(np.linalg.norm(la - lb))
