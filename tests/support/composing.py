"""A composition with some of its parts given by the test instead of built."""

from __future__ import annotations

from entrypoints.composition import Composition, Overrides, compose
from entrypoints.settings import Settings


def composition_with(
    settings: Settings | None = None, overrides: Overrides | None = None, **given: object
) -> Composition:
    """``compose(settings)`` with each named part (``races=...``) set before first use."""
    composition = compose(settings or Settings(), overrides)
    for name, value in given.items():
        if not hasattr(Composition, name):
            raise AttributeError(f"a composition has no {name!r}")
        setattr(composition, name, value)
    return composition
