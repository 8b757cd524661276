"""A model on an Arm Ethos-U NPU, as Arm's own compiler Vela (the `ethos-u-vela` package) sees it.

TFLM runs an Ethos-U model as one custom operator (the NPU's command stream) plus whatever
Vela left to the CPU. What the device needs then is what Vela reports for the NPU's
configuration: the SRAM it plans for the feature maps, the flash it writes the weights and
command stream to, how many operators it placed on the NPU, and its cycle estimate. The
configuration is the device's: the NPU (U55, U65, U85), its MACs per cycle, and the memory
mode (where the arena and the weights live). Vela runs in the sandboxed probe, like TFLM.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from ..errors import Invalid
from .sandbox import DEFAULT_MAX_MEMORY, run_probe

# MACs per cycle each NPU comes in (Vela's --accelerator-config choices), and the system
# configuration of Vela's Arm/vela.ini that stands for a typical system around it.
NPUS = {
    "EthosU55": ((32, 64, 128, 256), "Ethos_U55_High_End_Embedded"),
    "EthosU65": ((256, 512), "Ethos_U65_High_End"),
    "EthosU85": ((128, 256, 512, 1024, 2048), "Ethos_U85_SYS_DRAM_Mid"),
}
MEMORY_MODES = ("Sram_Only", "Shared_Sram", "Dedicated_Sram", "Dedicated_Sram_256KB",
                "Dedicated_Sram_384KB", "Dedicated_Sram_512KB")


@dataclass(frozen=True)
class NpuConfig:
    npu: str  # the ontology's local name: EthosU55, EthosU65, EthosU85
    macs: int  # MACs per cycle
    memory_mode: str

    def __post_init__(self):
        if self.npu not in NPUS:
            raise Invalid(f"unknown Ethos-U NPU {self.npu!r}; known: {', '.join(NPUS)}")
        if self.macs not in NPUS[self.npu][0]:
            raise Invalid(f"{self.npu} comes with {', '.join(map(str, NPUS[self.npu][0]))} MACs "
                          f"per cycle, not {self.macs}")
        if self.memory_mode not in MEMORY_MODES:
            raise Invalid(f"unknown memory mode {self.memory_mode!r}; known: "
                          f"{', '.join(MEMORY_MODES)}")

    @property
    def accelerator(self) -> str:
        return f"ethos-u{self.npu[-2:]}-{self.macs}"

    @property
    def system_config(self) -> str:
        return NPUS[self.npu][1]


@dataclass(frozen=True)
class VelaResult:
    config: NpuConfig
    compiled: bool
    reason: str | None  # why Vela did not compile it, or could not be run
    sram_bytes: int | None
    flash_bytes: int | None  # on- and off-chip flash: weights and the command stream
    npu_operators: int | None
    cpu_operators: int | None
    cycles: int | None  # Vela's estimate for one inference
    inference_s: float | None  # the cycles at the system configuration's clock
    vela_version: str

    @property
    def npu_share(self) -> float | None:
        if self.npu_operators is None:
            return None
        total = self.npu_operators + self.cpu_operators
        return self.npu_operators / total if total else 0.0


def vela_version() -> str | None:
    try:
        return version("ethos-u-vela")
    except PackageNotFoundError:
        return None


def compile_for_npu(data: bytes, config: NpuConfig, *, timeout_s: float,
                    max_memory: int = DEFAULT_MAX_MEMORY) -> VelaResult:
    """`data` must have passed `analyse`. Vela's failures are reported in the result."""
    found = vela_version()
    empty = dict(sram_bytes=None, flash_bytes=None, npu_operators=None, cpu_operators=None,
                 cycles=None, inference_s=None)
    if found is None:
        return VelaResult(config, False, "Vela (ethos-u-vela) is not installed", **empty,
                          vela_version="")
    run = run_probe("vela", data, timeout_s=timeout_s, max_memory=max_memory,
                    options=("--accelerator", config.accelerator, "--system-config",
                             config.system_config, "--memory-mode", config.memory_mode))
    out = run.output
    if out is None or out["error"]:
        reason = f"could not compile: {run.failure}" if out is None else out["error"]
        return VelaResult(config, False, reason, **empty, vela_version=found)
    return VelaResult(config, True, None, sram_bytes=out["sram_bytes"],
                      flash_bytes=out["off_chip_flash_bytes"] + out["on_chip_flash_bytes"],
                      npu_operators=out["npu_operators"], cpu_operators=out["cpu_operators"],
                      cycles=out["cycles"], inference_s=out["inference_s"], vela_version=found)
