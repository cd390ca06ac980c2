"""Spin counting of a spectrum file against a reference file of known spin number.

The double integral scales with the receiver gain, the modulation amplitude (small modulation),
the square root of the microwave power (unsaturated) and, for a Curie-law sample, 1/T (Eaton et
al., *Quantitative EPR*, Springer 2010, ch. 9). Each setting recorded in both files is divided
out; a setting missing from either file is not, and the note says so. Scans are not divided out:
Bruker software stores the average of the scans, not their sum.
"""
from __future__ import annotations

import math

from analysis.double_integration import spin_count
from formats import Dataset
from sequences.experiment import FitValue

#: (parameter, what it is, exponent of the double integral's dependence on it)
SCALINGS = (("RCAG", "receiver gain", None), ("B0MA", "modulation amplitude", 1.0),
            ("MWPW", "microwave power", 0.5), ("STMP", "temperature", -1.0))


def normalisation(sample: Dataset, reference: Dataset) -> tuple[float, list[str]]:
    """Factor that takes the sample's double integral to the reference's settings, and notes."""
    scale, notes = 1.0, []
    for key, label, exponent in SCALINGS:
        s, r = sample.parameter(key), reference.parameter(key)
        if s is None or r is None:
            missing = " and ".join(n for n, v in (("sample", s), ("reference", r)) if v is None)
            notes.append(f"spin count not normalised for the {label} ({key} not in the {missing} file)")
            continue
        if exponent is None:  # gain in dB
            scale *= 10 ** ((r - s) / 20)
        elif s > 0 and r > 0:
            scale *= (r / s) ** exponent
    return scale, notes


def count_spins(sample: Dataset, di: FitValue, reference: Dataset, di_ref: FitValue,
                reference_spins: float) -> tuple[FitValue, list[str]]:
    """Spins in the sample (value, standard error) and the normalisation notes."""
    if not (math.isfinite(reference_spins) and reference_spins > 0):
        raise ValueError(f"--reference-spins {reference_spins!r}: give the reference's number of spins (> 0)")
    scale, notes = normalisation(sample, reference)
    n, err = spin_count(di.value, di.error, di_ref.value, di_ref.error, reference_spins, scale)
    return FitValue(n, err, ""), notes
