"""NV-centre (optically detected) sequences: microwave pulses on the ``rf`` channel, then a laser
pulse on the ``laser`` marker that reads out and re-polarises, with two counter-gate (``adc``)
windows: the signal at the start of the laser pulse and the polarised reference at its end
(Doherty et al., Phys. Rep. 528, 1 (2013); XY8: Gullion et al., J. Magn. Reson. 89, 479 (1990);
NV NMR by dynamical decoupling: Staudacher et al., Science 339, 561 (2013)).

``tau`` in the decoupling sequences is the pi-pulse centre-to-centre spacing; each pi pulse sits
in the middle of a ``tau`` unit, so a nuclear signal at f_L is picked up at tau = 1/(2 f_L).
"""
from __future__ import annotations

from sequences.pulse.model import ADC, Block, Event, Expr, Item, Sequence, delay, loop, pulse

#: Readout defaults (SI): laser pulse, counter window, gap after the microwave, wait after the laser.
#: The laser's rise delay (TTL edge to light at the sample; an AOM's acoustic transit) is the laser
#: channel's declared delay: the compiler starts the TTL that much early (sequences.pulse.delays).
READOUT = {"t_laser": 3e-6, "t_count": 300e-9, "t_gap": 500e-9, "t_wait": 1e-6}
XY8_PHASES = ("x", "y", "x", "y", "y", "x", "y", "x")


def readout() -> tuple[Item, ...]:
    """Light on for t_laser with the signal window at its start and the reference window at its
    end; the times are those of the light at the sample (the laser channel's delay is compensated
    by the compiler), so the counter windows sit on the light, not on the TTL edge."""
    return (delay("t_gap", "gap"),
            Block(Expr("t_laser"),
                  (Event("laser", "t_laser"), Event(ADC, "t_count"),
                   Event(ADC, "t_count", "t_laser - t_count"), Event("trigger", "t_count")),
                  "readout"),
            delay("t_wait", "wait"))


def _seq(name: str, items: tuple[Item, ...], params: dict[str, float], doc: str, ints: tuple[str, ...] = ()
         ) -> Sequence:
    return Sequence(name, items + readout(), {**params, **READOUT}, description=doc, integer_parameters=ints)


def nv_rabi() -> Sequence:
    """Microwave pulse of length tp, then readout (also pulsed ODMR at a fixed tp, sweeping frequency)."""
    return _seq("nv-rabi", (pulse("tp", "x", name="p1"),), {"tp": 50e-9}, "NV Rabi / pulsed ODMR")


def nv_ramsey() -> Sequence:
    """pi/2 - t_free - pi/2 - readout: fringes at the detuning, decaying as exp(-(t/T2*)^2)."""
    return _seq("nv-ramsey", (pulse("p90", "x", name="p1"), delay("t_free", "free"), pulse("p90", "x", name="p2")),
                {"p90": 12e-9, "t_free": 100e-9}, "NV Ramsey")


def nv_hahn() -> Sequence:
    """pi/2 - tau - pi - tau - pi/2 - readout (tau centre to centre): the echo decays with T2."""
    return _seq("nv-hahn", (pulse("p90", "x", name="p1"), delay("tau - p90/2 - p180/2", "tau1"),
                            pulse("p180", "x", name="p2"), delay("tau - p180/2 - p90/2", "tau2"),
                            pulse("p90", "x", name="p3")),
                {"p90": 12e-9, "p180": 24e-9, "tau": 1e-6}, "NV Hahn echo")


def _unit(phase: str, name: str) -> tuple[Item, ...]:
    return (delay("tau/2 - p180/2"), pulse("p180", phase, name=name), delay("tau/2 - p180/2"))


def nv_xy8() -> Sequence:
    """pi/2_x - (XY8 unit: X Y X Y Y X Y X, one pi pulse centred in each tau) x n_blocks - pi/2_-x
    (the -x closing pulse returns coherent spins to the bright m_s = 0, so lost coherence is a dip)."""
    body = tuple(i for k, ph in enumerate(XY8_PHASES) for i in _unit(ph, f"pi{k + 1}"))
    return _seq("nv-xy8", (pulse("p90", "x", name="p1"), loop("n_blocks", *body, label="XY8"),
                           pulse("p90", "-x", name="p3")),
                {"p90": 12e-9, "p180": 24e-9, "tau": 200e-9, "n_blocks": 4}, "NV XY8-N dynamical decoupling",
                ("n_blocks",))


def nv_cpmg() -> Sequence:
    """pi/2_x - (tau/2 - pi_y - tau/2) x n_pulses - pi/2_-x (bright when coherent)."""
    return _seq("nv-cpmg", (pulse("p90", "x", name="p1"), loop("n_pulses", *_unit("y", "pi"), label="CPMG"),
                            pulse("p90", "-x", name="p3")),
                {"p90": 12e-9, "p180": 24e-9, "tau": 200e-9, "n_pulses": 8}, "NV CPMG-N dynamical decoupling",
                ("n_pulses",))


NV_LIBRARY = {"nv-rabi": nv_rabi, "nv-ramsey": nv_ramsey, "nv-hahn": nv_hahn, "nv-xy8": nv_xy8, "nv-cpmg": nv_cpmg}
