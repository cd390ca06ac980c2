"""spinbench application layer: run engine, storage, lab configuration, CLI and GUI."""
__version__ = "0.1.0"
