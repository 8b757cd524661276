"""The demo data: the bundled board catalog and a set of models made for it.

The models are written by `tflite.writer` (no TensorFlow, no download) and measured like any
other submission, so the demo shows real TFLM arenas, a model TFLM refuses but LiteRT runs,
and metrics to rank models by. The sine model that ships inside the tflite-micro wheel is
added as a real-world file when the package is installed.
"""
from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from typing import Callable, Iterator

from .core import Registry
from .devices.register import load_catalog
from .models import register_model
from .tflite import writer


@dataclass(frozen=True)
class DemoModel:
    card: dict
    build: Callable[[], bytes]


def _metrics(dataset: str, *values: tuple[str, float, str | None]) -> list[dict]:
    return [{"metric": m, "value": v, "dataset": dataset, "slice": s} for m, v, s in values]


DEMO_MODELS: tuple[DemoModel, ...] = (
    DemoModel({"name": "KWS micro", "task": "keyword-spotting", "sensors": ["microphone"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "metrics": _metrics("Speech Commands v2", ("accuracy", 0.902, None),
                                   ("accuracy", 0.861, "noise=cafe"))},
              lambda: writer.conv2d(size=32, channels=1, filters=16)),
    DemoModel({"name": "KWS wide", "task": "keyword-spotting", "sensors": ["microphone"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "metrics": _metrics("Speech Commands v2", ("accuracy", 0.934, None))},
              lambda: writer.vision(size=48, channels=1, stem=8,
                                    blocks=((16, 1), (32, 2), (64, 2), (64, 1)), classes=12)),
    DemoModel({"name": "Person detection 96", "task": "visual-wake-words", "sensors": ["camera"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "metrics": _metrics("Wake Vision", ("accuracy", 0.85, None),
                                   ("accuracy", 0.79, "lighting=dim"))},
              lambda: writer.vision(size=96, classes=2)),
    DemoModel({"name": "Magic wand", "task": "gesture", "sensors": ["accelerometer"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "metrics": _metrics("wand gestures", ("accuracy", 0.93, None))},
              lambda: writer.fully_connected(inputs=384, units=4)),
    DemoModel({"name": "Vibration anomaly", "task": "anomaly-detection", "sensors": ["accelerometer"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "metrics": _metrics("pump vibration", ("auc", 0.88, None))},
              lambda: writer.fully_connected(inputs=128, units=128, dtype="float32")),
    DemoModel({"name": "Hybrid KWS", "task": "keyword-spotting", "sensors": ["microphone"],
               "license": "Apache-2.0", "creator": "tinyreg demo",
               "description": "Hybrid quantization: TFLM refuses it, LiteRT runs it.",
               "metrics": _metrics("Speech Commands v2", ("accuracy", 0.915, None))},
              lambda: writer.hybrid_fully_connected(inputs=490, units=12)),
)


def _sine_model() -> bytes | None:
    try:
        ref = importlib.resources.files("tflite_micro").joinpath(
            "python/tflite_micro/sine_float.tflite")
        return ref.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def demo_models() -> Iterator[tuple[dict, bytes]]:
    for model in DEMO_MODELS:
        yield model.card, model.build()
    sine = _sine_model()
    if sine is not None:
        yield {"name": "Sine (TFLM example)", "task": "regression", "license": "Apache-2.0",
               "creator": "TensorFlow Lite Micro authors",
               "description": "The hello-world model that ships in the tflite-micro wheel."}, sine


def load_demo(registry: Registry, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load the catalog and the demo models; running it again changes nothing."""
    devices = load_catalog(registry)
    created = 0
    for card, data in demo_models():
        if progress:
            progress(card["name"])
        created += register_model(registry, data, card).created
    return {"devices": devices, "models": created}
