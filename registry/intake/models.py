"""Model files in: one .tflite file with its card, or many, each measured and registered on
its own (models/register.py measures, checks the description shapes, and writes all or
nothing). As for device files, one file alone is refused with an error naming it, and in a
batch a refused file is a result with its error while the others go on."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import Conflict, Invalid, TinyregError, TooLarge
from .results import FileResult

if TYPE_CHECKING:
    from ..core import Registry
    from ..models.register import Registered

FORMAT = "tflite"


def add_model(registry: Registry, data: bytes, card: Mapping[str, Any],
              filename: str | None = None) -> FileResult:
    """One uploaded model file with its card; `Invalid` (or `TooLarge`) naming the file when
    it is refused."""
    from ..models.register import register_model  # the .tflite readers, only when asked
    path = filename or "-"
    with _said_of(path):
        return _registered(path, register_model(registry, data, card))


def add_model_file(registry: Registry, path: str | Path,
                   options: Mapping[str, Any] | None = None) -> FileResult:
    """One model file, with what the files beside it say (its card); `options` win."""
    with _said_of(str(path)):
        return _read_model_file(registry, path, options)


def model_files(directory: str | Path) -> list[str]:
    """The .tflite files below `directory`, in path order."""
    return sorted(str(p) for p in Path(directory).rglob("*.tflite"))


def import_model_files(registry: Registry, paths: Iterable[str],
                       options: Mapping[str, Any] | None = None,
                       progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Each file registered on its own, in order; a refused one stops nothing."""
    results = []
    for path in paths:
        try:
            result = _read_model_file(registry, path, options)
        except TinyregError as exc:
            result = FileResult(str(path), FORMAT)
            result.refuse(exc.detail, **exc.extra)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def _read_model_file(registry: Registry, path: str | Path,
                     options: Mapping[str, Any] | None) -> FileResult:
    from ..models.register import register_file
    return _registered(str(path), register_file(registry, Path(path), options or {}))


class _said_of:
    """A refusal of one file names the file, as a device file's does (devices/register.py)."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, (Invalid, TooLarge, Conflict)):  # of the file, not of the registry
            raise type(exc)(f"{self.path}: {exc.detail}", **exc.extra) from None
        return False


def _registered(path: str, registered: Registered) -> FileResult:
    return FileResult(path, FORMAT, models=[registered.iri], warnings=list(registered.warnings),
                      created=registered.created, registered=registered)
