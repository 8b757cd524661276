"""tinyreg's core: the registry of TinyML models and devices, with no web or CLI imports."""
from .core import Registry
from .errors import (Conflict, Incompatible, Invalid, NotFound, TinyregError, TooLarge,
                     Unavailable)
from .settings import SETTINGS, Settings, load_settings

__all__ = ["Conflict", "Incompatible", "Invalid", "NotFound", "Registry", "SETTINGS",
           "Settings", "TinyregError", "TooLarge", "Unavailable", "load_settings"]
