"""Every file that comes into the registry, one way: `registry.intake`.

`tinyreg model add|import`, `tinyreg device add|import|catalog`, POST /api/models,
POST /api/devices and the dashboard's upload form all come here. A file is read the same
way whichever door it came through: the same parsing, the same description shapes, the
same `FileResult`. One file alone is refused with an error naming it; in a batch, a
refused file is a result with its error and the batch goes on (the CLI then exits 2, as
for any other bad input). Batches only change how the work is spread.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import Invalid
from .results import FileResult

if TYPE_CHECKING:
    from ..core import Registry

KINDS = ("model", "device")


class Intake:
    """The registry's one way in (`registry.intake`). The readers are imported when a
    file comes: a model's pull in the .tflite analysers, which reading answers need not."""

    def __init__(self, registry: Registry):
        self.registry = registry

    # ---- one file
    def add(self, kind: str, data: bytes, filename: str | None = None,
            card: Mapping[str, Any] | None = None) -> FileResult:
        """One uploaded file of a kind the uploader chose ("model" or "device")."""
        if kind == "model":
            return self.add_model(data, card or {}, filename)
        if kind == "device":
            return self.add_devices(data, filename)
        raise Invalid("choose whether the file is a model or a device")

    def add_model(self, data: bytes, card: Mapping[str, Any],
                  filename: str | None = None) -> FileResult:
        from .models import add_model
        return add_model(self.registry, data, card, filename)

    def add_model_file(self, path: str | Path,
                       options: Mapping[str, Any] | None = None) -> FileResult:
        from .models import add_model_file
        return add_model_file(self.registry, path, options)

    def add_devices(self, data: bytes, filename: str | None = None) -> FileResult:
        from .devices import add_devices
        return add_devices(self.registry, data, filename)

    def load_catalog(self) -> int:
        """The bundled catalog of boards (the demo data); how many boards it holds."""
        from .devices import load_catalog
        return load_catalog(self.registry)

    # ---- many files
    def model_files(self, directory: str | Path) -> list[str]:
        from .models import model_files
        return model_files(directory)

    def device_files(self, directory: str | Path) -> list[str]:
        from .devices import device_files
        return device_files(directory)

    def import_models(self, paths: list[str], options: Mapping[str, Any] | None = None,
                      progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
        from .models import import_model_files
        return import_model_files(self.registry, paths, options, progress)

    def import_devices(self, paths: list[str],
                       progress: Callable[[FileResult], None] | None = None,
                       workers: int | None = None) -> list[FileResult]:
        from .devices import import_device_files
        return import_device_files(self.registry, paths, progress, workers)


__all__ = ["FileResult", "Intake", "KINDS"]
