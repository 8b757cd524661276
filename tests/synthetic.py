"""Synthetic models for the tests: written by `tflite.writer` (no TensorFlow, no download),
each made to show one case (real TFLM arenas, a model TFLM refuses but LiteRT runs, a camera
model, metrics to rank by). Their metrics are made up for the tests: they are never shown as
a real model's (the demo loads real models, registry/demo.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from tinyreg.registry import Registry
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer


@dataclass(frozen=True)
class SyntheticModel:
    card: dict
    build: Callable[[], bytes]


def _metrics(dataset: str, *values: tuple[str, float, str | None]) -> list[dict]:
    return [{"metric": m, "value": v, "dataset": dataset, "slice": s} for m, v, s in values]


SYNTHETIC_MODELS: tuple[SyntheticModel, ...] = (
    SyntheticModel({"name": "KWS micro", "task": "keyword-spotting", "sensors": ["microphone"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "metrics": _metrics("Speech Commands v2", ("accuracy", 0.902, None),
                                   ("accuracy", 0.861, "noise=cafe"))},
              lambda: writer.conv2d(size=32, channels=1, filters=16)),
    SyntheticModel({"name": "KWS wide", "task": "keyword-spotting", "sensors": ["microphone"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "metrics": _metrics("Speech Commands v2", ("accuracy", 0.934, None))},
              lambda: writer.vision(size=48, channels=1, stem=8,
                                    blocks=((16, 1), (32, 2), (64, 2), (64, 1)), classes=12)),
    SyntheticModel({"name": "Person detection 96", "task": "visual-wake-words", "sensors": ["camera"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "metrics": _metrics("Wake Vision", ("accuracy", 0.85, None),
                                   ("accuracy", 0.79, "lighting=dim"))},
              lambda: writer.vision(size=96, classes=2)),
    SyntheticModel({"name": "Magic wand", "task": "gesture", "sensors": ["accelerometer"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "metrics": _metrics("wand gestures", ("accuracy", 0.93, None))},
              lambda: writer.fully_connected(inputs=384, units=4)),
    SyntheticModel({"name": "Vibration anomaly", "task": "anomaly-detection", "sensors": ["accelerometer"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "metrics": _metrics("pump vibration", ("auc", 0.88, None))},
              lambda: writer.fully_connected(inputs=128, units=128, dtype="float32")),
    SyntheticModel({"name": "Hybrid KWS", "task": "keyword-spotting", "sensors": ["microphone"],
                    "license": "Apache-2.0", "creator": "tinyreg tests",
                    "description": "Hybrid quantization: TFLM refuses it, LiteRT runs it.",
                    "metrics": _metrics("Speech Commands v2", ("accuracy", 0.915, None))},
              lambda: writer.hybrid_fully_connected(inputs=490, units=12)),
)


def synthetic_models() -> Iterator[tuple[dict, bytes]]:
    for model in SYNTHETIC_MODELS:
        yield model.card, model.build()


def load_synthetic(registry: Registry) -> int:
    """Register the synthetic models; how many versions were new."""
    return sum(register_model(registry, data, card).created for card, data in synthetic_models())
