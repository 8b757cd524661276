"""Device files in, one way for one file and for a hundred thousand.

Every file is read the same way (`devices.files.read_judged`): its format found from its
content, its devices (and the prototype's model versions) read into graphs, and those
graphs judged by the description shapes, compiled once (description_shapes.py). One file
alone (`add_devices`) is refused whole with `Invalid` or `Conflict` naming the file; in a
batch (`import_device_files`) a refused file is a result with its error, and the others go
on. A batch only changes how the work is spread: worker processes read and judge the
files, a thread writes them (devices/bulk.py).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..devices import register
from ..errors import NotFound
from .results import FileResult

if TYPE_CHECKING:
    from ..core import Registry


def add_devices(registry: Registry, data: bytes, filename: str | None = None) -> FileResult:
    """Register what one file describes (`devices.register.add_device`)."""
    return register.add_device(registry, data, filename)


def device_files(directory: str | Path) -> list[str]:
    """The device files below `directory` (devices/files.py says which), in path order."""
    root = Path(directory)
    if not root.is_dir():
        raise NotFound(f"no directory {directory}")
    return list(register.iter_paths(str(root)))


def import_device_files(registry: Registry, paths: list[str],
                        progress: Callable[[FileResult], None] | None = None,
                        workers: int | None = None) -> list[FileResult]:
    """Register every file; one result per file, in order. `workers` processes read the
    files (default: one per CPU; a small batch is read in this process)."""
    return register.import_paths(registry, paths, progress, workers)


def load_catalog(registry: Registry) -> int:
    """The bundled board catalog, judged by the description shapes like any device file."""
    return register.load_catalog(registry)
