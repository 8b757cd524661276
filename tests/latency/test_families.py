"""Runtime and core names as people and MLPerf system descriptions write them."""
from __future__ import annotations

import pytest

from tinyreg.registry.errors import Invalid
from tinyreg.registry.latency.families import (core_family_of_iri, core_family_of_text,
                                               parse_runtime, runtime_family)
from tinyreg.registry.vocab import TR


@pytest.mark.parametrize("name, family", [
    ("X-CUBE-AI v9.0", "x-cube-ai"), ("x-cube-ai", "x-cube-ai"), ("STM32Cube.AI 7.3", "x-cube-ai"),
    ("ST Edge AI", "x-cube-ai"), ("tflite-micro", "tflm"), ("TFLM", "tflm"),
    ("TensorFlow Lite for Microcontrollers v2.3.1", "tflm"), ("TensorFlow Lite for micro", "tflm"),
    ("TFLM with CMSIS-NN", "tflm-cmsis-nn"), ("ESP-NN", "tflm-cmsis-nn"),
    ("tflm-reference", "tflm-reference"), ("TFLM reference kernels", "tflm-reference"),
    ("microTVM", "microtvm"), ("Plumerai Inference Engine 2023.05", "plumerai"),
    ("LiteRT", "litert"), ("tflite-runtime 2.14", "litert"), ("ONNC", "onnc"),
    ("Bosch Hardware-Aware Lowering Engine (HALE) version 1.0", "bosch-hale"),
])
def test_runtime_names(name, family):
    assert parse_runtime(name) == family


@pytest.mark.parametrize("name", ["", "  ", "foo", "pytorch"])
def test_unknown_runtime_is_refused_with_the_known_ones(name):
    with pytest.raises(Invalid, match="runtime"):
        parse_runtime(name)


def test_bare_tflm_means_the_kernels_the_core_builds_with():
    assert runtime_family("TFLM", "cortex-m4") == "tflm-cmsis-nn"
    assert runtime_family("tflite-micro", "xtensa-lx7") == "tflm-cmsis-nn"
    assert runtime_family("TFLM", "cortex-m0plus") == "tflm-reference"
    assert runtime_family("TFLM", None) == "tflm-reference"
    assert runtime_family("X-CUBE-AI", "cortex-m0plus") == "x-cube-ai"


@pytest.mark.parametrize("text, family", [
    ("32-bit Arm® Cortex®-M4 (DSP + FPU)", "cortex-m4"), ("ARM Cortex-M7 with FPU", "cortex-m7"),
    ("Arm Cortex-M33 32-bit RISC core", "cortex-m33"), ("32-bit Arm® Cortex®-M0+", "cortex-m0plus"),
    ("RV32IMAC with FPU", "riscv32"), ("AndesCore™ NX27V, 5-stage, single-issue, RV64 IMACV", "riscv64"),
    ("Cadence Xtensa LX7", "xtensa-lx7"), ("Arm Cortex-A72", "cortex-a"), ("Renesas RXv2", None),
])
def test_core_families_from_system_descriptions(text, family):
    assert core_family_of_text(text) == family


def test_core_families_from_the_ontology():
    assert core_family_of_iri(TR.CortexM4F) == core_family_of_iri(TR.CortexM4) == "cortex-m4"
    assert core_family_of_iri(TR.HazardRISCV) == "riscv32"
    assert core_family_of_iri(None) is None
