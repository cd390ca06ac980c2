"""Naming run files without collisions, and recovering a file left open by a killed run.

Names are reserved with an exclusive create (``O_CREAT | O_EXCL``), which the operating system
makes atomic: two runs started in the same second in one folder get two files, whether or not
HDF5 file locking is on (``HDF5_USE_FILE_LOCKING=FALSE`` on network file systems).
"""
from __future__ import annotations

import datetime as _dt
import errno
import os
from pathlib import Path

import h5py

from app.storage import FORMAT, open_run_file, writer_alive

#: Status given to a file whose writing process ended without closing it.
INTERRUPTED = "interrupted"


def check_out_dir(out_dir: str | Path) -> Path:
    """The folder for run files, created if missing; a clear error if it cannot be one."""
    out = Path(out_dir)
    for parent in (out, *out.parents):
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"--out {out}: {parent} is a regular file, not a folder; "
                             f"give a folder for the run files (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: the folder is not writable")
    return out


def reserve_run_file(experiment: str, out_dir: str | Path, when: _dt.datetime | None = None) -> Path:
    """Create ``<YYYYmmdd-HHMMSS>_<experiment>.h5`` (empty) and return its path; if that name
    is taken, ``<stamp>-2_<experiment>.h5``, ``-3`` ... The file exists when this returns, so no
    other run can take the name."""
    out = check_out_dir(out_dir)
    stamp = (when or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        path = out / (f"{stamp}_{experiment}.h5" if n == 1 else f"{stamp}-{n}_{experiment}.h5")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise ValueError(f"--out {out}: 9999 runs of {experiment} already started at {stamp}")


def release_unused(path: Path) -> None:
    """Remove a reserved name that never received a run (the file is still empty)."""
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except FileNotFoundError:
        pass


def recover_run_file(path: str | Path, *, force: bool = False) -> tuple[str, int]:
    """Make a run file left open by a killed or crashed process a plain HDF5 file again.

    The file (still flagged as open for SWMR writing, so plain readers and other tools refuse
    it) is read through SWMR and copied, every flushed point included, into a new file that
    replaces it atomically; its status becomes ``interrupted`` and ``points`` the number of
    complete rows. Returns (the status before, points). A file whose writer still runs is
    refused unless ``force``.
    """
    path = Path(path)
    with open_run_file(path) as src:
        if src.attrs.get("format") != FORMAT:
            raise ValueError(f"{path} is not a spinbench run file (format {src.attrs.get('format')!r})")
        attrs = {k: src.attrs[k] for k in src.attrs}
        before = str(attrs.get("status"))
        if before != "running":
            n = int(attrs.get("points", 0))
            return before, n
        if writer_alive(attrs) and not force:
            raise ValueError(f"{path} is still being written by process {attrs.get('writer_pid')}; "
                             f"recover it only after that run has ended")
        tmp = path.with_name(f".{path.name}.recovering")
        with h5py.File(tmp, "w", libver="latest") as dst:
            for name in src:
                src.copy(src[name], dst, name)
            data = dst.get("data")
            n = min((len(ds) for ds in data.values()), default=0) if isinstance(data, h5py.Group) else 0
            dst.attrs.update(attrs)
            dst.attrs["status"] = INTERRUPTED
            dst.attrs["points"] = n
            note = ("the writing process ended without closing the file (killed, crashed or lost "
                    "power); recovered by spinbench recover")
            dst.attrs["error"] = f"{attrs['error']}; {note}" if attrs.get("error") else note
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"{path}: cannot replace it with the recovered copy ({errno.errorcode.get(exc.errno, exc)})") from None
    return before, n
