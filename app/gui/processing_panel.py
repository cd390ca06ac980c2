"""Processing in the data browser: channel (X, Y, magnitude, automatic phase; a phase turned by
hand for X and Y), polynomial baseline, double integration, and export to CSV or Bruker BES3T,
for runs and for other spectrometers' files alike.

No numerics here: a run becomes a :class:`formats.Dataset` (``app.run_dataset``) and is analysed
by ``app.file_analysis.analyse_dataset`` (``spinbench analyse FILE --channel --baseline``, whose
results include the model-free ``double_integral_numeric``); exports are ``app.run_export`` and
``app.foreign_files.export_file`` (``spinbench export``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from app.file_analysis import analyse_dataset
from app.file_analysis_kinds import CHANNELS
from app.gui._qt import QtWidgets, Signal
from app.gui.bridge import Task
from app.gui.file_view import show_dataset
from app.gui.live_plot import LivePlot
from app.run_dataset import phase_rotated, run_datasets
from formats import Dataset
from sequences.experiment import RunData

#: Baseline choices: shown text -> polynomial order (None: no baseline).
BASELINES = {"no baseline": None, "offset (order 0)": 0, "straight line (order 1)": 1, "order 2": 2, "order 3": 3}
CHANNEL_TEXT = {"auto": "auto phase", "x": "X (real)", "y": "Y (imaginary)", "magnitude": "magnitude"}


class ProcessingPanel(QtWidgets.QWidget):
    """Emits ``processed(dataset, analysis)`` once a processed trace is drawn on ``plot``."""

    processed = Signal(object, object)

    def __init__(self, plot: LivePlot, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.plot = plot
        self.run: RunData | None = None
        self.path: Path | None = None
        self.dataset: Dataset | None = None
        self.analysis: Any = None
        self.channel = QtWidgets.QComboBox()
        self.channel.setObjectName("processing_channel")
        for key in CHANNELS:
            self.channel.addItem(CHANNEL_TEXT.get(key, key), key)
        self.channel.setToolTip("which part of the complex signal to analyse; auto rotates the phase onto "
                                "the channel with the most signal (as spinbench analyse --channel)")
        self.trace = QtWidgets.QComboBox()  # a map or series run: which of its spectra
        self.trace.setObjectName("processing_trace")
        self.trace.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.trace.setMinimumContentsLength(8)
        self.trace_label = QtWidgets.QLabel("Spectrum")
        self.datasets: list[Dataset] = []
        self.phase = QtWidgets.QDoubleSpinBox()
        self.phase.setObjectName("processing_phase")
        self.phase.setRange(-180.0, 180.0)
        self.phase.setDecimals(1)
        self.phase.setSuffix(" °")
        self.phase.setToolTip("turn the signal's phase before taking X or Y (X cos φ + Y sin φ); "
                              "auto phase finds its own")
        self.baseline = QtWidgets.QComboBox()
        self.baseline.setObjectName("processing_baseline")
        for text, order in BASELINES.items():
            self.baseline.addItem(text, order)
        self.baseline.setToolTip("polynomial fitted outside the lines found and subtracted before the fit "
                                 "and the double integral")
        self.process_button = QtWidgets.QPushButton("Process")
        self.process_button.setToolTip("analyse the trace with this channel and baseline: fit, g (with the "
                                       "microwave frequency), double integral")
        self.process_button.clicked.connect(self.process)
        self.csv_button = QtWidgets.QPushButton("Export CSV…")
        self.csv_button.clicked.connect(lambda: self._export_dialog("csv"))
        self.bes3t_button = QtWidgets.QPushButton("Export BES3T…")
        self.bes3t_button.clicked.connect(lambda: self._export_dialog("bes3t"))
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("processing_message")
        self.message.setWordWrap(True)
        for box in (self.channel, self.baseline):  # a narrow column: the boxes may elide their text
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
        form = QtWidgets.QFormLayout()  # a narrow column beside the plot
        form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)  # a label over its field when narrow
        form.addRow(self.trace_label, self.trace)
        form.addRow("Channel", self.channel)
        form.addRow("Phase", self.phase)
        form.addRow("Baseline", self.baseline)
        exports = QtWidgets.QVBoxLayout()  # stacked: the column stays narrow
        exports.addWidget(self.csv_button)
        exports.addWidget(self.bes3t_button)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(form)
        lay.addWidget(self.process_button)
        lay.addWidget(self.message)
        lay.addStretch(1)
        lay.addLayout(exports)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for w in (self.process_button, self.csv_button, self.bes3t_button):
            w.setEnabled(on)

    # --- sources ---------------------------------------------------------------------------------
    def set_run(self, run: RunData) -> None:
        """A run: processed as its scan-averaged spectrum, exported as ``spinbench export`` does."""
        self.run, self.path, self.analysis = run, Path(run.path) if run.path else None, None
        try:
            found = run_datasets(run)
        except ValueError as exc:  # not a field sweep: nothing to process as a spectrum
            found = []
            self.message.setText(f"processing and export take field-swept spectra: {exc}")
        else:
            self.message.setText("")
        self._set_datasets(found)
        self._enable(self.dataset is not None)
        self.csv_button.setEnabled(self.path is not None)  # every run's columns go to CSV

    def _set_datasets(self, found: list[tuple[str, Dataset]]) -> None:
        """The spectra to choose from (the choice is shown only when there are several)."""
        self.datasets = [d for _, d in found]
        self.dataset = self.datasets[0] if self.datasets else None
        self.trace.blockSignals(True)
        self.trace.clear()
        self.trace.addItems([label for label, _ in found])
        self.trace.blockSignals(False)
        for w in (self.trace, self.trace_label):
            w.setVisible(len(found) > 1)

    def set_file(self, path: str | Path, dataset: Dataset, analysis: Any = None) -> None:
        self.run, self.path, self.analysis = None, Path(path), analysis
        self._set_datasets([("", dataset)])
        self.message.setText("")
        self._enable(True)

    def clear(self) -> None:
        self.run = self.path = self.analysis = None
        self._set_datasets([])
        self._enable(False)

    # --- processing ------------------------------------------------------------------------------
    def settings(self) -> tuple[str, int | None]:
        return self.channel.currentData(), self.baseline.currentData()

    def process(self) -> None:
        """Analyse with the chosen channel and baseline in a worker; drawn when done."""
        if self.datasets:
            self.dataset = self.datasets[max(0, self.trace.currentIndex())]
        d = self.dataset
        if d is None:
            return
        channel, baseline = self.settings()
        phase = self.phase.value() if channel in ("x", "y") else 0.0
        try:
            d = phase_rotated(d, phase)
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("processing…")
        self.process_button.setEnabled(False)
        self._task = Task(lambda: analyse_dataset(d, channel=channel, baseline=baseline),
                          lambda out, err: self._processed(d, out, err), name="process", owner=self)

    def _processed(self, d: Dataset, analysis: Any, error: str) -> None:
        self.process_button.setEnabled(True)
        if error:
            self.message.setText(f"Processing failed: {error.strip().splitlines()[-1]}")
            return
        self.analysis = analysis
        show_dataset(self.plot, d, analysis)
        di = analysis.results.get("double_integral_numeric")
        phase = self.phase.value() if analysis.channel in ("x", "y") else 0.0
        text = f"channel {analysis.channel}{f' at {phase:g} deg' if phase else ''}; {self.baseline.currentText()}"
        if di is not None:
            y_unit, x_unit = d.ordinates[0].unit, d.x.unit
            unit = f" {y_unit or '1'}·{x_unit}²" if x_unit else ""
            text += f"; double integral {di.value:.4g} ± {di.error:.2g}{unit}"
        self.message.setText(text)
        self.processed.emit(d, analysis)

    # --- export ----------------------------------------------------------------------------------
    def export(self, fmt: str, out_dir: str | Path | None = None) -> list[Path]:
        """Write the run or file as ``spinbench export --format fmt`` does (default: beside it)."""
        if fmt not in ("csv", "bes3t"):
            raise ValueError(f"export format {fmt!r}: use 'csv' or 'bes3t'")
        if self.path is None:
            raise ValueError("nothing open to export")
        out = Path(out_dir) if out_dir else self.path.parent
        if self.run is None:
            from app.foreign_files import export_file

            return export_file(self.path, fmt, out)
        from app.cli_export import column_units
        from app.run_export import export_bes3t, export_csv

        stem = self.path.stem
        if fmt == "csv":
            return [export_csv(self.run, out / f"{stem}.csv", column_units(self.run))]
        return export_bes3t(self.run, out, stem)

    def _export_dialog(self, fmt: str) -> None:
        start = str(self.path.parent) if self.path else ""
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, f"Export {fmt.upper()} into folder", start)
        if folder:
            try:
                paths = self.export(fmt, folder)
            except (OSError, ValueError) as exc:
                self.message.setText(f"Not exported: {exc}")
                return
            self.message.setText("wrote " + ", ".join(p.name for p in paths))
