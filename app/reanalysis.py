"""Re-analysis of a folder: which files to read, and one picklable task per file.

Why its own module: worker processes import it; each task carries a file path and options only.
Run files (HDF5) are analysed by their experiment, as ``spinbench show`` does; spectrum files
from other spectrometers by :func:`app.file_analysis.analyse_dataset`, as ``spinbench analyse``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.result_table import flatten_results

#: One name per data set: the file a pair is opened by (its partner is read with it).
SPECTRUM_SUFFIXES = (".dsc", ".par", ".xml", ".d01", ".csv", ".txt", ".dat", ".asc", ".tsv")
RUN_SUFFIXES = (".h5", ".hdf5")


@dataclass(frozen=True)
class FileTask:
    path: str
    kind: str | None = None  # spectrum files: the analysis kind to force (None: from the file)


def find_files(folder: str | Path, recursive: bool = True) -> list[Path]:
    """Run files and spectrum files under ``folder`` (TopSpin experiment folders as folders),
    sorted by path; raises ValueError for a folder that is missing or holds none."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{folder}: not a folder")
    found: list[Path] = []
    for p in sorted(root.rglob("*") if recursive else root.iterdir()):
        if p.is_dir():
            if (p / "acqus").exists():
                found.append(p)
        elif p.suffix.lower() in SPECTRUM_SUFFIXES + RUN_SUFFIXES and not _inside_topspin(p, root):
            found.append(p)
    if not found:
        raise ValueError(f"{folder}: no run files (.h5) or spectrum files ({' '.join(SPECTRUM_SUFFIXES)}) in it")
    return found


def _inside_topspin(p: Path, root: Path) -> bool:
    return any((d / "acqus").exists() for d in p.parents if d != root and root in d.parents)


def analyse_file(task: FileTask) -> dict[str, float | str]:
    """One file's results as table columns, with ``format`` and ``kind`` labels."""
    from app.foreign_files import is_run_file

    path = Path(task.path)
    if path.is_file() and is_run_file(path):
        from app.storage import read_run
        from sequences.experiments import get_experiment

        run = read_run(path)
        name = str(run.metadata.get("experiment"))
        if task.kind is not None:
            raise ValueError(f"--kind {task.kind}: a run file is analysed by its experiment ({name})")
        results = get_experiment(name).from_parameters(run.parameters).analyse(run)
        return {"format": "spinbench run", "kind": name, **flatten_results(results)}
    from app.file_analysis import analyse_dataset
    from formats import load

    d = load(path)
    out = analyse_dataset(d, task.kind)
    return {"format": d.format, "kind": out.kind, **flatten_results(out.results)}


__all__ = ["FileTask", "find_files", "analyse_file", "SPECTRUM_SUFFIXES"]
