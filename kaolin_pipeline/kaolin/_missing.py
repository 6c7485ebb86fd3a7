"""A clear error for the Kaolin names this layer does not provide."""
from __future__ import annotations

from typing import Callable, Iterable


def missing_names(module: str, provided: Iterable[str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that raises ``AttributeError`` naming the Kaolin path and what is provided.

    Usage, at the end of a mapping module: ``__getattr__ = missing_names(__name__, __all__)``.
    """
    kaolin_path = module.replace("kaolin_pipeline.kaolin", "kaolin", 1)
    available = ", ".join(sorted(provided)) or "nothing"

    def __getattr__(name: str) -> object:
        if name.startswith("__"):  # dunder probes (__path__, __file__...) must stay plain AttributeErrors
            raise AttributeError(name)
        raise AttributeError(f"{kaolin_path}.{name} is not implemented by kaolin-pipeline "
                             f"(this layer maps Kaolin's paths onto it; {kaolin_path} has: {available})")

    return __getattr__
