"""Model versions: registered from .tflite files, measured, stored by content, read back.

Files come in through `registry.intake` (registry/intake/); lists and pages read them back
through `registry.models` (registry/front/models.py)."""
from .card import ModelCard, card_from_mapping
from .register import (ARENA_BASES, Registered, list_models, register_file, register_model,
                       show_model, tidy_artifacts)

__all__ = ["ARENA_BASES", "ModelCard", "Registered", "card_from_mapping", "list_models",
           "register_file", "register_model", "show_model", "tidy_artifacts"]
