"""The stored experiment catalogue `spinbench list` prints (sequences/catalogue.json) against
the experiment classes: the same experiments, titles, roles and parameter text. When this
fails, regenerate it: python docs/generate.py (or python -m sequences.catalogue)"""
from __future__ import annotations

from sequences import catalogue


def test_stored_catalogue_matches_the_experiment_classes():
    kept = catalogue.stored()
    assert kept is not None and kept[1] == catalogue.build(), "stale: run python docs/generate.py"
    # and current, so that `spinbench list` takes its fast path
    assert kept[0] == catalogue.source_digest(), "sources changed since: run python docs/generate.py"


def test_catalogue_is_built_from_the_classes_when_the_sources_changed(monkeypatch):
    """A source edited since the catalogue was generated: the listing comes from the classes."""
    monkeypatch.setattr(catalogue, "stored", lambda: ("0" * 64, {}))
    from sequences.experiments import EXPERIMENTS

    assert sorted(catalogue.experiment_catalogue()) == sorted(EXPERIMENTS)


def test_catalogue_lists_every_experiment_with_its_parameters():
    from sequences.experiments import EXPERIMENTS

    got = catalogue.build()
    for name, cls in EXPERIMENTS.items():
        assert [p[0] for p in got[name]["parameters"]] == [p.name for p in cls.parameters]
        assert got[name]["roles"] == list(cls.roles)
