"""Optical-detection roles for optically detected magnetic resonance (NV centres in diamond).

A :class:`LaserGate` is the excitation laser behind its switch (an acousto-optic modulator, or a
diode modulated directly): on continuously for cw-ODMR, or gated by a pulse-programmer channel,
whose light arrives ``rise_delay`` after the TTL edge (the compiler shifts the channel by it).
A :class:`PhotonCounter` counts photodetector (APD/SPCM) pulses: in a software-timed window for
cw work, or one count per hardware gate window (the pulse programmer's counter-gate channel) for
pulsed work, typically two windows per shot: signal, then the polarised reference.
"""
from __future__ import annotations

from abc import abstractmethod

import numpy as np

from drivers.roles.base import Instrument, quantity


class LaserGate(Instrument):
    """The excitation laser: ``output`` for cw light, ``power`` in W at the sample."""

    role = "laser"
    #: Delay (s) from the gate's TTL edge to light at the sample (AOM acoustic transit).
    rise_delay: float = 0.0

    output = quantity(bool, "")
    power = quantity(float, "W")

    def make_safe(self) -> None:
        self.output = False


class PhotonCounter(Instrument):
    """Counts detected photons: per software window (:meth:`count`) or per gate window
    (:meth:`arm` then :meth:`fetch`, one number per gate in the order the gates opened)."""

    role = "counter"

    @abstractmethod
    def count(self, duration: float) -> int:
        """Photons counted in the next ``duration`` seconds (cw, software-timed)."""

    @abstractmethod
    def arm(self, gates: int) -> None:
        """Clear the gate buffer and count one value per hardware gate window from now; ``gates``
        is how many windows the program will open (a counting card sizes its buffer by it)."""

    @abstractmethod
    def fetch(self) -> np.ndarray:
        """Counts per gate window since :meth:`arm` (int64, one per gate, in time order); waits for
        the running program to end."""
