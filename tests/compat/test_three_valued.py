"""Facts kept three-valued: what a device or a model does not state is unknown, never "no".

Each case is checked by both checkers (the fleet engine and pySHACL): the answers runs and
fits (True, False or None for unknown), and the results that say why.
"""
from __future__ import annotations

import numpy as np
import pytest
import rdflib

from tinyreg.registry import compat
from tinyreg.registry.compat.results import UNKNOWN, WARNING
from tinyreg.registry.devices.cores import processor
from tinyreg.registry.vocab import TR

PREFIXES = """@prefix tr: <https://w3id.org/tinyreg/ontology#> .
@prefix schema: <https://schema.org/> .
"""
ID = "https://w3id.org/tinyreg/id/"
INT8 = f"{ID}model/int8/v1"
FLOAT = f"{ID}model/float/v1"
CAMERA = f"{ID}model/camera/v1"
NO_ARENA = f"{ID}model/no-arena/v1"
BIG = f"{ID}model/big/v1"
USES = "tr:usesOperator [ tr:operator <https://w3id.org/tinyreg/op/CONV_2D> ]"


def _nt(turtle: str) -> str:
    return rdflib.Graph().parse(format="turtle", data=PREFIXES + turtle).serialize(format="nt")


def _device(name: str, memory: str = "tr:usableRamBytes 262144 ; tr:usableFlashBytes 1048576 ;",
            processor_facts: str = "tr:hasFPU true", extra: str = "") -> tuple[str, str]:
    iri = f"{ID}device/{name}"
    return iri, _nt(f"""<{iri}> a tr:MicrocontrollerBoard ; {memory}
        tr:hasProcessor [ a tr:Microcontroller ; {processor_facts} ] ;
        tr:hasRuntime [ a tr:RuntimeInstall ; tr:runtime tr:TFLM ] {extra} .""")


@pytest.fixture
def pairs(registry):
    graphs = dict([
        _device("fpu-yes"),
        _device("fpu-no", processor_facts="tr:hasFPU false"),
        _device("fpu-unstated", processor_facts="tr:core tr:CortexM33"),
        _device("no-memory", memory=""),
        _device("total-only", memory="tr:totalRamBytes 532480 ; tr:usableFlashBytes 1048576 ;"),
        _device("psram", extra="""; tr:memoryRegion [ a tr:MemoryRegion ; schema:name "PSRAM" ;
            tr:regionKind tr:PSRAM ; tr:regionBytes 8388608 ; tr:takesArena true ]"""),
        _device("psram-not-for-arenas", extra="""; tr:memoryRegion [ a tr:MemoryRegion ;
            schema:name "PSRAM" ; tr:regionBytes 8388608 ; tr:takesArena false ]"""),
        _device("cortex-m3", processor_facts="tr:core tr:CortexM3 ; tr:hasFPU false"),
    ])
    graphs[INT8] = _nt(f"<{INT8}> a tr:ModelVersion ; tr:arenaBytes 100000 ; tr:modelFlashBytes 200000 ; "
                       f"tr:numberFormat tr:Int8 ; {USES} .")
    graphs[FLOAT] = _nt(f"<{FLOAT}> a tr:ModelVersion ; tr:arenaBytes 100000 ; tr:modelFlashBytes 200000 ; "
                        f"tr:numberFormat tr:Float32 ; {USES} .")
    graphs[CAMERA] = _nt(f"<{CAMERA}> a tr:ModelVersion ; tr:arenaBytes 100000 ; tr:modelFlashBytes 200000 ; "
                         f"tr:requiresSensor tr:Camera ; {USES} .")
    graphs[NO_ARENA] = _nt(f"<{NO_ARENA}> a tr:ModelVersion ; tr:modelFlashBytes 200000 ; {USES} .")
    graphs[BIG] = _nt(f"<{BIG}> a tr:ModelVersion ; tr:arenaBytes 600000 ; tr:modelFlashBytes 200000 ; {USES} .")
    registry.store.put_graphs(graphs)
    return registry


def _both(registry, model: str, device: str):
    iri = f"{ID}device/{device}"
    ours, theirs = compat.check(registry, model, iri), compat.check_shacl(registry, model, iri)
    key = [(r.severity, r.constraint, r.message) for r in ours.results]
    assert key == [(r.severity, r.constraint, r.message) for r in theirs.results]
    assert (ours.runs, ours.fits) == (theirs.runs, theirs.fits)
    return ours


def _shape(result) -> str:
    return result.constraint.rsplit("#", 1)[1]


def test_a_stated_fpu_decides_and_an_unstated_one_is_unknown_never_absent(pairs):
    assert _both(pairs, FLOAT, "fpu-yes").warnings == []
    [no] = _both(pairs, FLOAT, "fpu-no").warnings
    assert _shape(no) == "FloatNeedsFPU" and "without an FPU" in no.message
    unstated = _both(pairs, FLOAT, "fpu-unstated")
    [warning] = unstated.warnings
    assert _shape(warning) == "FloatFPUUnknown" and warning.severity == WARNING
    assert warning.message.startswith("unknown: whether the core has an FPU")
    assert all("without an FPU" not in r.message for r in unstated.results)
    # float32 runs in software without an FPU: the FPU does not decide whether it runs
    assert (unstated.runs, unstated.fits) == (True, True)


def test_a_core_whose_fpu_is_optional_or_unknown_states_no_fpu():
    # Cortex-M33's FPU is optional: from the core alone it is unknown, not absent
    assert processor(cpu="cortex-m33").fpu is None
    assert processor(mcu="XYZ1234").core is None and processor(mcu="XYZ1234").fpu is None
    assert processor(mcu="STM32U585AI").fpu is True  # the part family says
    assert processor(cpu="cortex-m0plus").fpu is False  # the core says
    # families the patterns missed: their Cortex-M33 has an FPU and DSP instructions
    for part in ("EFR32MG24B310F1536IM48", "EFR32BG24", "STM32U385RG", "R7FA6M4AF3CFB"):
        found = processor(mcu=part)
        assert (found.core, found.fpu, found.dsp) == (TR.CortexM33, True, True), part


def test_a_device_without_memory_figures_is_unknown_not_refused(pairs):
    verdict = _both(pairs, INT8, "no-memory")
    assert (verdict.runs, verdict.fits) == (None, None)
    assert verdict.violations == []
    assert [r.message for r in verdict.unknowns] == [
        "unknown: flash. The device states no flash figure", "unknown: RAM. The device states no RAM figure"]
    assert verdict.as_dict()["unknown"] == [r.message for r in verdict.unknowns]


def test_a_total_without_a_usable_figure_is_unknown_unless_the_need_exceeds_the_total(pairs):
    fits_total = _both(pairs, INT8, "total-only")
    assert (fits_total.runs, fits_total.fits) == (None, None)
    [unknown] = fits_total.unknowns
    assert _shape(unknown) == "RamUsableUnknown" and unknown.severity == UNKNOWN
    assert unknown.message.startswith("unknown: usable RAM. The device states 532,480 B of RAM in all")
    assert fits_total.headroom["RAM"]["capacity_kind"] == "total"
    too_big = _both(pairs, BIG, "total-only")
    assert (too_big.runs, too_big.fits) == (False, False)
    [short] = too_big.violations
    assert "(532,480 B total; no usable figure stated less 0 B reserved)" in short.message


def test_a_model_without_a_ram_figure_is_unknown(pairs):
    verdict = _both(pairs, NO_ARENA, "fpu-yes")
    assert (verdict.runs, verdict.fits) == (None, None)
    assert [_shape(r) for r in verdict.unknowns] == ["ModelRamKnown"]
    assert "RAM" not in verdict.headroom and "flash" in verdict.headroom


def test_runs_without_the_sensor_is_runs_and_not_fits_with_the_sensor_named(pairs):
    verdict = _both(pairs, CAMERA, "fpu-yes")
    assert (verdict.runs, verdict.fits) == (True, False)
    [missing] = verdict.violations
    assert _shape(missing) == "SensorsPresent" and missing.message.startswith("no camera on the device")
    # an unknown fact and a missing sensor: runs unknown, fits no
    verdict = _both(pairs, CAMERA, "no-memory")
    assert (verdict.runs, verdict.fits) == (None, False)


def test_an_arena_goes_in_external_memory_only_where_the_device_says_the_runtime_can_use_it(pairs):
    verdict = _both(pairs, BIG, "psram")
    assert (verdict.runs, verdict.fits) == (True, True)
    [placed] = verdict.warnings
    assert _shape(placed) == "RamInRegion" and "it goes in PSRAM (8,388,608 B)" in placed.message
    refused = _both(pairs, BIG, "psram-not-for-arenas")
    assert refused.runs is False and [_shape(r) for r in refused.violations] == ["RamFit"]


def test_the_runtime_cost_comes_from_the_table_row_for_the_device_core(pairs):
    m3 = _both(pairs, INT8, "cortex-m3").headroom["flash"]["items"][1]
    assert m3 == {"what": "TensorFlow Lite Micro on Arm Cortex-M3 (TFLM overview, "
                          "tensorflow.org/lite/microcontrollers)", "bytes": 22528}
    # that row states no RAM figure: RAM comes from the any-core row
    ram = _both(pairs, INT8, "cortex-m3").headroom["RAM"]["items"][1]
    assert ram["bytes"] == 4096 and ram["what"].startswith("TensorFlow Lite Micro (Warden")


def test_unknown_pairs_are_listed_as_unknown_in_the_matrix(pairs):
    matrix = compat.matrix(pairs)
    row = matrix.models.index(INT8)
    devices = [d.rsplit("/", 1)[1] for d in matrix.devices]
    unknown = {devices[j] for j in np.flatnonzero(matrix.unknown_row(row))}
    fits = {devices[j] for j in np.flatnonzero(matrix.row(row))}
    assert unknown == {"no-memory", "total-only"}
    assert fits == {"fpu-yes", "fpu-no", "fpu-unstated", "psram", "psram-not-for-arenas", "cortex-m3"}
    assert not (unknown & fits)
    assert set(np.flatnonzero(matrix.runs_row(matrix.models.index(CAMERA)))) == {
        devices.index(d) for d in fits}
