"""Queue loops (repeat N, a parameter series) and notes/sample metadata from the run-control
panel, against the simulated lab: the files the queue writes carry each series value, and the
notes typed before the runs, as any HDF5 reader sees them."""
from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import h5py  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from app.gui.queue_series import expand, series_values  # noqa: E402
from app.gui.run_control import RunControlPanel  # noqa: E402
from app.gui.run_controller import RunController  # noqa: E402
from sequences.experiments import EsrFieldSweep  # noqa: E402


def test_series_values_read_as_the_form_reads_them():
    p = EsrFieldSweep.parameter("field_start")
    assert series_values(p, "330, 335, 340 mT") == pytest.approx([0.330, 0.335, 0.340])
    assert series_values(p, "330, 0.335 T, 340") == pytest.approx([0.330, 0.335, 0.340])  # bare: mT
    assert series_values(p, "330:2.5:340") == pytest.approx([0.330, 0.3325, 0.335, 0.3375, 0.340])
    assert series_values(EsrFieldSweep.parameter("scans"), "1:1:3") == [1, 2, 3]
    with pytest.raises(ValueError, match="field_start = 5000 mT is outside"):
        series_values(p, "330, 5 T")
    with pytest.raises(ValueError, match="does not lead"):
        series_values(p, "330:-1:340")


def test_repeat_and_series_expand_outer_series_inner_repeat():
    items = expand(EsrFieldSweep(points=11), 2, "field_start", [0.330, 0.335])
    assert [i.values["field_start"] for i in items] == [0.330, 0.330, 0.335, 0.335]
    assert items[0].label == "esr-sweep (points=11) — field_start = 330 mT (1/2), repeat 1/2"
    assert items[3].label == "esr-sweep (points=11) — field_start = 335 mT (2/2), repeat 2/2"


@pytest.fixture
def panel(qtbot, sim_lab, tmp_path):
    controller = RunController(sim_lab, tmp_path / "runs", speed=0)
    controller.write_png = False
    form = {"exp": EsrFieldSweep(points=7, field_start=0.3375, field_stop=0.34, ramp_rate=0.1)}
    w = RunControlPanel(controller, lambda: form["exp"])
    qtbot.addWidget(w)
    w.form = form
    yield w
    if controller.busy:
        controller.abort()
        qtbot.waitUntil(lambda: not controller.busy, timeout=5000)


def test_a_series_beyond_the_lab_limits_queues_nothing(qtbot, panel):
    panel.loops.set_series("field_stop", "340, 1500 mT")
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert panel.queue_list.count() == 0
    assert "field_stop = 1500 mT is beyond what the field controller" in panel.message.text()
    assert "(2/2)" in panel.message.text()  # names the entry


def test_series_queue_runs_each_value_and_saves_the_notes(qtbot, panel):
    panel.notes_toggle.setChecked(True)
    panel.notes.sample_name.setText("DPPH powder")
    panel.notes.details.setPlainText("batch = A7\nmass = 2.1 mg")
    panel.notes.notes.setPlainText("phase checked on the first scan")
    panel.loops.set_series("scans", "1, 2", repeat=1)
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    labels = [panel.queue_list.item(i).text() for i in range(panel.queue_list.count())]
    assert len(labels) == 2 and all(t.startswith("esr-sweep (field_start=337.5 mT, ") for t in labels)
    assert labels[0].endswith("ramp_rate=100 mT/s) — scans = 1 (1/2)") and labels[1].endswith("— scans = 2 (2/2)")
    qtbot.mouseClick(panel.run_queue_button, Qt.LeftButton)
    out = panel.controller.out_dir
    qtbot.waitUntil(lambda: not panel.controller.busy and not panel.controller.queue
                    and len(list(out.glob("*.h5"))) == 2, timeout=30_000)
    qtbot.waitUntil(lambda: panel.controller.state == "completed", timeout=5000)
    scans = []
    for path in sorted(out.glob("*.h5")):
        with h5py.File(path, "r") as f:
            scans.append(json.loads(f["metadata"].attrs["parameters"])["scans"])
            assert len(f["data"]["x"]) == 7 * scans[-1]
            assert json.loads(f["metadata"].attrs["notes"]) == "phase checked on the first scan"
            assert json.loads(f["metadata"].attrs["sample"]) == {"name": "DPPH powder", "batch": "A7",
                                                                 "mass": "2.1 mg"}
    assert sorted(scans) == [1, 2]
