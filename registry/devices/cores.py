"""Processor cores: names as catalogs write them, and what each core implies.

FPU, DSP and Helium are facts of the silicon, so they are derived here once instead of being
guessed per format: from the core (a Cortex-M7 always pairs DSP with its FPU in shipped
parts), from an "f" variant or a hard-float build flag, or from the part family where the
core alone leaves them optional (Cortex-M33, Cortex-M4 without FPU in some nRF52 parts).
A fact that is not known stays unstated rather than false.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rdflib import URIRef

from ..vocab import TR, local_name
from .facts import Processor


@dataclass(frozen=True)
class CoreTraits:
    core: URIRef
    fpu: bool | None
    dsp: bool | None
    helium: bool | None = False
    application: bool = False


# Core name (lowercase, punctuation removed) -> traits. None: optional in that core.
_CORES = {
    "cortexm0": CoreTraits(TR.CortexM0, False, False),
    "cortexm0plus": CoreTraits(TR.CortexM0Plus, False, False),
    "cortexm3": CoreTraits(TR.CortexM3, False, False),
    "cortexm4": CoreTraits(TR.CortexM4, False, True),
    "cortexm4f": CoreTraits(TR.CortexM4F, True, True),
    "cortexm7": CoreTraits(TR.CortexM7, True, True),
    "cortexm23": CoreTraits(TR.CortexM23, False, False),
    "cortexm33": CoreTraits(TR.CortexM33, None, None),
    "cortexm55": CoreTraits(TR.CortexM55, True, True, True),
    "cortexm85": CoreTraits(TR.CortexM85, True, True, True),
    "cortexa53": CoreTraits(TR.CortexA53, True, True, False, True),
    "cortexa72": CoreTraits(TR.CortexA72, True, True, False, True),
    "cortexa76": CoreTraits(TR.CortexA76, True, True, False, True),
    "xtensalx6": CoreTraits(TR.XtensaLX6, True, None),
    "xtensalx7": CoreTraits(TR.XtensaLX7, True, True),
    "riscv32": CoreTraits(TR.RISCV32, None, None),
    "hazard3": CoreTraits(TR.HazardRISCV, False, False),
}
_SPELLINGS = {"cortexm0+": "cortexm0plus", "m0plus": "cortexm0plus", "m0+": "cortexm0plus",
              "lx6": "xtensalx6", "lx7": "xtensalx7", "riscv": "riscv32", "rv32": "riscv32",
              "hazardriscv": "hazard3"}
# The ontology's own local names ("CortexM4F") read the same way.
_SPELLINGS.update({local_name(t.core).lower(): key for key, t in _CORES.items()})

# Part families -> (core key, FPU, DSP, cores); first match wins, so narrower patterns first.
_FAMILIES = [
    (r"nrf52(832|833|840)", "cortexm4f", True, True, 1),
    (r"nrf52(805|810|811|820)", "cortexm4", False, True, 1),
    (r"nrf5340|nrf91|nrf54l", "cortexm33", True, True, 1),
    (r"nrf51", "cortexm0", False, False, 1),
    (r"stm32f0", "cortexm0", False, False, 1),
    (r"stm32(g0|l0|c0)", "cortexm0plus", False, False, 1),
    (r"stm32(f1|f2|l1)", "cortexm3", False, False, 1),
    (r"stm32wl", "cortexm4", False, True, 1),
    (r"stm32(f3|f4|g4|l4|wb)", "cortexm4f", True, True, 1),
    (r"stm32(f7|h7)", "cortexm7", True, True, 1),
    (r"stm32(l5|u5|u3|h5)", "cortexm33", True, True, 1),
    (r"rp2040", "cortexm0plus", False, False, 2),
    (r"rp2350", "cortexm33", True, True, 2),
    (r"esp32s3", "xtensalx7", True, True, 2),
    (r"esp32s2", "xtensalx7", False, None, 1),
    (r"esp32c[236]", "riscv32", False, False, 1),
    (r"esp32", "xtensalx6", True, None, 2),
    (r"mimxrt10\d\d|imxrt10\d\d", "cortexm7", True, True, 1),
    (r"atsamd51|samd51|same5[134]", "cortexm4f", True, True, 1),
    (r"atsamd21|samd21", "cortexm0plus", False, False, 1),
    (r"apollo[34]|ama3b", "cortexm4f", True, True, 1),
    (r"cc(13|26)[15]2", "cortexm4f", True, True, 1),
    # EFR32MG24, EFR32BG24, EFR32FG28: two letters of family, then the series and config.
    (r"efr32[a-z]{2}2[4-9]|xg2[4-9]", "cortexm33", True, True, 1),
    (r"r7fa6m4|ra6m4|r7fa6m5|ra6m5", "cortexm33", True, True, 1),
    (r"lpc55s", "cortexm33", True, True, 1),
    (r"mk64f|k64f", "cortexm4f", True, True, 1),
    (r"cxd5602", "cortexm4f", True, True, 6),
]
_FPU_FLAG = re.compile(r"-mfloat-abi=(hard|softfp)|-mfpu=(?!none)|__FPU_PRESENT=1")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lower())


def core_traits(name: str) -> CoreTraits | None:
    """Traits of a core named like "cortex-m4", "Cortex-M0+", "CortexM33", "lx7"; None if unknown."""
    key = _key(name)
    key = _SPELLINGS.get(key, key)
    return _CORES.get(key)


def processor(mcu: str | None = None, cpu: str | None = None, clock_hz: int | None = None,
              flags: str = "") -> Processor:
    """A processor from what a catalog says: part number, core name, clock and build flags."""
    family = _family(mcu)
    traits = core_traits(cpu) if cpu else None
    core_count = None
    if family is not None:
        key, fpu, dsp, core_count = family
        family_traits = _CORES[key]
        # A family is more specific than a bare "cortex-m4", unless the two disagree on the core.
        if traits is None or traits.core in (family_traits.core, TR.CortexM4, TR.CortexM4F):
            traits = CoreTraits(family_traits.core, fpu, dsp, family_traits.helium,
                                family_traits.application)
    if traits is None:
        return Processor(mcu=mcu, clock_hz=clock_hz)
    fpu = traits.fpu
    core = traits.core
    if _FPU_FLAG.search(flags or ""):
        fpu = True
        if core == TR.CortexM4:
            core = TR.CortexM4F
    return Processor(mcu=mcu, core=core, clock_hz=clock_hz, fpu=fpu, dsp=traits.dsp,
                     helium=traits.helium, core_count=core_count,
                     application=traits.application)


_COMPILED_FAMILIES = [(re.compile(pattern), *rest) for pattern, *rest in _FAMILIES]


@lru_cache(maxsize=4096)  # a fleet names a few hundred parts
def _family(mcu: str | None):
    if not mcu:
        return None
    key = _key(mcu)
    for pattern, core_key, fpu, dsp, count in _COMPILED_FAMILIES:
        if pattern.match(key):
            return core_key, fpu, dsp, count
    return None
