"""What the intake says about each file it was given: one type for models and devices."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import one_line


class _Empty(list):
    """An empty list no one can add to: one shared by many results (FileResult.written)."""

    def _refused(self, *args, **kwargs):
        raise TypeError("a written file's result is not added to")

    append = extend = insert = __setitem__ = __iadd__ = __imul__ = _refused


_NONE = _Empty()
_NO_DETAILS = MappingProxyType({})


@dataclass(slots=True)
class FileResult:
    """One file: what it was read as, what it registered, what was noticed, or why it was
    refused (`error`; then nothing of it is registered)."""
    path: str
    format: str | None = None  # wot-td, platformio, zephyr, turtle, catalog, tflite
    devices: list[str] = field(default_factory=list)  # device IRIs
    sources: list[str] = field(default_factory=list)  # each device's owl:sameAs (identity.py)
    models: list[str] = field(default_factory=list)  # model version IRIs
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # what a refusal carries (SHACL results)
    created: bool = True  # False: a model file whose bytes were that version already
    registered: Any = None  # a model file's measurement and number (models.register.Registered)

    @property
    def ok(self) -> bool:
        return self.error is None

    def written(self) -> None:
        """Once a batch of many files has written this one: its empty lists and details
        become one shared empty each, and its sources go (only placing its devices asks
        them). A result is read after that, never added to; 300,000 of them held 210 MB."""
        self.sources = _NONE
        self.models = self.models or _NONE
        self.warnings = self.warnings or _NONE
        self.details = self.details or _NO_DETAILS

    def refuse(self, reason: str, **details: Any) -> None:
        """The file is refused for `reason` (one line): nothing of it is registered."""
        self.error = one_line(reason)
        self.details = details
        self.devices, self.sources, self.models = [], [], []
        self.registered = None
