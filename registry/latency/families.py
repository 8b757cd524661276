"""Core families and runtime families: the two keys the cost model is calibrated by.

A core family groups cores whose MACs-per-cycle behave alike for int8 inference (same
pipeline and SIMD extension); a runtime family groups inference engines that share kernels.
Both are read from what people write: a catalog's core IRI, an MLPerf Tiny system
description's processor string, or a runtime name such as "X-CUBE-AI v9.0" or "tflite-micro"
(case, punctuation and version numbers ignored).
"""
from __future__ import annotations

import re

from ..errors import Invalid
from ..vocab import local_name

CORE_FAMILIES = {
    "cortex-m0plus": "Arm Cortex-M0/M0+",
    "cortex-m3": "Arm Cortex-M3",
    "cortex-m4": "Arm Cortex-M4/M4F",
    "cortex-m7": "Arm Cortex-M7",
    "cortex-m23": "Arm Cortex-M23",
    "cortex-m33": "Arm Cortex-M33",
    "cortex-m55": "Arm Cortex-M55 (Helium)",
    "cortex-m85": "Arm Cortex-M85 (Helium)",
    "xtensa-lx6": "Cadence Xtensa LX6",
    "xtensa-lx7": "Cadence Xtensa LX7",
    "riscv32": "RISC-V RV32",
    "riscv64": "RISC-V RV64",
    "cortex-a": "Arm Cortex-A",
}

RUNTIME_FAMILIES = {
    "tflm-reference": "TFLM with reference kernels",
    "tflm-cmsis-nn": "TFLM with optimised kernels (CMSIS-NN, ESP-NN, vendor NN libraries)",
    "x-cube-ai": "X-CUBE-AI / ST Edge AI",
    "plumerai": "Plumerai Inference Engine",
    "microtvm": "microTVM",
    "onnc": "ONNC",
    "bosch-hale": "Bosch HALE",
    "renesas": "Renesas e-AI / RUHMI",
    "litert": "LiteRT (TensorFlow Lite) on Linux",
}

# Ontology core local names -> family.
CORE_IRIS = {
    "CortexM0": "cortex-m0plus", "CortexM0Plus": "cortex-m0plus", "CortexM3": "cortex-m3",
    "CortexM4": "cortex-m4", "CortexM4F": "cortex-m4", "CortexM7": "cortex-m7",
    "CortexM23": "cortex-m23", "CortexM33": "cortex-m33", "CortexM55": "cortex-m55",
    "CortexM85": "cortex-m85", "CortexA53": "cortex-a", "CortexA72": "cortex-a",
    "CortexA76": "cortex-a", "XtensaLX6": "xtensa-lx6", "XtensaLX7": "xtensa-lx7",
    "RISCV32": "riscv32", "HazardRISCV": "riscv32",
}

# Processor strings as system descriptions write them ("32-bit Arm® Cortex®-M4 (DSP + FPU)",
# "RV32IMAC with FPU", "AndesCore D45 ... RV32 IMACP"); first match wins.
_CORE_PATTERNS = [
    (r"cortexm0\+|cortexm0plus|cortexm0(?!\d)", "cortex-m0plus"),
    (r"cortexm3(?!\d)", "cortex-m3"),
    (r"cortexm4", "cortex-m4"),
    (r"cortexm7", "cortex-m7"),
    (r"cortexm23", "cortex-m23"),
    (r"cortexm33", "cortex-m33"),
    (r"cortexm55", "cortex-m55"),
    (r"cortexm85", "cortex-m85"),
    (r"cortexa\d", "cortex-a"),
    (r"lx6", "xtensa-lx6"),
    (r"lx7", "xtensa-lx7"),
    (r"rv64|riscv64", "riscv64"),
    (r"rv32|riscv32|riscv", "riscv32"),
]


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-®™,.()/]", "", text.lower())


def core_family_of_iri(iri) -> str | None:
    return CORE_IRIS.get(local_name(iri)) if iri else None


def core_family_of_text(text: str) -> str | None:
    key = _squash(text)
    for pattern, family in _CORE_PATTERNS:
        if re.search(pattern, key):
            return family
    return None


# Runtime names people write -> family; checked in order on the squashed name, so the more
# specific spellings (TFLM with CMSIS-NN) come before the general ones (TFLM).
_RUNTIME_PATTERNS = [
    (r"xcubeai|stm32cubeai|cubeai|stedgeai|edgeai", "x-cube-ai"),
    (r"plumerai", "plumerai"),
    (r"microtvm|(?<!lite)tvm", "microtvm"),
    (r"onnc", "onnc"),
    (r"hale|bosch", "bosch-hale"),
    (r"renesas|eai|ruhmi", "renesas"),
    (r"(tflm|tflitemicro|tensorflowlitemicro|tensorflowliteformicro|tflmicro)"
     r".*(ref|reference)", "tflm-reference"),
    (r"(tflm|tflitemicro|tensorflowlitemicro|tensorflowliteformicro|tflmicro)"
     r".*(cmsis|espnn|andes|nnlib|optimi)", "tflm-cmsis-nn"),
    (r"cmsisnn|espnn", "tflm-cmsis-nn"),
    (r"tflm|tflitemicro|tensorflowlitemicro|tensorflowliteformicro|tflmicro",
     "tflm"),
    (r"litert|tflite|tensorflowlite|tfliteruntime", "litert"),
]

# "tflm" without saying which kernels: TFLM builds for a core with optimised kernels
# (CMSIS-NN on Arm cores with the DSP extension or Helium, ESP-NN on Espressif's Xtensa
# cores) use them by default; other cores run the reference kernels.
_OPTIMISED_TFLM_CORES = {"cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-m85",
                         "xtensa-lx6", "xtensa-lx7"}


def parse_runtime(name: str) -> str:
    """The runtime family a name means, or "tflm" when it names TFLM without its kernels.

    Raises Invalid for a name no family matches."""
    if not name or not name.strip():
        raise Invalid("empty runtime name")
    key = re.sub(r"v?\d+(\.\d+)*", "", _squash(name))  # versions do not change the family
    for family in RUNTIME_FAMILIES:  # the family's own key, as `estimate --runtime` shows it
        if key == family.replace("-", ""):
            return family
    for pattern, family in _RUNTIME_PATTERNS:
        if re.search(pattern, key):
            return family
    raise Invalid(f"unknown runtime {name!r}; known: {', '.join(RUNTIME_FAMILIES)} "
                  "(or names such as 'X-CUBE-AI v9.0', 'tflite-micro', 'TFLM')")


def tflm_kernels(core_family: str | None) -> str:
    return "tflm-cmsis-nn" if core_family in _OPTIMISED_TFLM_CORES else "tflm-reference"


def runtime_family(name: str, core_family: str | None) -> str:
    family = parse_runtime(name)
    return tflm_kernels(core_family) if family == "tflm" else family
