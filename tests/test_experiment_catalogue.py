"""The stored experiment catalogue `spinbench list` prints (sequences/catalogue_data.py) against
the experiment classes: the same experiments, titles, roles and parameter text. When this
fails, regenerate it: python docs/generate.py (or python -m sequences.catalogue)"""
from __future__ import annotations

from sequences import catalogue, catalogue_data


def test_stored_catalogue_matches_the_experiment_classes():
    stored = {name: {**entry, "parameters": [tuple(p) for p in entry["parameters"]]}
              for name, entry in catalogue_data.CATALOGUE.items()}
    assert stored == catalogue.build(), "stale: run python docs/generate.py"


def test_catalogue_is_built_from_the_classes_when_the_sources_changed(monkeypatch):
    """A source edited since the catalogue was generated: the listing comes from the classes."""
    monkeypatch.setattr(catalogue_data, "DIGEST", "0" * 64)
    monkeypatch.setattr(catalogue_data, "CATALOGUE", {})
    from sequences.experiments import EXPERIMENTS

    assert sorted(catalogue.experiment_catalogue()) == sorted(EXPERIMENTS)


def test_catalogue_lists_every_experiment_with_its_parameters():
    from sequences.experiments import EXPERIMENTS

    got = catalogue.build()
    for name, cls in EXPERIMENTS.items():
        assert [p[0] for p in got[name]["parameters"]] == [p.name for p in cls.parameters]
        assert got[name]["roles"] == list(cls.roles)
