"""Model versions: registered from .tflite files, measured, stored by content, read back."""
from .card import ModelCard, card_from_mapping
from .register import (ARENA_BASES, FileResult, Registered, import_dir, import_files, list_models,
                       register_file, register_model, show_model, tflite_files,
                       tidy_artifacts)

__all__ = ["ARENA_BASES", "FileResult", "ModelCard", "Registered", "card_from_mapping", "import_dir",
           "import_files", "list_models", "register_file", "register_model",
           "show_model", "tflite_files", "tidy_artifacts"]
