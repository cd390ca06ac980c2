"""Experiment panel: pick an experiment; a form generated from its parameter schema.

Each field shows the value in the parameter's display unit, its range and doc as a tooltip,
and is checked as it is typed (a bare number is in the display unit; '320mT' or '0.32 T' work
too): an invalid field turns red with the reason under it. Cross-parameter checks
(``Experiment.check``) and the lab's limits (``check_lab``) are shown under the form. The
estimated duration is ``Experiment.estimated_duration()``. Typed texts persist per experiment.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from app.gui._qt import QSettings, QtCore, QtWidgets, Signal
from app.gui.bridge import Task
from app.gui.presets import PRESET_SUFFIX, read_preset, write_preset
from app.gui.theme import bad_field_style, error_style
from drivers.lab import Lab
from sequences.experiment import Experiment, Parameter, ParameterError
from sequences.pulse.errors import format_seconds
from units.durations import format_duration



def display_text(p: Parameter, value: Any) -> str:
    """The text a field shows for an SI value (in the display unit)."""
    return p.text(value)


def parse_field(p: Parameter, text: str) -> Any:
    """Field text -> checked SI value through the parameter's own parser (a bare number is in the
    display unit shown beside the field), or ValueError naming what is wrong and what is accepted."""
    if not text.strip() and p.kind is not str:  # a text parameter may be empty (e.g. no Ms table)
        raise ValueError(f"{p.name}: empty; enter a value" + (f" in {p.shown_unit}" if p.shown_unit else ""))
    return p.parse(text)


def range_text(p: Parameter) -> str:
    return p.range_text()


class ParameterField(QtWidgets.QWidget):
    """Editor + unit label + inline error for one parameter."""

    edited = Signal()

    def __init__(self, p: Parameter, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.p = p
        self.error = ""
        tip = f"<b>{p.name}</b>: {p.doc}<br>range: {range_text(p) or 'any'}<br>default: {display_text(p, p.default)} {p.display_unit or p.unit}"
        if p.choices is not None:
            self.editor: QtWidgets.QWidget = QtWidgets.QComboBox()
            for c in p.choices:
                self.editor.addItem(str(c), c)
            self.editor.currentIndexChanged.connect(lambda _: self._changed())
        elif p.kind is bool:
            self.editor = QtWidgets.QCheckBox()
            self.editor.toggled.connect(lambda _: self._changed())
        else:
            self.editor = QtWidgets.QLineEdit()
            self.editor.textChanged.connect(lambda _: self._changed())
        self.editor.setObjectName(f"param_{p.name}")
        self.editor.setToolTip(tip)
        self.unit = QtWidgets.QLabel(p.display_unit or p.unit)
        self.unit.setMinimumWidth(40)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName(f"error_{p.name}")
        self.message.setStyleSheet(error_style())
        self.message.setWordWrap(True)
        self.message.hide()
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor, 1)
        row.addWidget(self.unit)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.set_value(p.default)

    def text(self) -> str:
        e = self.editor
        if isinstance(e, QtWidgets.QComboBox):
            return e.currentText()
        if isinstance(e, QtWidgets.QCheckBox):
            return "true" if e.isChecked() else "false"
        return e.text()

    def set_text(self, text: str) -> None:
        e = self.editor
        if isinstance(e, QtWidgets.QComboBox):
            i = e.findText(text)
            if i >= 0:
                e.setCurrentIndex(i)
        elif isinstance(e, QtWidgets.QCheckBox):
            e.setChecked(text.lower() in ("1", "true", "yes", "on"))
        else:
            e.setText(text)
        self._changed()

    def set_value(self, value: Any) -> None:
        self.set_text("true" if value is True else "false" if value is False else display_text(self.p, value))

    def value(self) -> Any:
        """The SI value; raises ValueError if the text is invalid."""
        e = self.editor
        if isinstance(e, QtWidgets.QComboBox):
            return e.currentData()
        if isinstance(e, QtWidgets.QCheckBox):
            return e.isChecked()
        return parse_field(self.p, e.text())

    def _changed(self) -> None:
        try:
            self.value()
            self.error = ""
        except ValueError as exc:
            self.error = str(exc)
        self.message.setText(self.error)
        self.message.setVisible(bool(self.error))
        if isinstance(self.editor, QtWidgets.QLineEdit):
            self.editor.setStyleSheet(bad_field_style() if self.error else "")
        self.edited.emit()


class ExperimentPanel(QtWidgets.QWidget):
    """Emits ``changed(experiment_or_None)`` whenever the form becomes valid or invalid."""

    changed = Signal(object)

    def __init__(self, experiments: dict[str, type[Experiment]], lab: Lab | None = None,
                 settings: QSettings | None = None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.experiments = dict(experiments)
        self.lab = lab
        self.settings = settings
        self.fields: dict[str, ParameterField] = {}
        self.problems: list[str] = []
        self.current: Experiment | None = None
        self.cls: type[Experiment] | None = None
        self.checking = False  # a lab check is running in the background
        self._generation = 0
        self.choice = QtWidgets.QComboBox()
        self.choice.setObjectName("experiment_choice")
        self.choice.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(18)
        for name, cls in self.experiments.items():  # the catalogue's order: the basic sweep first
            self.choice.addItem(f"{cls.title or name}  [{name}]", name)
        self.choice.currentIndexChanged.connect(lambda _: self._select(self.choice.currentData()))
        self.reset = QtWidgets.QPushButton("Defaults")
        self.reset.setToolTip("Put every parameter back to its default")
        self.reset.clicked.connect(self.reset_defaults)
        self.form_host = QtWidgets.QWidget()
        self.form = QtWidgets.QFormLayout(self.form_host)
        self.form.setLabelAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignTop)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        self.problems_label = QtWidgets.QLabel()
        self.problems_label.setObjectName("form_problems")
        self.problems_label.setStyleSheet(error_style())
        self.problems_label.setWordWrap(True)
        self.duration = QtWidgets.QLabel()
        self.duration.setObjectName("estimated_duration")
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.choice, 1)
        top.addWidget(self.reset)
        presets = QtWidgets.QHBoxLayout()
        for text, slot in (("Save preset…", self._save_dialog), ("Load preset…", self._load_dialog)):
            button = QtWidgets.QPushButton(text)
            button.clicked.connect(slot)
            presets.addWidget(button)
        self.preset_message = QtWidgets.QLabel("")
        self.preset_message.setObjectName("preset_message")
        self.preset_message.setWordWrap(True)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(presets)
        lay.addWidget(self.preset_message)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.problems_label)
        lay.addWidget(self.duration)
        last = settings.value("experiment/last", "") if settings else ""
        if last in self.experiments:
            self.choice.setCurrentIndex(self.choice.findData(last))
        self._select(self.choice.currentData())

    # --- API ------------------------------------------------------------------------------------
    def select(self, name: str) -> None:
        i = self.choice.findData(name)
        if i < 0:
            raise KeyError(f"no experiment {name!r}; available: {sorted(self.experiments)}")
        self.choice.setCurrentIndex(i)

    def set_text(self, name: str, text: str) -> None:
        self.fields[name].set_text(text)

    def values(self) -> dict[str, Any]:
        return {n: f.value() for n, f in self.fields.items()}

    def texts(self) -> dict[str, str]:
        return {n: f.text() for n, f in self.fields.items()}

    def preset_texts(self) -> dict[str, str]:
        """The form's texts with the unit written out ('337.5 mT'), so a preset reads the same
        whatever the display unit of a later version."""
        out = {}
        for name, f in self.fields.items():
            text = f.text().strip()
            try:
                float(text)
                bare = f.p.kind in (int, float) and f.p.choices is None and bool(f.p.shown_unit)
            except ValueError:
                bare = False
            out[name] = f"{text} {f.p.shown_unit}" if bare else text
        return out

    def save_preset(self, path: str | Path) -> Path:
        if self.cls is None:
            raise ValueError("no experiment selected")
        done = write_preset(path, self.cls.name, self.preset_texts())
        self.preset_message.setStyleSheet("")
        self.preset_message.setText(f"preset saved: {done.name}")
        return done

    def load_preset(self, path: str | Path) -> bool:
        """Fill the form from a preset file (switching experiment if it names another); False,
        with the reason shown, when the file is refused. The form then checks the values."""
        try:
            name, texts = read_preset(path, self.experiments)
        except ValueError as exc:
            self.preset_message.setStyleSheet(error_style())
            self.preset_message.setText(str(exc))
            return False
        self.select(name)
        for key, text in texts.items():
            self.set_text(key, text)
        self.preset_message.setStyleSheet("")
        self.preset_message.setText(f"preset loaded: {Path(path).name}")
        return True

    def _save_dialog(self) -> None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save preset", f"{self.cls.name if self.cls else 'preset'}"
                                                        f"{PRESET_SUFFIX}", f"Presets (*{PRESET_SUFFIX})")
        if name:
            self.save_preset(name)

    def _load_dialog(self) -> None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load preset", "", f"Presets (*{PRESET_SUFFIX} *.toml)")
        if name:
            self.load_preset(name)

    def experiment(self) -> Experiment:
        """A validated experiment, or ParameterError listing every problem."""
        if self.current is None:
            if self.checking:
                raise ParameterError(["still checking the parameters against the lab; try again in a moment"])
            raise ParameterError(self.problems or ["no experiment selected"])
        return self.current

    def set_lab(self, lab: Lab | None) -> None:
        self.lab = lab
        self.validate()

    def reset_defaults(self) -> None:
        for f in self.fields.values():
            f.set_value(f.p.default)

    # --- internals ------------------------------------------------------------------------------
    def _select(self, name: str | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        self.cls = self.experiments.get(name) if name else None
        if self.cls is None:
            self.validate()
            return
        saved = self._saved_texts(name)
        for p in self.cls.parameters:
            field = ParameterField(p)
            if p.name in saved:
                field.set_text(saved[p.name])
            field.edited.connect(self.validate)
            label = QtWidgets.QLabel(p.name)
            label.setToolTip(p.doc)
            self.form.addRow(label, field)
            self.fields[p.name] = field
        if self.settings is not None:
            self.settings.setValue("experiment/last", name)
        self.validate()

    def _saved_texts(self, name: str) -> dict[str, str]:
        if self.settings is None:
            return {}
        self.settings.beginGroup(f"experiment/{name}")
        try:
            return {k: str(self.settings.value(k)) for k in self.settings.childKeys()}
        finally:
            self.settings.endGroup()

    def validate(self) -> None:
        """Re-check the whole form. Field and cross-parameter checks are immediate; the lab's
        check (limits; for pulsed experiments every point's sequence is compiled, ~1 ms a point)
        runs in a worker so typing never waits for it. ``current`` is set once all have passed."""
        problems = [f.error for f in self.fields.values() if f.error]
        exp = None
        if self.cls is None:
            problems.append("choose an experiment")
        elif not problems:
            try:
                exp = self.cls(**self.values())
            except ParameterError as exc:
                problems += exc.problems
            except ValueError as exc:
                problems.append(str(exc))
        self._generation += 1
        if exp is not None and self.lab is not None:
            self.checking = True
            gen, lab = self._generation, self.lab
            self._show(exp, [], pending=True)
            self._task = Task(lambda: exp.check_lab(lab), lambda found, err: self._checked(gen, exp, found, err),
                              name="check-lab", owner=self)
            return
        self.checking = False
        self._show(exp, problems)

    def _checked(self, gen: int, exp: Experiment, found: Any, error: str) -> None:
        if gen != self._generation:
            return  # the form changed meanwhile; a newer check is on its way
        self.checking = False
        self._show(exp, list(found or []) + ([f"checking against the lab failed: {error}"] if error else []))

    def _show(self, exp: Experiment | None, problems: list[str], pending: bool = False) -> None:
        self.problems = problems
        self.current = exp if exp is not None and not problems and not pending else None
        field_errors = {f.error for f in self.fields.values()}
        text = "\n".join(f"• {p}" for p in problems if p not in field_errors)
        self.problems_label.setText("checking against the lab…" if pending else text)
        if exp is not None:
            est = exp.estimated_duration()  # pulsed: exact from the programs check_lab compiles
            shown = ("compiling…" if pending and est != est else
                     format_seconds(est) if 0 < est < 1 else format_duration(est))  # a short pulsed run
            self.duration.setText(f"Estimated duration: {shown} · {exp.total_points()} points")
            if self.settings is not None and not pending:
                for n, t in self.texts().items():
                    self.settings.setValue(f"experiment/{exp.name}/{n}", t)
        else:
            self.duration.setText("Estimated duration: — (fix the parameters above)")
        self.changed.emit(self.current)
