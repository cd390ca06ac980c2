"""Pulse envelopes: amplitude and phase of a shaped RF pulse, as a text spec an Event carries.

A spec is ``kind`` or ``kind(key=value, ...)``:

* ``rect`` - constant amplitude (the hard pulse);
* ``gauss(sigma=0.167)`` - exp(-(u - 1/2)^2 / (2 sigma^2)), ``u`` = t / duration, truncated at
  the pulse ends;
* ``sinc(lobes=3)`` - sinc(2 lobes (u - 1/2)): ``lobes`` zero crossings each side of the centre;
* ``hsec(beta=5.3, mu=5)`` - the hyperbolic-secant adiabatic pulse of Silver, Joseph & Hoult
  (J. Magn. Reson. 59, 347 (1984)): amplitude sech(b), phase mu ln sech(b), b = beta (2u - 1);
  its frequency sweeps over mu beta' / pi Hz with beta' = 2 beta / duration (rad/s), and it
  inverts adiabatically while omega1 >> sqrt(mu) beta';
* ``chirp(bw=10e3)`` - constant amplitude, frequency swept linearly from -bw/2 to +bw/2 (Hz).

Envelopes are sampled at sample midpoints (zero-order hold, as a DAC plays them), peak 1,
so an event's ``amplitude`` is the peak amplitude relative to the target's full scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Every kind with its parameters and their defaults.
KINDS: dict[str, dict[str, float]] = {
    "rect": {},
    "gauss": {"sigma": 1 / 6},
    "sinc": {"lobes": 3.0},
    "hsec": {"beta": 5.3, "mu": 5.0},
    "chirp": {"bw": 10e3},
}


class ShapeError(ValueError):
    """A shape spec that names an unknown kind or parameter, or a value out of range."""


@dataclass(frozen=True)
class Shape:
    kind: str
    params: tuple[tuple[str, float], ...] = ()

    def value(self, key: str) -> float:
        return dict(self.params).get(key, KINDS[self.kind][key])

    def spec(self) -> str:
        if not self.params:
            return self.kind
        return f"{self.kind}(" + ",".join(f"{k}={v:g}" for k, v in self.params) + ")"

    def envelope(self, n: int, duration: float) -> np.ndarray:
        """``n`` complex samples (|peak| = 1) over ``duration`` s, taken at sample midpoints."""
        u = (np.arange(n) + 0.5) / n
        return self.at(u, duration)

    def at(self, u: np.ndarray, duration: float) -> np.ndarray:
        """The complex envelope at fractions ``u`` (0..1) of a pulse of ``duration`` s."""
        u = np.asarray(u, float)
        k = self.kind
        if k == "rect":
            return np.ones_like(u, complex)
        if k == "gauss":
            return np.exp(-((u - 0.5) ** 2) / (2 * self.value("sigma") ** 2)).astype(complex)
        if k == "sinc":
            return np.sinc(2 * self.value("lobes") * (u - 0.5)).astype(complex)
        if k == "hsec":
            b = self.value("beta") * (2 * u - 1)
            sech = 1.0 / np.cosh(b)
            return sech * np.exp(1j * self.value("mu") * np.log(sech))
        bw = self.value("bw")  # chirp: phase = 2 pi int f dt with f = bw (u - 1/2)
        return np.exp(1j * math.pi * bw * duration * (u * u - u))


def parse_shape(spec: str) -> Shape:
    """``"hsec(beta=5, mu=4)"`` -> Shape; a clear one-line error for anything else."""
    text = (spec or "rect").strip()
    kind, _, rest = text.partition("(")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ShapeError(f"pulse shape {spec!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    params: list[tuple[str, float]] = []
    if rest:
        if not rest.endswith(")"):
            raise ShapeError(f"pulse shape {spec!r}: missing ')'; write e.g. gauss(sigma=0.2)")
        for item in filter(None, (s.strip() for s in rest[:-1].split(","))):
            key, eq, raw = (s.strip() for s in item.partition("="))
            if key not in KINDS[kind]:
                allowed = ", ".join(KINDS[kind]) or "none"
                raise ShapeError(f"pulse shape {spec!r}: {kind} has no parameter {key!r} (it takes {allowed})")
            try:
                value = float(raw) if eq else math.nan
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise ShapeError(f"pulse shape {spec!r}: {key} = {raw!r} must be a positive number")
            params.append((key, value))
    return Shape(kind, tuple(params))
