"""Model adapters for timebench: the protocol (:mod:`model_adapters.base`) and the registry.

Adapters are registered lazily (``"module:Class"`` strings) so that listing them, or importing
``timebench``, never imports torch or transformers.  Other packages add adapters through the
``timebench.adapters`` entry-point group::

    [project.entry-points."timebench.adapters"]
    my-model = "my_package.adapter:MyAdapter"
"""

from __future__ import annotations

from timebench.registry import Registry

from .base import FrameScores, Generation, ModelAdapter, Request

__all__ = ["ADAPTERS", "ModelAdapter", "Request", "Generation", "FrameScores", "get_adapter_class",
           "create_adapter"]

ADAPTERS: Registry[type[ModelAdapter]] = Registry("model adapter",
                                                  entry_point_group="timebench.adapters")


def get_adapter_class(name: str) -> type[ModelAdapter]:
    cls = ADAPTERS.get(name)
    if not (isinstance(cls, type) and issubclass(cls, ModelAdapter)):
        from timebench.errors import TimebenchError

        raise TimebenchError(f"adapter '{name}' does not resolve to a ModelAdapter subclass")
    return cls


def create_adapter(name: str, **settings) -> ModelAdapter:
    """Instantiate the adapter registered as ``name`` with keyword settings."""
    return get_adapter_class(name)(**settings)
