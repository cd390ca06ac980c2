"""Light and dark themes for the Qt widgets and the pyqtgraph plots (View > Dark theme).

Qt widgets follow the application palette (Fusion style, so every platform honours it).
pyqtgraph does not: its background, axes, titles, legends and grid take colours when they are
made, so :func:`apply` restyles every plot already on screen, and the config options make new
ones match. Curve colours come from the theme (:func:`curve_colour`): the light theme's are
matplotlib's "tab10" with its orange, pink and cyan darkened, the dark theme's lighter versions
of the same hues, so a trace keeps its colour's name in both; every one has at least the 3:1
contrast to its background that WCAG 2.1 (success criterion 1.4.11, non-text contrast) asks of
graphics. A widget with more to
restyle (its own curves, a diagram) defines ``apply_theme(theme)``; :func:`apply` calls it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.gui._qt import QtGui, QtWidgets, pg


@dataclass(frozen=True)
class Theme:
    name: str
    background: str  # plot background
    foreground: str  # axes, tick labels, titles, legend text, the fit curve
    grid: str
    muted: str  # cursor A, loop brackets, secondary text
    curves: tuple[str, ...] = field(default=())
    ok: str = "#1b5e20"  # state text: connected
    error: str = "#b00020"  # state text: error
    window: str = ""  # Qt palette: window and base colours ("" = the style's own)
    base: str = ""
    text: str = ""

    @property
    def dark(self) -> bool:
        return self.name == "dark"

    def average(self, colour: Any) -> QtGui.QColor:
        """The scan-average curve: the trace's hue, further from the background."""
        c = pg.mkColor(colour)
        return c.lighter(135) if self.dark else c.darker(150)


LIGHT = Theme("light", "#ffffff", "#000000", "#e3e3e3", "#555555",
              ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#d45f00", "#8c564b", "#c4569f", "#128a96"))
DARK = Theme("dark", "#1e1f22", "#dcdcdc", "#3a3c40", "#a0a0a0",
             ("#5aa9e6", "#ff6b6b", "#6bd66b", "#b39ddb", "#ffb74d", "#c8a99c", "#f48fb1", "#4dd0e1"),
             ok="#81c784", error="#ff8a80", window="#2b2d30", base="#1e1f22", text="#dcdcdc")

_current = LIGHT
_light_palette: QtGui.QPalette | None = None


def current() -> Theme:
    return _current


def error_style() -> str:
    """Style sheet of an error message in the current theme (dark red is unreadable on dark)."""
    return f"color: {_current.error};"


def bad_field_style() -> str:
    """Style sheet of an input field holding an invalid value: the theme's error colour as its
    border, on a light field with dark text (readable in both themes)."""
    return f"QLineEdit {{ border: 2px solid {_current.error}; background: #fff0f0; color: #000; }}"


def curve_colour(i: int) -> str:
    """The i-th trace colour of the current theme."""
    return _current.curves[i % len(_current.curves)]


def _palette(theme: Theme) -> QtGui.QPalette:
    p = QtGui.QPalette()
    role, c = QtGui.QPalette.ColorRole, QtGui.QColor
    for r, colour in ((role.Window, theme.window), (role.Base, theme.base), (role.AlternateBase, "#26282b"),
                      (role.WindowText, theme.text), (role.Text, theme.text), (role.ButtonText, theme.text),
                      (role.Button, "#3a3c40"), (role.ToolTipBase, "#3a3c40"), (role.ToolTipText, theme.text),
                      (role.Highlight, "#2f65ca"), (role.HighlightedText, "#ffffff"), (role.Link, "#7aa7ff"),
                      (role.PlaceholderText, "#8a8a8a"), (role.BrightText, "#ff6b6b")):
        p.setColor(r, c(colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QtGui.QPalette.ColorGroup.Disabled, r, c("#7a7a7a"))
    return p


def apply(dark: bool, app: QtWidgets.QApplication | None = None) -> Theme:
    """Switch the application (palette, pyqtgraph defaults, every plot shown) to a theme."""
    global _current, _light_palette
    app = app or QtWidgets.QApplication.instance()
    old, new = _current, (DARK if dark else LIGHT)
    if new is old:
        return new
    _current = new
    pg.setConfigOptions(background=new.background, foreground=new.foreground)
    if app is not None:
        if _light_palette is None:
            _light_palette = QtGui.QPalette(app.palette())
        if dark:
            app.setStyle("Fusion")  # the one style that follows the palette on every platform
        app.setPalette(_palette(new) if dark else _light_palette)
        for w in app.allWidgets():  # a widget with a style sheet keeps the palette it was polished with
            sheet = w.styleSheet()
            if sheet:  # and a message already shown in the old error colour takes the new one
                w.setStyleSheet(sheet.replace(old.error, new.error))
        for top in app.topLevelWidgets():
            restyle(top, old, new)
    return new


def restyle(root: QtWidgets.QWidget, old: Theme, new: Theme) -> None:
    """Recolour the pyqtgraph views under ``root`` from ``old`` to ``new``, then let widgets with
    ``apply_theme`` restyle what only they know."""
    swap = {pg.mkColor(a).name(): b for a, b in zip(old.curves, new.curves)}
    swap[pg.mkColor(old.foreground).name()] = new.foreground
    swap[pg.mkColor(old.muted).name()] = new.muted
    views = root.findChildren(pg.GraphicsView)
    if isinstance(root, pg.GraphicsView):
        views.append(root)
    for view in views:
        view.setBackground(new.background)
        for item in view.scene().items():
            _restyle_item(item, new, swap)
    widgets = root.findChildren(QtWidgets.QWidget)
    for w in [root, *widgets]:
        hook = getattr(w, "apply_theme", None)
        if callable(hook):
            hook(new)


def _restyle_item(item: Any, theme: Theme, swap: dict[str, str]) -> None:
    fg = theme.foreground
    if isinstance(item, pg.AxisItem):
        item.setPen(fg)
        item.setTextPen(fg)  # the axis title too
    elif isinstance(item, pg.LabelItem):
        item.setText(item.text, color=fg)
    elif isinstance(item, pg.LegendItem):
        item.setLabelTextColor(fg)
    elif isinstance(item, pg.GridItem):
        item.setPen(pg.mkPen(theme.grid))
    elif isinstance(item, pg.PlotDataItem):  # its curve takes the item's pen at every setData
        _swap_pen(item, pg.mkPen(item.opts["pen"]), swap)
    elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        _swap_pen(item, pg.mkPen(item.opts["pen"]), swap)
    elif isinstance(item, pg.InfiniteLine):
        _swap_pen(item, QtGui.QPen(item.pen), swap)
    elif isinstance(item, pg.TextItem):
        if item.color.name() in swap:
            item.setColor(swap[item.color.name()])


def _swap_pen(item: Any, pen: QtGui.QPen, swap: dict[str, str]) -> None:
    name = pen.color().name()
    if name in swap:
        pen.setColor(pg.mkColor(swap[name]))
        item.setPen(pen)
