"""Spectrum files in and out (pure numpy, no Qt; of ours it imports only the units/ library): Bruker BES3T,
ESP/WinEPR, Magnettech XML, text/CSV, TopSpin, SpecMan. ``load(path)`` reads any of them into
one :class:`Dataset` (SI axes, ordinates, BES3T-named parameters)."""
from formats.bes3t import Bes3tData, Bes3tError, load_bes3t, read_bes3t
from formats.bes3t_write import bes3t_files, write_bes3t
from formats.csvfile import read_csv, write_csv
from formats.dataset import Axis, Dataset, FormatError, MissingParameter, Ordinate
from formats.load import READERS, load

__all__ = ["Axis", "Bes3tData", "Bes3tError", "Dataset", "FormatError", "MissingParameter", "Ordinate", "READERS", "load",
           "bes3t_files", "load_bes3t", "read_bes3t", "write_bes3t", "read_csv", "write_csv"]
