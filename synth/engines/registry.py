"""Engine registry: ``register_engine`` / ``create_engine`` (as Opacus does for accountants)."""

from __future__ import annotations

from typing import Any

from synth.engines.base import Engine

_ENGINES: dict[str, type[Engine]] = {}


def register_engine(cls: type[Engine]) -> type[Engine]:
    """Class decorator: make an engine available by its ``name``."""
    _ENGINES[cls.name] = cls
    return cls


def available_engines() -> list[str]:
    return sorted(_ENGINES)


def engine_class(name: str) -> type[Engine]:
    if name not in _ENGINES:
        from synth.errors import InputError

        raise InputError(f"unknown engine '{name}' (available: {', '.join(available_engines())})")
    return _ENGINES[name]


def create_engine(name: str, cardinalities: list[int], **options: Any) -> Engine:
    return engine_class(name)(cardinalities, **options)
