"""A lab: the instruments filling each role, the lab's safety limits, and its clock.

Experiments ask the lab for roles (``lab.lockin``, ``lab.field``), never for a model.
The lab's limits are pushed down into every instrument's allowed ranges when the lab is
built, so an out-of-range setpoint is refused by the role before any command is sent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Protocol

import math
import threading
import time

from drivers.errors import ConfigError, RunAborted
from drivers.roles import ROLES, Instrument, Range
from units.durations import format_duration


class Clock(Protocol):
    #: True when ``sleep`` advances simulated time at once (nothing to abort in between);
    #: a clock without the attribute is taken to be a real-time one.
    simulated: bool

    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


def is_simulated(clock: Any) -> bool:
    """Whether waits on ``clock`` are simulated time (instantaneous) rather than real time."""
    return bool(getattr(clock, "simulated", False))


class RealClock:
    """Wall-clock time for real labs (same interface as the simulated clock)."""

    simulated = False

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class AbortableClock:
    """The lab's clock as handed to drivers for their own waits (ramps, polls): a wait wakes
    within 50 ms of an abort and raises RunAborted, except while the lab is making itself safe
    (the ramp to zero field must never be cut short)."""

    def __init__(self, lab: "Lab"):
        self._lab = lab

    def now(self) -> float:
        return self._lab.clock.now()

    def sleep(self, seconds: float) -> None:
        lab = self._lab
        if is_simulated(lab.clock) or lab.making_safe:
            lab.clock.sleep(seconds)
            return
        end = lab.clock.now() + seconds
        while (left := end - lab.clock.now()) > 0:
            if lab.abort_event.is_set() and not lab.making_safe:
                raise RunAborted("run aborted")
            lab.clock.sleep(min(left, 0.05))


@dataclass
class SafeStep:
    """One role being made safe; for the field, the ramp it started from."""

    role: str
    started: float
    field: float | None = None
    rate: float | None = None

    def read_field(self, inst: Any) -> None:
        try:
            self.field, self.rate = float(inst.field), float(inst.ramp_rate)
        except Exception:  # the ramp is tried all the same
            pass

    def describe(self, now: float) -> str:
        if self.role != "field":
            return f"making {self.role} safe"
        if self.field is None or not self.rate:
            return "ramping field to zero"
        left = max(0.0, abs(self.field) / self.rate - (now - self.started))
        return f"ramping field to zero: {left * self.rate * 1e3:.0f} mT, {format_duration(left)} left"


@dataclass(frozen=True)
class LabLimits:
    """Per-lab safety limits, SI units."""

    max_field: float = 1.0  # T, magnitude
    max_ramp_rate: float = 0.05  # T/s
    max_rf_power: float = 0.2  # W at the source output
    temperature_min: float = 1.5  # K
    temperature_max: float = 400.0  # K
    max_rf_duty_cycle: float = 0.1  # pulsed amplifier protection
    max_pulse_length: float = 100e-6  # s
    max_piezo_amplitude: float = 10.0  # V

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def problems(self) -> list[str]:
        """Every limit that is not a usable bound, one line each naming the limit, its value and
        what is accepted. A NaN limit compares False and would silently disable the check it
        guards, so nothing here is taken on trust."""
        out = []
        for name, value in self.as_dict().items():
            problem = limit_problem(name, value)
            if problem:
                shown = f"{value:g} {LIMIT_RULES[name][0]}".strip() if isinstance(value, (int, float)) else repr(value)
                out.append(f"{name} = {shown}: {problem}")
        window = temperature_window_problem(self.temperature_min, self.temperature_max)
        return out + ([window] if window else [])


#: Per limit: SI unit, lower bound, whether the lower bound itself is excluded, upper bound.
LIMIT_RULES: dict[str, tuple[str, float, bool, float | None]] = {
    "max_field": ("T", 0.0, True, None),
    "max_ramp_rate": ("T/s", 0.0, True, None),
    "max_rf_power": ("W", 0.0, True, None),
    "temperature_min": ("K", 0.0, False, None),
    "temperature_max": ("K", 0.0, True, None),
    "max_rf_duty_cycle": ("", 0.0, True, 1.0),
    "max_pulse_length": ("s", 0.0, True, None),
    "max_piezo_amplitude": ("V", 0.0, True, None),
}


def limit_problem(name: str, value: object) -> str | None:
    """Why ``value`` (SI) cannot be the limit ``name`` (finite, within its physical range), or None."""
    unit, low, low_open, high = LIMIT_RULES[name]
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or value < low or (low_open and value == low) or (high is not None and value > high)):
        return f"must be a finite number {_accepted(unit, low, low_open, high)}"
    return None


def temperature_window_problem(t_min: float, t_max: float) -> str | None:
    """The interlock window must be ordered, or a run could start outside it."""
    if all(isinstance(t, (int, float)) and math.isfinite(t) for t in (t_min, t_max)) and not t_min < t_max:
        return (f"temperature_min = {t_min:g} K is not below temperature_max = {t_max:g} K: the "
                f"temperature window must be ordered (min < max)")
    return None


def _accepted(unit: str, low: float, low_open: bool, high: float | None) -> str:
    text = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
    return f"{text} {unit}".strip()


class Lab:
    def __init__(self, instruments: dict[str, Instrument], limits: LabLimits, clock: Clock,
                 *, name: str = "lab", config: dict[str, Any] | None = None,
                 modulation_t_per_v: float = 1e-3, world: Any = None):
        unknown = set(instruments) - set(ROLES)
        if unknown:
            raise ConfigError(f"unknown role(s) {sorted(unknown)}; roles are {sorted(ROLES)}")
        for role, inst in instruments.items():
            if not isinstance(inst, ROLES[role]):
                raise ConfigError(f"instrument for role {role!r} is a {type(inst).__name__}, "
                                  f"not a {ROLES[role].__name__}")
        bad = limits.problems()
        if bad:
            raise ConfigError("unusable lab limits: " + "; ".join(bad))
        self.instruments = dict(instruments)
        self.limits = limits
        self.clock = clock
        self.name = name
        self.config = config or {}
        #: Field-modulation coil calibration: peak T per V of lock-in sine output.
        self.modulation_t_per_v = modulation_t_per_v
        #: The SimulatedWorld behind a simulated lab (None for real hardware), for the GUI and
        #: tests; the drivers layer never branches on it (the clock says whether time is simulated).
        self.world = world
        #: Set by the run engine to abort; ``sleep`` raises RunAborted once it is set.
        self.abort_event = threading.Event()
        #: Called repeatedly during real-time waits (the engine's interlock checks).
        self.watchers: list[Any] = []
        self.making_safe = False
        #: What ``make_safe`` is doing now (None outside it): read by progress reports.
        self.safe_step: SafeStep | None = None
        if not is_simulated(clock):  # drivers that wait on a clock (magnet ramps) wait on an abortable one
            for inst in self.instruments.values():
                if hasattr(inst, "clock"):
                    inst.clock = AbortableClock(self)
        self._apply_limits()

    def _apply_limits(self) -> None:
        lim = self.limits
        #: What each instrument says it can do, before the lab's limits narrowed it (for messages).
        self.instrument_ranges: dict[str, Range] = {}
        if "field" in self.instruments:
            f = self.instruments["field"]
            self.instrument_ranges["field"] = f.field_range
            f.field_range = _intersect(f.field_range, Range(-lim.max_field, lim.max_field, "T"))
            f.ramp_rate_range = _intersect(f.ramp_rate_range, Range(0.0, lim.max_ramp_rate, "T/s"))
        if "rf" in self.instruments:
            r = self.instruments["rf"]
            r.power_range = _intersect(r.power_range, Range(0.0, lim.max_rf_power, "W"))
        if "temperature" in self.instruments:
            t = self.instruments["temperature"]
            t.setpoint_range = _intersect(t.setpoint_range, Range(lim.temperature_min, lim.temperature_max, "K"))
        if "piezo" in self.instruments:
            p = self.instruments["piezo"]
            p.amplitude_range = _intersect(p.amplitude_range, Range(0.0, lim.max_piezo_amplitude, "V"))
        if "pulser" in self.instruments:  # amplifier protection, refused by PulseProgrammer.load
            pb = self.instruments["pulser"]
            pb.max_rf_duty_cycle = min(pb.max_rf_duty_cycle, lim.max_rf_duty_cycle)
            pb.max_pulse_length = min(pb.max_pulse_length, lim.max_pulse_length)

    def field_reach(self) -> Range:
        """The fields a plan may ask for: the field controller's range narrowed by the lab's limit."""
        field = self.instruments.get("field")
        return field.field_range if field is not None else Range(-self.limits.max_field, self.limits.max_field, "T")

    def field_problem(self, name: str, tesla: float) -> str | None:
        """Why the field ``tesla`` (for parameter ``name``) cannot be set in this lab, naming both
        the lab's ``max_field`` and what the field controller can really reach; None if it can."""
        lim = self.limits.max_field
        native = self.instrument_ranges.get("field")
        text = f"{name} = {tesla * 1e3:g} mT"
        if abs(tesla) > lim:
            reach = f" (the field controller reaches [{native.low * 1e3:g}, {native.high * 1e3:g}] mT)" if native else ""
            return f"{text} exceeds the lab's max field {lim * 1e3:g} mT{reach}"
        if native is not None and not native.low <= tesla <= native.high:
            who = type(self.instruments["field"]).__name__
            return (f"{text} is beyond what the field controller ({who}) can reach: "
                    f"[{native.low * 1e3:g}, {native.high * 1e3:g}] mT (the lab's max field is {lim * 1e3:g} mT)")
        return None

    def has(self, role: str) -> bool:
        return role in self.instruments

    def require(self, *roles: str) -> None:
        missing = [r for r in roles if r not in self.instruments]
        if missing:
            raise ConfigError(f"lab {self.name!r} has no instrument for role(s) {missing}; "
                              f"it has {sorted(self.instruments)}")

    def __getattr__(self, role: str) -> Instrument:
        instruments = self.__dict__.get("instruments", {})
        if role in instruments:
            return instruments[role]
        if role in ROLES:
            raise ConfigError(f"lab {self.__dict__.get('name')!r} has no {role!r} instrument; "
                              f"it has {sorted(instruments)}")
        raise AttributeError(role)

    def sleep(self, seconds: float) -> None:
        """Wait on the lab's clock; a real-time wait wakes up within 50 ms of an abort."""
        if self.abort_event.is_set():
            raise RunAborted("run aborted")
        if is_simulated(self.clock):  # simulated time: instantaneous
            self.clock.sleep(seconds)
            return
        end = self.clock.now() + seconds
        while (left := end - self.clock.now()) > 0:
            if self.abort_event.is_set():
                raise RunAborted("run aborted")
            self.clock.sleep(min(left, 0.05))
            for watch in self.watchers:  # interlocks keep running through long waits
                watch()

    def snapshot(self, skip: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
        """Every setting of every role (except ``skip``: e.g. instruments that stopped answering)."""
        out: dict[str, Any] = {}
        for role, inst in self.instruments.items():
            if role in skip:
                continue
            entry: dict[str, Any] = {"driver": type(inst).__name__}
            try:
                entry["identity"] = inst.identity()
                entry["settings"] = inst.snapshot()
            except Exception as exc:  # a snapshot must never stop a run
                entry["error"] = str(exc)
            out[role] = entry
        return out

    def make_safe(self, progress: Callable[[str], None] | None = None) -> list[str]:
        """RF off, modulation off, pulses stopped, drive off, field ramped to zero.

        Every instrument is tried even if another fails; the failures are returned.
        ``progress`` is told when a long step (the field ramp) begins, e.g. ``ramping field to
        zero: 338 mT, 3 s left``.
        """
        errors: list[str] = []
        order = ["rf", "pulser", "piezo", "lockin", "field"]
        self.making_safe = True
        try:
            for role in order + [r for r in self.instruments if r not in order]:
                inst = self.instruments.get(role)
                if inst is None:
                    continue
                step = self.safe_step = SafeStep(role, self.clock.now())
                if role == "field":
                    step.read_field(inst)
                    if progress is not None:
                        progress(step.describe(step.started))
                try:
                    inst.make_safe()
                except Exception as exc:
                    if role == "field":
                        step.read_field(inst)  # where it stopped, if the supply still answers
                        last = "no reading" if step.field is None else f"last reading {step.field * 1e3:.4g} mT"
                        errors.append(f"field: field controller did not confirm 0 T ({last}): {exc}")
                    else:
                        errors.append(f"{role}: {exc}")
        finally:
            self.making_safe = False
            self.safe_step = None
        return errors

    def safe_state_progress(self) -> str:
        """What the safe state is still doing and for how long, e.g. ``ramping field to zero:
        330 mT, 7 s left`` (estimated on the lab's clock from the field when the ramp began)."""
        step = self.safe_step
        return step.describe(self.clock.now()) if step is not None else ""

    def close(self) -> None:
        for inst in self.instruments.values():
            try:
                inst.close()
            except Exception:
                pass


def _intersect(a: Range, b: Range) -> Range:
    return Range(max(a.low, b.low), min(a.high, b.high), a.unit or b.unit)
