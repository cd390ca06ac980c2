"""Data browser: past runs in the run folder (or any HDF5 run file), their metadata, a replot,
and a re-run of the analysis (in a worker thread) that can be saved back into the file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.gui._qt import QtCore, QtWidgets, Signal
from app.foreign_files import is_run_file
from app.gui.bridge import Task
from app.gui.compare_view import ComparePanel
from app.gui.file_view import read_and_analyse, show_dataset
from app.gui.live_plot import LivePlot
from app.gui.peaks_panel import PeakPicker
from app.gui.processing_panel import ProcessingPanel
from app.gui.run_notes import RunNotes
from app.gui.scroll_panel import ScrollPanel
from app.gui.readouts import format_results
from app.storage import open_for_append, read_run, write_notes, write_results
from formats import READERS
from sequences.experiment import Experiment, RunData
from sequences.experiments import get_experiment


#: The file and tools column: its share of the browser's width at a first start, and its limits
#: (px); the plot keeps the rest.
COLUMN_SHARE, COLUMN_MIN, COLUMN_MAX = 0.26, 170, 340


def experiment_for(run: RunData) -> Experiment:
    """Rebuild the run's experiment from the parameters stored in the file."""
    return get_experiment(str(run.metadata.get("experiment"))).from_parameters(run.parameters)


class DataBrowser(QtWidgets.QWidget):
    loaded = Signal(str)
    analysed = Signal(object)

    def __init__(self, folder: str | Path = "runs", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.run: RunData | None = None
        self.foreign: tuple[Path, Any] | None = None  # (path, Dataset) of an open spectrum file
        self.experiment: Experiment | None = None
        self.new_results: dict[str, Any] | None = None
        self.files = QtWidgets.QListWidget()
        self.files.setObjectName("run_files")
        # a long name is shortened in the middle (date and experiment both in view), whole on hover
        self.files.setTextElideMode(QtCore.Qt.ElideMiddle)
        self.files.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.files.itemActivated.connect(lambda it: self.open(it.data(QtCore.Qt.UserRole)))
        self.files.itemClicked.connect(lambda it: self.open(it.data(QtCore.Qt.UserRole)))
        self.folder_label = QtWidgets.QLabel(str(self.folder))
        self.folder_label.setWordWrap(True)
        refresh = QtWidgets.QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        browse = QtWidgets.QPushButton("Open file…")
        browse.clicked.connect(self._open_dialog)
        self.meta = QtWidgets.QTreeWidget()
        self.meta.setObjectName("run_metadata")
        self.meta.setHeaderLabels(["key", "value"])
        self.plot = LivePlot(fps=20)
        self.analyse_button = QtWidgets.QPushButton("Re-run analysis")
        self.analyse_button.clicked.connect(self.reanalyse)
        self.save_button = QtWidgets.QPushButton("Save results to file")
        self.save_button.clicked.connect(self.save_results)
        self.compare_button = QtWidgets.QPushButton("Compare")
        self.compare_button.setToolTip("add this run to the Compare tab: overlay it with other runs")
        self.compare_button.clicked.connect(self.add_to_comparison)
        self.compare = ComparePanel()
        self.processing = ProcessingPanel(self.plot)
        self.peaks = PeakPicker(self.plot)
        self.processing.processed.connect(lambda *_: self.peaks.clear())
        self.notes = RunNotes()
        self.save_notes_button = QtWidgets.QPushButton("Save notes to file")
        self.save_notes_button.clicked.connect(self.save_notes)
        self.notes.edited.connect(lambda: self.save_notes_button.setEnabled(self.run is not None))
        notes_tab = QtWidgets.QWidget()
        nl = QtWidgets.QVBoxLayout(notes_tab)
        nl.setContentsMargins(2, 2, 2, 2)
        nl.addWidget(self.notes)
        nl.addWidget(self.save_notes_button)
        # beside the plot (which keeps the tab's full height): the metadata and what one does with
        # the open run or file; each tool scrolls inside the column rather than widening it
        # (a tool box: every tool's name in view however narrow the column, where tabs hid some
        # behind scroll arrows)
        self.tools = QtWidgets.QToolBox()
        self.tools.setObjectName("browser_tools")
        self.tools.addItem(self.meta, "Metadata")
        self.tools.addItem(ScrollPanel(self.processing), "Processing")
        self.tools.addItem(ScrollPanel(self.peaks), "Peaks")
        self.tools.addItem(ScrollPanel(notes_tab), "Notes")
        self.analyse_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        self.save_notes_button.setEnabled(False)
        self.message = QtWidgets.QLabel("")
        self.message.setObjectName("browser_message")
        self.message.setWordWrap(True)  # a long error wraps under the buttons instead of widening the tab
        self.message.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Preferred)
        self.message.setMinimumWidth(1)
        files = QtWidgets.QWidget()
        fl = QtWidgets.QVBoxLayout(files)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.folder_label)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(refresh)
        row.addWidget(browse)
        fl.addLayout(row)
        fl.addWidget(self.files, 1)
        self.folder_label.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Preferred)
        left = QtWidgets.QSplitter(QtCore.Qt.Vertical)  # the file list over the tools, either taller
        left.setObjectName("browser_column")
        left.addWidget(files)
        left.addWidget(self.tools)
        left.setStretchFactor(0, 2)
        left.setStretchFactor(1, 3)
        left.setChildrenCollapsible(False)
        left.setMinimumWidth(COLUMN_MIN)
        self.column = left
        one = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(one)
        rl.addWidget(self.plot, 1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.analyse_button)
        row.addWidget(self.save_button)
        row.addWidget(self.compare_button)
        row.addStretch(1)
        rl.addLayout(row)
        rl.addWidget(self.message)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(one, "Run")
        self.tabs.addTab(self.compare, "Compare")
        # the plot takes what the column leaves: the column keeps its width when the window grows
        self.split = QtWidgets.QSplitter()
        self.split.setObjectName("browser_split")
        self.split.addWidget(left)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setChildrenCollapsible(False)
        self._split_placed = False  # the column's first width is set once the browser has its own
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(self.split)
        self.refresh()

    # --- the column's width -----------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._split_placed:
            self.place_split()

    def place_split(self) -> None:
        """The column at ``COLUMN_SHARE`` of the browser's width (within ``COLUMN_MIN`` ..
        ``COLUMN_MAX``), the plot the rest: a first start's place, and View > Reset layout's."""
        width = self.split.width() if self.isVisible() else 0
        if width <= 0:
            self._split_placed = False  # placed when first shown
            return
        column = int(min(COLUMN_MAX, max(COLUMN_MIN, COLUMN_SHARE * width)))
        self.split.setSizes([column, width - column - self.split.handleWidth()])
        self._split_placed = True

    def split_state(self) -> QtCore.QByteArray:
        """Where the user left the column (kept in the settings with the window's layout)."""
        return self.split.saveState()

    def restore_split(self, state: Any) -> bool:
        """Put the column back where ``split_state`` found it; False (first-start place) if
        ``state`` is not a saved splitter state."""
        ok = state is not None and self.split.restoreState(state)
        self._split_placed = bool(ok)
        return bool(ok)

    def set_folder(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder_label.setText(str(self.folder))
        self.refresh()

    def refresh(self) -> None:
        self.files.clear()
        paths = sorted(self.folder.glob("*.h5"), key=lambda p: p.stat().st_mtime, reverse=True) if self.folder.is_dir() else []
        for p in paths:
            item = QtWidgets.QListWidgetItem(p.name)
            item.setData(QtCore.Qt.UserRole, str(p))
            item.setToolTip(str(p))
            self.files.addItem(item)

    def _open_dialog(self) -> None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open run or spectrum", str(self.folder), open_filters())
        if name:
            self.open(name)

    # --- loading ----------------------------------------------------------------------------------
    def open(self, path: str | Path) -> None:
        """Load a run file, or a spectrum file from another spectrometer (``formats.load``, then
        the analysis ``spinbench analyse`` runs), in a worker thread; shows it when read."""
        self.message.setText(f"reading {Path(path).name}…")
        if is_run_file(path):
            self._task = Task(lambda: read_run(path), lambda run, err: self._loaded(path, run, err), name="read-run",
                              owner=self)
        else:
            self._task = Task(lambda: read_and_analyse(path), lambda got, err: self._loaded_foreign(path, got, err),
                              name="read-file", owner=self)

    def _loaded_foreign(self, path: Any, got: Any, error: str) -> None:
        if error:
            self.message.setText(f"Cannot open {path}: {error.strip().splitlines()[-1]}")
            return
        d, analysis = got
        self.run, self.experiment, self.new_results = None, None, None
        self.foreign = (Path(path), d)
        self.compare_button.setEnabled(d.ndim <= 2)
        self.processing.set_file(path, d, analysis)
        self.peaks.clear()
        self.peaks.set_frequency(d.parameter("MWFQ"))
        self.notes.set_values("", {})
        self.save_notes_button.setEnabled(False)
        self.analyse_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.meta.clear()
        for key, value in (("file", str(path)), ("format", d.format), ("title", d.title)):
            self.meta.addTopLevelItem(_tree(key, str(value)))
        self.meta.addTopLevelItem(_tree("parameters", {k: v for k, v in d.parameters.items()}))
        self.meta.resizeColumnToContents(0)
        show_dataset(self.plot, d, analysis)
        self.message.setText(f"{Path(path).name}: {d.format}, analysed as {analysis.kind}")
        self.loaded.emit(str(path))

    def _loaded(self, path: Any, run: Any, error: str) -> None:
        if error:
            self.message.setText(f"Cannot open {path}: {error}")
            return
        self.run, self.new_results, self.foreign = run, None, None
        self.save_button.setEnabled(False)
        self.compare_button.setEnabled(True)
        self._fill_metadata(run)
        self.processing.set_run(run)
        self.peaks.clear()
        f = run.parameters.get("frequency")
        self.peaks.set_frequency(float(f) if isinstance(f, (int, float)) else None)
        self.notes.set_values(run.metadata.get("notes", ""), run.metadata.get("sample", {}))
        self.save_notes_button.setEnabled(False)
        try:
            self.experiment = experiment_for(run)
        except Exception as exc:
            self.experiment = None
            self.message.setText(f"{Path(path).name}: data shown raw; cannot rebuild the experiment ({exc})")
            self.analyse_button.setEnabled(False)
            return
        self.plot.load_run(self.experiment, run)
        self.analyse_button.setEnabled(True)
        n = len(next(iter(run.columns.values()), []))
        self.message.setText(f"{Path(path).name}: {run.status}, {n} points")
        self.loaded.emit(str(path))

    def _fill_metadata(self, run: RunData) -> None:
        self.meta.clear()
        meta = run.metadata
        top = ["experiment", "title", "status", "started", "ended", "error", "points", "notes", "uuid",
               "spinbench_version"]
        for key in top:
            if key in meta:
                self.meta.addTopLevelItem(_tree(key, str(meta[key])))
        for key in ("sample", "parameters", "instruments", "lab", "limits", "experiment_extra", "safe_state_errors"):
            value = meta.get(key)
            if value in (None, "", {}, []):
                continue
            self.meta.addTopLevelItem(_tree(key, value))
        if run.results:
            self.meta.addTopLevelItem(_tree("results", {k: v for k, v in run.results.items()
                                                        if not hasattr(v, "__len__") or isinstance(v, str)}))
        self.meta.resizeColumnToContents(0)

    def add_to_comparison(self) -> None:
        """Overlay the open run, or the open spectrum file (its field under ``field``, its real
        and imaginary parts as ``x`` and ``y``: ``app.run_dataset.dataset_as_run``), on the
        Compare tab (shown), labelled by its file name."""
        if self.run is None and self.foreign is not None:
            from app.run_dataset import dataset_as_run

            path, d = self.foreign
            run, units = dataset_as_run(d, path.name)
            self.compare.add_run(path.name, run, None, units)
            self.tabs.setCurrentWidget(self.compare)
            return
        if self.run is None:
            return
        name = Path(self.run.path).stem if self.run.path else str(self.run.metadata.get("experiment", "run"))
        self.compare.add_run(name, self.run, self.experiment)
        self.tabs.setCurrentWidget(self.compare)

    def save_notes(self) -> None:
        """Write the Notes tab into the open run's file (replacing what it held)."""
        if self.run is None or self.run.path is None:
            return
        try:
            notes, sample = self.notes.values()
            write_notes(self.run.path, notes, sample)
        except (OSError, ValueError) as exc:
            self.message.setText(f"Notes not saved into {Path(self.run.path).name}: {exc} "
                                 f"(is the run still being written?)")
            return
        self.run.metadata["notes"], self.run.metadata["sample"] = notes, sample
        self._fill_metadata(self.run)
        self.save_notes_button.setEnabled(False)
        self.message.setText(f"notes saved into {Path(self.run.path).name}")

    # --- analysis ---------------------------------------------------------------------------------
    def reanalyse(self) -> None:
        if self.run is None or self.experiment is None:
            return
        exp, run = self.experiment, self.run
        self.message.setText("analysing…")
        self.analyse_button.setEnabled(False)
        self._task = Task(lambda: exp.analyse(run), self._analysed, name="reanalyse", owner=self)

    def _analysed(self, results: Any, error: str) -> None:
        self.analyse_button.setEnabled(True)
        if error:
            self.message.setText(f"Analysis failed: {error}")
            return
        self.new_results = results
        self.plot.show_results(results)
        self.save_button.setEnabled(True)
        self.message.setText("analysis re-run (not saved yet)")
        self.analysed.emit(results)

    def save_results(self) -> None:
        if self.run is None or self.new_results is None or self.run.path is None:
            return
        try:
            with open_for_append(self.run.path) as f:
                write_results(f, self.new_results)
        except OSError as exc:
            self.message.setText(f"Cannot write {self.run.path}: {exc} (is the run still being written?)")
            return
        self.message.setText(f"results saved into {Path(self.run.path).name}")
        self.save_button.setEnabled(False)


def open_filters() -> str:
    """File-dialog filters: spinbench runs, every other spectrometer format ``formats.load``
    reads (``formats.READERS``), and all of them at once."""
    per_format = [f"{r.name} ({' '.join(r.patterns)})" for r in READERS]
    everything = " ".join(["*.h5", *(p for r in READERS for p in r.patterns)])
    return ";;".join([f"runs and spectra ({everything})", "spinbench runs (*.h5)", *per_format, "all files (*)"])


def _tree(key: str, value: Any) -> QtWidgets.QTreeWidgetItem:
    item = QtWidgets.QTreeWidgetItem([key, ""])
    if isinstance(value, dict):
        for k, v in value.items():
            item.addChild(_tree(str(k), v))
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        for i, v in enumerate(value):
            item.addChild(_tree(str(i), v))
    else:
        text = value if isinstance(value, str) else json.dumps(value, default=str) if isinstance(value, (list, tuple)) else str(value)
        if hasattr(value, "value") and hasattr(value, "unit"):
            text = format_results({key: value}).split(": ", 1)[-1]
        item.setText(1, text)
        item.setToolTip(1, text)  # the column is narrow: the whole value on hover
    return item
