"""Generators. Each engine registers itself; ``create_engine(name, ...)`` builds one."""

from synth.engines import aim as _aim  # noqa: F401  (registers "aim")
from synth.engines import dpsgd as _dpsgd  # noqa: F401  (registers "dpsgd")
from synth.engines import marginal as _marginal  # noqa: F401  (registers "mst")
from synth.engines.base import Engine
from synth.engines.registry import available_engines, create_engine, register_engine

__all__ = ["Engine", "available_engines", "create_engine", "register_engine"]
