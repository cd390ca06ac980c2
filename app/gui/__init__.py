"""The lab GUI (PySide6 + pyqtgraph): the only package of spinbench that imports Qt.

Every panel is a thin layer over the API that scripts use (RunEngine, run_experiment, the
experiment catalogue, storage, the lab). Importing this package does not import Qt; the
modules inside it do, so ``spinbench --help`` works without a display.
"""
