"""The sequence panel's interactive timing diagram and the pulsed experiments' estimated duration,
checked against the sequences' published timing (closed forms from their definitions)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

import app.simlab  # noqa: E402
from app.gui.experiment_panel import ExperimentPanel  # noqa: E402
from app.gui.sequence_panel import SequencePanel  # noqa: E402
from sequences.experiments import EXPERIMENTS  # noqa: E402


def hover(panel: SequencePanel, t: float, channel: str) -> str:
    """Move the mouse (a scene move event, as Qt delivers it) over time t in a channel's row."""
    vb = panel.plot.getPlotItem().vb
    panel.plot.getPlotItem().setXRange(0, 1.2e-6, padding=0)
    pos = vb.mapViewToScene(QtCore.QPointF(t, panel.diagram.row(channel)))
    panel.plot.scene().sigMouseMoved.emit(pos)
    return panel.readout.text()


def test_hahn_diagram_pulses_sit_where_the_sequence_puts_them(qtbot):
    """Hahn echo (pi/2 - tau - pi - tau - echo): the pi pulse centred at p90/2 + tau, the
    receiver window centred on the echo at p90/2 + 2 tau (tau from the centre of the pi/2)."""
    p90, p180, tau, acq = 20e-9, 40e-9, 500e-9, 256e-9
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    panel.set_experiment(EXPERIMENTS["t2-hahn"](p90=p90, p180=p180, tau_start=tau))
    qtbot.waitUntil(lambda: panel.diagram is not None, timeout=5000)
    d = panel.diagram
    assert d.channels[:2] == ("rf", "adc") and "trigger" in d.channels
    rf = [p for p in d.pulses if p.channel == "rf"]
    assert [p.length for p in rf] == pytest.approx([p90, p180])
    assert rf[1].start + p180 / 2 == pytest.approx(p90 / 2 + tau)
    (adc,) = [p for p in d.pulses if p.channel == "adc"]
    assert adc.start + acq / 2 == pytest.approx(p90 / 2 + 2 * tau) and adc.length == pytest.approx(acq)
    text = hover(panel, rf[1].start + p180 / 2, "rf")
    assert text.startswith("rf: start") and "length 40 ns" in text and "phase x" in text
    assert "receiver" in hover(panel, adc.start + acq / 2, "adc")
    # nothing under the mouse between pulses: the time is read out instead
    assert hover(panel, 200e-9, "rf").startswith("t = 200 ns")
    # the diagram follows the form: a longer tau moves the pi pulse
    panel.set_experiment(EXPERIMENTS["t2-hahn"](p90=p90, p180=p180, tau_start=2 * tau))
    qtbot.waitUntil(lambda: panel.diagram is not d, timeout=5000)
    rf = [p for p in panel.diagram.pulses if p.channel == "rf"]
    assert rf[1].start + p180 / 2 == pytest.approx(p90 / 2 + 2 * tau)


def test_nv_diagram_shows_laser_and_counter_gate_rows(qtbot):
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.set_experiment(EXPERIMENTS["nv-rabi"]())
    qtbot.waitUntil(lambda: panel.diagram is not None, timeout=5000)
    d = panel.diagram
    assert "laser" in d.channels and d.label("adc") == "counter gate"
    ticks = [label for _, label in panel.plot.getPlotItem().getAxis("left")._tickLevels[0]]
    assert {"rf", "laser", "counter gate"} <= set(ticks)


def test_cw_experiment_has_no_diagram(qtbot):
    panel = SequencePanel()
    qtbot.addWidget(panel)
    panel.set_experiment(EXPERIMENTS["esr-sweep"]())
    panel.redraw()
    assert panel.diagram is None and "no pulse sequence" in panel.message.text()


def test_pulsed_estimated_duration_is_the_compiled_programs_length(qtbot):
    """Hahn echo, two-step cycle, ``averages`` passes: each point runs averages x 2 shots of
    p90/2 + 2 tau + acq/2 + rep_delay (the sequence's own definition), summed over the sweep."""
    lab = app.simlab.build_sim_lab()
    panel = ExperimentPanel(EXPERIMENTS, lab=lab)
    qtbot.addWidget(panel)
    panel.select("t2-hahn")
    values = {"p90": "20", "p180": "40", "tau_start": "0.4", "tau_stop": "2.4", "points": "5",
              "spacing": "linear", "averages": "3", "rep_delay": "100", "acq_time": "256"}
    for name, text in values.items():
        panel.set_text(name, text)
    qtbot.waitUntil(lambda: not panel.checking and panel.current is not None, timeout=10_000)
    taus = [0.4e-6 + k * 0.5e-6 for k in range(5)]
    expected = sum(3 * 2 * (10e-9 + 2 * t + 128e-9 + 100e-6) for t in taus)
    assert panel.current.estimated_duration() == pytest.approx(expected, rel=1e-9)
    assert "unknown" not in panel.duration.text() and "ms" in panel.duration.text()
