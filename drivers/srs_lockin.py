"""What the Stanford Research SR830 and SR860 drivers share: the lock-in role over their
4-letter mnemonics. Each subclass supplies its ladders (time constants, sensitivities) and
the index tables that differ between the models (``OUTP?``/``SNAP?`` numbering, ``SENS`` vs
``SCAL``, the sine-output format); sources per command in the subclasses' docstrings. Settings
are declared with :mod:`drivers.settings`: range check, error check, read-back validation and
snapshot in one place.
"""
from __future__ import annotations

import math
from typing import Any

from drivers.roles import LockInAmplifier
from drivers.roles.lockin import FILTER_SLOPES_DB
from drivers.settings import ladder, setting
from drivers.wire_instrument import WireInstrument
from drivers.replies import integer, number, parse_floats


class SRSLockIn(WireInstrument, LockInAmplifier):
    error_check = "esr"
    #: Ladders, index -> SI value, in the instrument's own index order.
    TIME_CONSTANTS: tuple[float, ...] = ()
    SENSITIVITIES: tuple[float, ...] = ()
    #: SNAP?/OUTP? parameter numbers for x, y, r, theta.
    SNAP_INDEX: dict[str, int] = {}
    MAX_HARMONIC = 19999

    def __init__(self, address: str, name: str | None = None, **options: Any):
        LockInAmplifier.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)

    # --- reference (SR830 manual pp. 5-4 .. 5-5; SR860 manual ch. 4 "Reference commands") ----
    reference_frequency = setting("FREQ", range="reference_frequency_range", to_wire="{:.4f}",
                                  from_wire=number(0.0, 5e6), unit="Hz", quantity="reference frequency")
    phase = setting("PHAS", check=lambda self, deg: self._wrap_phase(deg), to_wire="{:.2f}",
                    from_wire=number(-360.0, 729.99), unit="deg")
    harmonic = setting("HARM", check=lambda self, n: self._check_harmonic(n), to_wire="{:d}",
                       from_wire=integer(1, 19999), snapshot="harmonic")

    def _wrap_phase(self, degrees: float) -> float:
        degrees = float(degrees)
        if not math.isfinite(degrees):
            raise ValueError(f"{self.name}: phase {degrees!r} deg is not a finite number")
        return (degrees + 180.0) % 360.0 - 180.0  # -180 <= phase < 180, inside both models' range

    def _check_harmonic(self, n: int) -> int:
        if int(n) != n or not 1 <= n <= self.MAX_HARMONIC:
            raise ValueError(f"{self.name}: harmonic {n!r} must be an integer 1..{self.MAX_HARMONIC}")
        f = self.reference_frequency
        top = self.reference_frequency_range.high
        if n * f > top:
            raise ValueError(f"{self.name}: harmonic {n} of {f:g} Hz is {n * f:g} Hz, above the "
                             f"{top:g} Hz detection limit; lower the reference frequency first")
        return int(n)

    def auto_phase(self) -> None:
        self._do("APHS")

    # --- filter ----------------------------------------------------------------------------
    #: The instrument has a 1-3-10 ladder: the nearest step (in log) is used; read it back.
    time_constant = ladder("OFLT", "TIME_CONSTANTS", mode="nearest", unit="s", quantity="time constant")
    filter_slope = ladder("OFSL", "FILTER_SLOPES", unit="dB_per_oct", quantity="filter slope")
    FILTER_SLOPES = FILTER_SLOPES_DB

    # --- current input -------------------------------------------------------------------------
    #: Transimpedance of the current input, V/A, by input setting (1 MOhm: 1e6, 100 MOhm: 1e8).
    def current_gain(self) -> float | None:
        """V/A of the current input in use, or None on the voltage input (queried: the front
        panel may have changed it). In current mode sensitivities and outputs are in amperes."""
        raise NotImplementedError

    def input_unit(self) -> str:
        return "V" if self.current_gain() is None else "A"

    @property
    def SENSITIVITY_LADDER(self) -> tuple[float, ...]:
        """The full scales of the present input: volts, or amperes (volts / transimpedance)."""
        gain = self.current_gain()
        return self.SENSITIVITIES if gain is None else tuple(v / gain for v in self.SENSITIVITIES)

    def snapshot(self) -> dict[str, Any]:
        out = self.snapshot_settings()
        unit = self.input_unit()
        if unit == "A":  # the same setting, in the unit it has on the current input
            out["sensitivity_A"] = out.pop("sensitivity_V")
        out["input_unit"] = unit
        return out

    # --- readout ---------------------------------------------------------------------------
    def read_xy(self) -> tuple[float, float]:
        """X and Y taken at the same instant (SNAP?, not two OUTP? reads: SR830 manual p. 5-15),
        in volts, or amperes on the current input (the instrument reports them so)."""
        x, y = self.snap("x", "y")
        return x, y

    def read_r_theta(self) -> tuple[float, float]:
        r, theta = self.snap("r", "theta")
        return r, theta

    def snap(self, *quantities: str) -> list[float]:
        """2..6 (SR830) or 2..3 (SR860) simultaneous values by name (see ``SNAP_INDEX``)."""
        unknown = [q for q in quantities if q not in self.SNAP_INDEX]
        if unknown or not 2 <= len(quantities) <= self.MAX_SNAP:
            raise ValueError(f"{self.name}: snap takes 2..{self.MAX_SNAP} of {sorted(self.SNAP_INDEX)}, "
                             f"got {list(quantities)}")
        ids = ",".join(str(self.SNAP_INDEX[q]) for q in quantities)
        return self._ask(f"SNAP? {ids}", parse_floats(len(quantities), low=-1e9, high=1e9))

    MAX_SNAP = 6

    def read_output(self, quantity: str) -> float:
        """One output (x, y, r, theta) with OUTP?; use :meth:`snap` for simultaneous values."""
        if quantity not in ("x", "y", "r", "theta"):
            raise ValueError(f"{self.name}: output {quantity!r}; use x, y, r or theta")
        return self._ask(f"OUTP? {self.SNAP_INDEX[quantity]}", number(-1e4, 1e4))

    # --- safety / metadata -----------------------------------------------------------------
    def make_safe(self) -> None:
        """Modulation to the smallest amplitude the sine output allows."""
        self.reference_amplitude = self.reference_amplitude_range.low

