"""Small torch helpers shared by the model adapters (torch imported lazily)."""

from __future__ import annotations


def release_accelerator_memory() -> None:
    """Return cached CUDA memory to the driver after a model is dropped (no-op without CUDA)."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
