"""Interchange formats (pure numpy, no Qt): Bruker BES3T and CSV, and run -> spectra export."""
from formats.bes3t import Bes3tData, Bes3tError, bes3t_files, read_bes3t, write_bes3t
from formats.csvfile import read_csv, write_csv

__all__ = ["Bes3tData", "Bes3tError", "bes3t_files", "read_bes3t", "write_bes3t", "read_csv", "write_csv"]
