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

# Weight-free baselines (docs/BASELINES.md).
ADAPTERS.register("oracle", "model_adapters.baselines:OracleAdapter")
ADAPTERS.register("random", "model_adapters.baselines:RandomAdapter")
ADAPTERS.register("noop", "model_adapters.baselines:NoopAdapter")
ADAPTERS.register("energy", "model_adapters.energy:EnergyAdapter")
ADAPTERS.register("vad", "model_adapters.vad:VadAdapter", aliases=("silero_vad",))
ADAPTERS.register("replay", "model_adapters.replay:ReplayAdapter")

# Models behind an OpenAI-compatible server (vLLM, ...): docs/SERVING.md.
ADAPTERS.register("openai", "model_adapters.openai_server:OpenAIChatAdapter")

# Local checkpoints (docs/TIMEAUDIO.md).
ADAPTERS.register("timeaudio", "model_adapters.timeaudio.adapter:TimeAudioAdapter")

# transformers audio-language models (docs/MODELS.md).
ADAPTERS.register("qwen2-audio", "model_adapters.qwen_audio:Qwen2AudioAdapter")
ADAPTERS.register("qwen2.5-omni", "model_adapters.qwen_omni:QwenOmniAdapter", aliases=("qwen-omni",))
ADAPTERS.register("audio-flamingo-3", "model_adapters.audio_flamingo:AudioFlamingo3Adapter", aliases=("af3",))
ADAPTERS.register("spotsound", "model_adapters.audio_flamingo:SpotSoundAdapter")
ADAPTERS.register("salmonn", "model_adapters.salmonn:SalmonnAdapter", aliases=("salmonn-7b",))


def get_adapter_class(name: str) -> type[ModelAdapter]:
    """The adapter class registered as ``name``, or ``"package.module:Class"`` imported directly."""
    if name not in ADAPTERS and ":" in name:
        import os
        import sys

        from timebench.errors import TimebenchError
        from timebench.registry import import_target

        if os.getcwd() not in sys.path:  # like `python -m`: the user's own module in the cwd
            sys.path.append(os.getcwd())
        try:
            cls = import_target(name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise TimebenchError(f"cannot import adapter '{name}': {exc}") from None
    else:
        cls = ADAPTERS.get(name)
    if not (isinstance(cls, type) and issubclass(cls, ModelAdapter)):
        from timebench.errors import TimebenchError

        raise TimebenchError(f"adapter '{name}' does not resolve to a ModelAdapter subclass")
    return cls


def create_adapter(name: str, **settings) -> ModelAdapter:
    """Instantiate the adapter registered as ``name`` with keyword settings."""
    return get_adapter_class(name)(**settings)
