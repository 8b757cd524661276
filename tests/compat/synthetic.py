"""Random model versions and devices in the registry's RDF contract, for tests and benchmarks.

Figures are drawn so that many pairs land exactly on a boundary: a model's arena is often
the free RAM of some device (usable RAM minus reserve minus the runtime's cost) give or take
one byte, so equality, one byte short and one byte spare all occur. Every feature a shape
looks at varies: missing figures, totals without a usable figure, reserves, runtime installs
with and without their own costs, cores with a cost of their own in the registry's table,
several runtimes or none, memory regions that take an arena or weights, sensors with
sub-systems and equivalent classes, operators a runtime lacks, failed runtime checks, NPUs,
float32 on cores without an FPU or with the FPU unstated.
Output is N-Triples text per named graph, fast enough for 100,000 devices.
"""
from __future__ import annotations

import random
from collections.abc import Iterator

TR = "https://w3id.org/tinyreg/ontology#"
OP = "https://w3id.org/tinyreg/op/"
ID = "https://w3id.org/tinyreg/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
NAME = "<https://schema.org/name>"
HAS_SUB = "<http://www.w3.org/ns/ssn/hasSubSystem>"
PROTO_MICROPHONE = "http://tinyml-schema.org/sosa_extend/Microphone"

RAMS = [32768, 65536, 131072, 262144, 524288]
FLASHES = [262144, 524288, 1048576, 2097152]
RESERVES = [0, 8192, 16384]
OWN_OVERHEADS = [0, 2048, 4096]
TFLM_RAM, TFLM_CODE, LITERT = 4096, 20480, 1048576  # as registry/runtime_costs.csv states
TFLM_CODE_M3 = 22528  # TFLM's code on a Cortex-M3, a row of its own in that table
CORES = ["CortexM4F", "CortexM3", "CortexM0Plus", "CortexM7"]
REGIONS = [65536, 262144, 8388608]
SENSORS = ["PDMMicrophone", "I2SMicrophone", "IMU", "IMU9DoF", "Accelerometer", "Camera",
           "Thermometer", "Magnetometer"]
SUBSYSTEMS = {"IMU": ["Accelerometer", "Gyroscope"],
              "IMU9DoF": ["Accelerometer", "Gyroscope", "Magnetometer"]}
NEEDS = [f"{TR}Microphone", f"{TR}Accelerometer", f"{TR}Camera", f"{TR}Magnetometer",
         f"{TR}InertialSensor", f"{TR}Gyroscope", PROTO_MICROPHONE]
OPERATORS = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE", "ADD"]
RARE_OPERATORS = ["RFFT2D", "custom/AudioSpectrogram"]  # not in TFLM's list
FORMATS = ["Int8", "Int8", "Float32", "Int16x8"]
# Cores and clocks for the latency budget: from the slowest calibrated core to an
# application processor; HazardRISCV and CortexM55 borrow a stand-in family's figures.
CORES = ["CortexM0Plus", "CortexM4F", "CortexM7", "CortexM33", "HazardRISCV", "CortexM55"]
CLOCKS = [48_000_000, 64_000_000, 120_000_000, 240_000_000, 480_000_000]
# Work by operator kind (conv, depthwise, fully connected MACs, element operations) of
# models like the MLPerf Tiny references, and budgets from streaming audio to a slow sensor.
WORKS = [(1_600_000, 900_000, 4_000, 60_000), (0, 0, 264_000, 3_000),
         (5_000_000, 2_400_000, 100_000, 400_000), (12_000_000, 400_000, 10_000, 90_000)]
BUDGETS = ["2", "20", "100", "1000", "12.5"]


def _int(value: int) -> str:
    return f'"{value}"^^<http://www.w3.org/2001/XMLSchema#integer>'


def _bool(value: bool) -> str:
    return f'"{"true" if value else "false"}"^^<http://www.w3.org/2001/XMLSchema#boolean>'


def _free_ram_figures() -> list[int]:
    """Free RAM a model may meet exactly: RAM - reserve - the runtime's overhead."""
    out = set()
    for ram in RAMS:
        for reserve in RESERVES:
            for overhead in OWN_OVERHEADS + [TFLM_RAM]:
                out.add(ram - reserve - overhead)
    return sorted(out)


def _free_flash_figures() -> list[int]:
    return sorted({f - r - c for f in FLASHES for r in RESERVES for c in (TFLM_CODE, TFLM_CODE_M3, 0, 8192)})


def device_graph(i: int, rng: random.Random) -> tuple[str, str]:
    d = f"{ID}device/syn-{i}"
    s = f"<{d}>"
    linux = rng.random() < 0.15
    kind = "LinuxDevice" if linux else "MicrocontrollerBoard"
    lines = [f"{s} {RDF_TYPE} <{TR}{kind}> .", f'{s} {NAME} "synthetic device {i}" .',
             f'{s} <https://schema.org/identifier> "syn-{i}" .',
             f'{s} <{TR}sourceFormat> "catalog" .']
    if rng.random() > 0.05:
        ram = rng.choice(RAMS) if not linux else rng.choice([512, 1024, 4096]) * 1024 * 1024
        # some state only the total (usable unknown), some both (the total larger)
        if i % 8 == 3:
            lines.append(f"{s} <{TR}totalRamBytes> {_int(ram)} .")
        else:
            lines.append(f"{s} <{TR}usableRamBytes> {_int(ram)} .")
            if i % 3 == 0:
                lines.append(f"{s} <{TR}totalRamBytes> {_int(ram + 32768)} .")
        if rng.random() < 0.5:
            lines.append(f"{s} <{TR}reservedRamBytes> {_int(rng.choice(RESERVES))} .")
    if not linux and rng.random() > 0.05:
        flash = rng.choice(FLASHES)
        lines.append(f"{s} <{TR}{'totalFlashBytes' if i % 10 == 7 else 'usableFlashBytes'}> {_int(flash)} .")
        if rng.random() < 0.5:
            lines.append(f"{s} <{TR}reservedFlashBytes> {_int(rng.choice(RESERVES))} .")
    proc = f"_:p{i}"
    lines += [f"{s} <{TR}hasProcessor> {proc} .",
              f"{proc} {RDF_TYPE} <{TR}{'ApplicationProcessor' if linux else 'Microcontroller'}> ."]
    if rng.random() < 0.9:
        lines.append(f"{proc} <{TR}hasFPU> {_bool(rng.random() < 0.6)} .")
    if i % 4 != 3:  # a core and a clock (by number: the random draws stay as they were)
        core = "CortexA53" if linux else CORES[i % len(CORES)]
        lines += [f"{proc} <{TR}core> <{TR}{core}> .",
                  f"{proc} <{TR}clockHz> {_int(CLOCKS[(i // 3) % len(CLOCKS)])} ."]
    if rng.random() < 0.1:
        lines.append(f"{proc} <{TR}hasNPU> <{TR}EthosU55> .")
    if i % 9 == 2:  # an Ethos-U55 in a stated configuration (by number: the draws stay as they were)
        lines += [f"{proc} <{TR}hasNPU> <{TR}EthosU55> .",
                  f"{proc} <{TR}npuMacs> {_int(128 if i % 2 else 256)} .",
                  f'{proc} <{TR}npuMemoryMode> "Shared_Sram" .']
    # memory regions (by number): external RAM that takes an arena, or does not; flash that
    # takes the weights; two of one size, told apart by name
    if i % 6 == 5:
        for k, (size, takes) in enumerate(((REGIONS[i % 3], True), (REGIONS[(i + 1) % 3], i % 4 == 1),
                                           (REGIONS[i % 3], True))):
            region = f"_:g{i}x{k}"
            lines += [f"{s} <{TR}memoryRegion> {region} .", f"{region} {RDF_TYPE} <{TR}MemoryRegion> .",
                      f"{region} <{TR}regionBytes> {_int(size)} .",
                      f"{region} <{TR}takesArena> {_bool(takes)} .",
                      f'{region} {NAME} "region {"ba"[k % 2]}{k}" .']
    if i % 10 == 4:
        region = f"_:h{i}"
        lines += [f"{s} <{TR}memoryRegion> {region} .", f"{region} <{TR}regionBytes> {_int(8388608)} .",
                  f"{region} <{TR}takesWeights> {_bool(True)} ."]
    for j, sensor in enumerate(rng.sample(SENSORS, rng.randint(0, 3))):
        node = f"_:s{i}x{j}"
        lines += [f"{s} <{TR}hasSensor> {node} .", f"{node} {RDF_TYPE} <{TR}{sensor}> ."]
        for k, part in enumerate(SUBSYSTEMS.get(sensor, ())):
            sub = f"_:s{i}x{j}y{k}"
            lines += [f"{node} {HAS_SUB} {sub} .", f"{sub} {RDF_TYPE} <{TR}{part}> ."]
    runtimes = ["LiteRT"] if linux else ["TFLM"]
    roll = rng.random()
    if roll < 0.05:
        runtimes = []
    elif roll < 0.12:
        runtimes = ["TFLM", "LiteRT"]
    if i % 7 == 4 and not linux:
        runtimes = runtimes + ["XCubeAI"]
    for k, runtime in enumerate(runtimes):
        node = f"_:r{i}x{k}"
        lines += [f"{s} <{TR}hasRuntime> {node} .", f"{node} {RDF_TYPE} <{TR}RuntimeInstall> .",
                  f"{node} <{TR}runtime> <{TR}{runtime}> ."]
        if rng.random() < 0.3:
            lines.append(f"{node} <{TR}runtimeRamBytes> {_int(rng.choice(OWN_OVERHEADS))} .")
        if rng.random() < 0.3:
            lines.append(f"{node} <{TR}runtimeCodeBytes> {_int(rng.choice([0, 8192]))} .")
    return d, "\n".join(lines) + "\n"


def model_graph(i: int, rng: random.Random) -> tuple[str, str]:
    family = f"{ID}model/syn-{i}"
    v = f"{family}/v1"
    s = f"<{v}>"
    lines = [f"<{family}> {RDF_TYPE} <{TR}Model> .", f'<{family}> {NAME} "synthetic model {i}" .',
             f"<{family}> <{TR}hasVersion> {s} .",
             f"{s} {RDF_TYPE} <{TR}ModelVersion> .", f'{s} {NAME} "synthetic model {i} v1" .',
             f"{s} <{TR}versionOf> <{family}> .", f"{s} <{TR}versionNumber> {_int(1)} ."]
    if rng.random() > 0.03:
        arena = rng.choice(_free_ram_figures()) + rng.choice([-1, 0, 0, 1])
        # Some models have only an estimate or a declared figure (chosen by number, so that
        # the random draws, and with them the rest of the fleet, stay as they were).
        figure = "estimatedArenaBytes" if i % 7 == 3 else (
            "declaredArenaBytes" if i % 11 == 5 else "arenaBytes")
        lines.append(f"{s} <{TR}{figure}> {_int(max(arena, 0))} .")
    if rng.random() > 0.03:
        flash = rng.choice(_free_flash_figures()) + rng.choice([-1, 0, 1])
        figure = "declaredFlashBytes" if i % 13 == 4 else "modelFlashBytes"
        lines.append(f"{s} <{TR}{figure}> {_int(max(flash, 0))} .")
    # Figures for other runtimes and NPUs, on some models (by number, like the above).
    if i % 5 == 1:
        figures = _free_ram_figures()
        lines += [f"{s} <{TR}runtimeFigure> _:f{i}x0 .", f"_:f{i}x0 <{TR}onRuntime> <{TR}XCubeAI> .",
                  f"_:f{i}x0 <{TR}figureRamBytes> {_int(figures[(i * 7) % len(figures)])} .",
                  f'_:f{i}x0 <{TR}figureBasis> "declared" .', f'_:f{i}x0 <{TR}figureSource> "X-CUBE-AI 10.2" .']
    if i % 6 == 2:
        figures, flashes = _free_ram_figures(), _free_flash_figures()
        lines += [f"{s} <{TR}runtimeFigure> _:f{i}x1 .", f"_:f{i}x1 <{TR}onNPU> <{TR}EthosU55> .",
                  f"_:f{i}x1 <{TR}npuMacs> {_int(128)} .", f'_:f{i}x1 <{TR}npuMemoryMode> "Shared_Sram" .',
                  f"_:f{i}x1 <{TR}figureRamBytes> {_int(figures[(i * 3) % len(figures)] // 4)} .",
                  f"_:f{i}x1 <{TR}figureFlashBytes> {_int(flashes[(i * 5) % len(flashes)])} .",
                  f'_:f{i}x1 <{TR}figureBasis> "estimated" .', f'_:f{i}x1 <{TR}figureSource> "Vela 5.2.0" .']
    if i % 3 != 2:  # an operator mix, and on some models a latency budget (by number)
        names = ("convMacs", "depthwiseMacs", "fullyConnectedMacs", "elementOperations")
        lines += [f"{s} <{TR}{name}> {_int(n)} ." for name, n in zip(names, WORKS[i % len(WORKS)])]
        if i % 2 == 0:
            budget = BUDGETS[(i // 2) % len(BUDGETS)]
            lines.append(f'{s} <{TR}maxLatencyMs> "{budget}"^^<http://www.w3.org/2001/XMLSchema#decimal> .')
    for need in rng.sample(NEEDS, rng.choice([0, 0, 1, 1, 2])):
        lines.append(f"{s} <{TR}requiresSensor> <{need}> .")
    lines.append(f"{s} <{TR}numberFormat> <{TR}{rng.choice(FORMATS)}> .")
    if rng.random() < 0.08:
        lines.append(f"{s} <{TR}compiledForNPU> <{TR}EthosU55> .")
    operators = rng.sample(OPERATORS, 3) + ([rng.choice(RARE_OPERATORS)] if rng.random() < 0.15 else [])
    for k, op in enumerate(operators):
        use = f"_:u{i}x{k}"
        lines += [f"{s} <{TR}usesOperator> {use} .", f"{use} <{TR}operator> <{OP}{op}> .",
                  f"{use} <{TR}operatorVersion> {_int(1)} .", f"{use} <{TR}count> {_int(1)} ."]
    for k, runtime in enumerate(("TFLM", "LiteRT")):
        check = f"_:c{i}x{k}"
        runs = rng.random() > 0.1
        lines += [f"{s} <{TR}runtimeCheck> {check} .", f"{check} {RDF_TYPE} <{TR}RuntimeCheck> .",
                  f"{check} <{TR}onRuntime> <{TR}{runtime}> .", f"{check} <{TR}runs> {_bool(runs)} ."]
        if not runs and rng.random() < 0.8:
            lines.append(f'{check} <{TR}reason> "synthetic failure {k}" .')
    return v, "\n".join(lines) + "\n"


def devices(n: int, seed: int = 1) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for i in range(n):
        yield device_graph(i, rng)


def models(n: int, seed: int = 2) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for i in range(n):
        yield model_graph(i, rng)
