"""What the Stanford Research SR830 and SR860 drivers share: the lock-in role over their
4-letter mnemonics. Each subclass supplies its ladders (time constants, sensitivities) and
the index tables that differ between the models (``OUTP?``/``SNAP?`` numbering, ``SENS`` vs
``SCAL``); sources per command in the subclasses and in ``shared/reference/instruments.md``.
"""
from __future__ import annotations

import math
from typing import Any

from drivers.roles import LockInAmplifier
from drivers.roles.lockin import FILTER_SLOPES_DB
from drivers.wire import WireInstrument, choose_index, parse_float, parse_floats, parse_int


class SRSLockIn(WireInstrument, LockInAmplifier):
    error_check = "esr"
    #: Ladders, index -> SI value, in the instrument's own index order.
    TIME_CONSTANTS: tuple[float, ...] = ()
    SENSITIVITIES: tuple[float, ...] = ()
    SENSITIVITY_COMMAND = "SENS"
    #: SNAP?/OUTP? parameter numbers for x, y, r, theta.
    SNAP_INDEX: dict[str, int] = {}
    MAX_HARMONIC = 19999
    #: Sine-out amplitude on the wire (SR830: 2 mV steps, 3 decimals as in PM).
    AMPLITUDE_FORMAT = "{:.3f}"

    def __init__(self, address: str, name: str | None = None, **options: Any):
        LockInAmplifier.__init__(self, name)
        self.options = self._init_wire(address, name or self.role, options)

    # --- reference -------------------------------------------------------------------------
    @property
    def reference_frequency(self) -> float:
        return self._ask("FREQ?", parse_float)

    @reference_frequency.setter
    def reference_frequency(self, hz: float) -> None:
        hz = self.reference_frequency_range.check("reference frequency", hz, self.name)
        self._set(f"FREQ {hz:.4f}")

    @property
    def reference_amplitude(self) -> float:
        return self._ask("SLVL?", parse_float)

    @reference_amplitude.setter
    def reference_amplitude(self, volts: float) -> None:
        volts = self.reference_amplitude_range.check("reference amplitude", volts, self.name)
        self._set("SLVL " + self.AMPLITUDE_FORMAT.format(volts))

    @property
    def harmonic(self) -> int:
        return self._ask("HARM?", parse_int)

    @harmonic.setter
    def harmonic(self, n: int) -> None:
        if int(n) != n or not 1 <= n <= self.MAX_HARMONIC:
            raise ValueError(f"{self.name}: harmonic {n!r} must be an integer 1..{self.MAX_HARMONIC}")
        f = self.reference_frequency
        top = self.reference_frequency_range.high
        if n * f > top:
            raise ValueError(f"{self.name}: harmonic {n} of {f:g} Hz is {n * f:g} Hz, above the "
                             f"{top:g} Hz detection limit; lower the reference frequency first")
        self._set(f"HARM {int(n)}")

    @property
    def phase(self) -> float:
        return self._ask("PHAS?", parse_float)

    @phase.setter
    def phase(self, degrees: float) -> None:
        degrees = float(degrees)
        if not math.isfinite(degrees):
            raise ValueError(f"{self.name}: phase {degrees!r} deg is not a finite number")
        wrapped = (degrees + 180.0) % 360.0 - 180.0  # -180 <= phase < 180, inside both models' range
        self._set(f"PHAS {wrapped:.2f}")

    def auto_phase(self) -> None:
        self._do("APHS")

    # --- filter ----------------------------------------------------------------------------
    @property
    def time_constant(self) -> float:
        return self.TIME_CONSTANTS[self._ask("OFLT?", self._index_parser(self.TIME_CONSTANTS))]

    @time_constant.setter
    def time_constant(self, seconds: float) -> None:
        lo, hi = self.TIME_CONSTANTS[0], self.TIME_CONSTANTS[-1]
        if not (lo * 0.999 <= seconds <= hi * 1.001):
            raise ValueError(f"{self.name}: time constant {seconds!r} s outside {lo:g} .. {hi:g} s")
        # The instrument has a 1-3-10 ladder: the nearest step (in log) is used; read it back.
        self._set(f"OFLT {choose_index(self.TIME_CONSTANTS, seconds)}")

    @property
    def filter_slope(self) -> int:
        return FILTER_SLOPES_DB[self._ask("OFSL?", self._index_parser(FILTER_SLOPES_DB))]

    @filter_slope.setter
    def filter_slope(self, db_per_octave: int) -> None:
        if db_per_octave not in FILTER_SLOPES_DB:
            raise ValueError(f"{self.name}: filter slope {db_per_octave!r} dB/oct; use one of {FILTER_SLOPES_DB}")
        self._set(f"OFSL {FILTER_SLOPES_DB.index(db_per_octave)}")

    @property
    def sensitivity(self) -> float:
        return self.SENSITIVITIES[self._ask(f"{self.SENSITIVITY_COMMAND}?", self._index_parser(self.SENSITIVITIES))]

    @sensitivity.setter
    def sensitivity(self, volts: float) -> None:
        lo, hi = min(self.SENSITIVITIES), max(self.SENSITIVITIES)
        if not (0 < volts <= hi * 1.001):
            raise ValueError(f"{self.name}: sensitivity {volts!r} V outside {lo:g} .. {hi:g} V")
        # The smallest full scale that still holds the requested one: never overloads.
        ladder = sorted(self.SENSITIVITIES)
        choice = ladder[choose_index(ladder, volts, "at_least")]
        self._set(f"{self.SENSITIVITY_COMMAND} {self.SENSITIVITIES.index(choice)}")

    # --- readout ---------------------------------------------------------------------------
    def read_xy(self) -> tuple[float, float]:
        """X and Y taken at the same instant (SNAP?, not two OUTP? reads: SR830 manual p. 5-15)."""
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
        return self._ask(f"SNAP? {ids}", parse_floats(len(quantities)))

    MAX_SNAP = 6

    def read_output(self, quantity: str) -> float:
        """One output (x, y, r, theta) with OUTP?; use :meth:`snap` for simultaneous values."""
        if quantity not in ("x", "y", "r", "theta"):
            raise ValueError(f"{self.name}: output {quantity!r}; use x, y, r or theta")
        return self._ask(f"OUTP? {self.SNAP_INDEX[quantity]}", parse_float)

    # --- safety / metadata -----------------------------------------------------------------
    def make_safe(self) -> None:
        """Modulation to the smallest amplitude the sine output allows."""
        self._set("SLVL " + self.AMPLITUDE_FORMAT.format(self.reference_amplitude_range.low))

    def snapshot(self) -> dict[str, Any]:
        return {"reference_frequency_Hz": self.reference_frequency,
                "reference_amplitude_V": self.reference_amplitude,
                "time_constant_s": self.time_constant, "filter_slope_dB_per_oct": self.filter_slope,
                "sensitivity_V": self.sensitivity, "phase_deg": self.phase, "harmonic": self.harmonic,
                "address": self.address}

    @staticmethod
    def _index_parser(ladder: tuple[Any, ...]):
        def parse(text: str) -> int:
            i = parse_int(text)
            if not 0 <= i < len(ladder):
                raise ValueError(f"index {i} outside 0..{len(ladder) - 1}")
            return i

        return parse
