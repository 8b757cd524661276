"""Importing a fleet of devices: WoT TDs, PlatformIO manifests and Zephyr board files.

A generator writes a synthetic fleet (a third of each format) whose figures are drawn from
the bundled catalog's real boards, then `import_dir` registers it into a fresh registry
store. Printed: the time to read one device of each format, our import time for the whole
fleet (and per device) with the CPU time of this process and of the reading workers, the
peak memory of this process and of the largest worker, and two anchors, each in a process
of its own so that its memory is not counted as ours:

- the store floor: Oxigraph's bulk loader writing the same quads (dumped from the store)
  into a fresh store, which no import can beat;
- rdflib parsing the same devices' triples into a Graph.

The size on disk of our store and of the floor's is printed right after the load and once
compacted (RocksDB merges a load's batches after the fact, see the comment in main).

Set TINYREG_BENCH_DEVICES for another fleet size; above 100,000 devices the rdflib anchor
is left out unless TINYREG_BENCH_RDFLIB=1.
"""
from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import yaml

from common import disk_mb, peak_rss_mb, report
from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.catalog import CATALOG
from tinyreg.registry.store.loading import QUADS
from tinyreg.registry.devices.register import import_dir, iter_files, read_file

DEVICES = int(os.environ.get("TINYREG_BENCH_DEVICES", "100000"))
RDFLIB_UP_TO = 100_000
RDFLIB = os.environ.get("TINYREG_BENCH_RDFLIB", "1" if DEVICES <= RDFLIB_UP_TO else "0") == "1"
TARGET_S = 20.0
DEVICE_GRAPHS = "https://w3id.org/tinyreg/id/device/"
_ANCHOR = textwrap.dedent("""
    import resource, sys, time
    import rdflib
    start = time.perf_counter()
    graph = rdflib.Graph().parse(sys.argv[1], format="nt")
    print(time.perf_counter() - start, len(graph),
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
""")
_STORE_FLOOR = textwrap.dedent("""
    import resource, sys, time
    import pyoxigraph as ox
    store = ox.Store(sys.argv[2])
    start, cpu = time.perf_counter(), time.process_time()
    store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
    print(time.perf_counter() - start, time.process_time() - cpu, len(store),
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
""")
_COMPACTED = textwrap.dedent("""
    import sys
    import pyoxigraph as ox
    store = ox.Store(sys.argv[1])
    store.optimize()
""")
_PIO_CPU = {"cortex-m4f": "cortex-m4", "cortex-m0plus": "cortex-m0plus"}


def boards() -> list[dict]:
    """The catalog's microcontroller boards that have both figures: the fleet's templates."""
    out = []
    for entry in yaml.safe_load(CATALOG.read_text())["boards"]:
        if entry.get("kind") != "linux" and "flash" in entry and "sram" in entry:
            out.append(entry)
    return out


def _kib(text: str) -> int:
    number, unit = text.split()[:2]
    return int(float(number) * {"KiB": 1, "MiB": 1024}[unit])


def td(i: int, board: dict, rng: random.Random) -> dict:
    sensors = [{"@type": s["type"] if isinstance(s["type"], str) else s["type"][0],
                **({"part": s["part"]} if s.get("part") else {})} for s in board.get("sensors", [])]
    return {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1", "https://w3id.org/tinyreg/td/v1"],
        "id": f"urn:dev:ops:fleet-{i}", "@type": "Thing", "title": f"{board['name']} #{i}",
        "base": f"http://node-{i}.plant.example/",
        "securityDefinitions": {"nosec_sc": {"scheme": "nosec"}}, "security": "nosec_sc",
        "usableRamBytes": board.get("ram_usable", _kib(board["sram"]) * 1024),
        "usableFlashBytes": board.get("flash_usable", _kib(board["flash"]) * 1024),
        "processor": {"mcu": board["mcu"], "clockHz": board["clock_mhz"] * 1_000_000},
        "sensors": sensors, "location": f"hall {rng.randint(1, 12)}",
        "properties": {"inference": {"type": "object", "readOnly": True,
                                     "forms": [{"href": "properties/inference", "op": "readproperty"}]}},
        "actions": {"deploy": {"forms": [{"href": "actions/deploy", "op": "invokeaction"}]}},
    }


def platformio(i: int, board: dict) -> dict:
    return {"build": {"cpu": _PIO_CPU.get(board["core"], board["core"]), "mcu": board["mcu"].lower(),
                      "f_cpu": f"{board['clock_mhz'] * 1_000_000}L"},
            "connectivity": [], "frameworks": ["arduino"], "name": f"{board['name']} rev {i}",
            "upload": {"maximum_ram_size": _kib(board["sram"]) * 1024,
                       "maximum_size": _kib(board["flash"]) * 1024},
            "url": board["source"], "vendor": board.get("vendor", "")}


def zephyr(i: int, board: dict) -> str:
    return yaml.safe_dump({"identifier": f"fleet_{i}/{board['mcu'].lower()}", "name": board["name"],
                           "type": "mcu", "arch": "arm", "ram": _kib(board["sram"]),
                           "flash": _kib(board["flash"]), "supported": ["gpio", "i2c", "ble"],
                           "vendor": board.get("vendor", "")})


def write_fleet(folder: Path, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    templates = boards()
    for i in range(n):
        board = rng.choice(templates)
        sub = folder / f"{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir()
        kind = i % 3
        if kind == 0:
            (sub / f"td-{i}.jsonld").write_text(json.dumps(td(i, board, rng)))
        elif kind == 1:
            (sub / f"pio-{i}.json").write_text(json.dumps(platformio(i, board)))
        else:
            (sub / f"zephyr-{i}.yaml").write_text(zephyr(i, board))


def per_format(folder: Path, sample: int = 600) -> dict[str, float]:
    """Microseconds to read one device of each format (no store)."""
    files: dict[str, list[bytes]] = {}
    for path in iter_files(folder):
        kind = path.name.split("-")[0]
        if len(files.setdefault(kind, [])) < sample:
            files[kind].append((path.read_bytes(), path.name))
        if all(len(v) >= sample for v in files.values()) and len(files) == 3:
            break
    out = {}
    for kind, items in files.items():
        start = time.perf_counter()
        for data, name in items:
            read_file(data, name)
        out[kind] = (time.perf_counter() - start) / len(items) * 1e6
    return out


def _printed(script: str, *args: Path) -> list[str]:
    """What `script` prints, run in a fresh process so that its memory is not counted as ours."""
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], check=True,
                          capture_output=True, text=True, timeout=3600).stdout.split()


def anchor(dump: Path) -> tuple[float, int, float]:
    """rdflib's parse of the dump: seconds, triples, peak MiB."""
    out = _printed(_ANCHOR, dump)
    return float(out[0]), int(out[1]), float(out[2])


def store_floor(quads: Path, folder: Path) -> tuple[float, float, int, float]:
    """Oxigraph's bulk loader alone writing the devices' quads into a fresh store on disk,
    from one N-Quads file: seconds, CPU seconds, quads, peak MiB. No import can write them
    faster; on a 2-core machine this floor decides what is possible."""
    out = _printed(_STORE_FLOOR, quads, folder)
    return float(out[0]), float(out[1]), int(out[2]), float(out[3])


def compacted_mb(folder: Path) -> float:
    """The store's size once RocksDB has merged what a load left for it to merge (it would
    in the background, at any later open): `optimize`, in a process of its own."""
    _printed(_COMPACTED, folder)
    return disk_mb(folder)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        start = time.perf_counter()
        write_fleet(fleet, DEVICES)
        print(f"generated {DEVICES} device files in {time.perf_counter() - start:.1f} s", flush=True)
        for kind, us in per_format(fleet).items():
            print(f"  read one {kind} device: {us:.0f} us", flush=True)

        registry = Registry(load_settings(environ={}, data_dir=str(Path(tmp) / "data")))
        registry.init()
        rss_before = peak_rss_mb()
        cpu_before = time.process_time()
        start = time.perf_counter()
        results = import_dir(registry, fleet)
        ours = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
        peak = peak_rss_mb()  # before the counts below read every graph
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        failed = sum(1 for r in results if not r.ok)
        devices = registry.stats()["devices"]
        print(f"imported {len(results) - failed} of {len(results)} files, {devices} devices in the "
              f"store; {ours / DEVICES * 1e6:.0f} us a device", flush=True)
        print(f"CPU: this process {cpu:.1f} s (writing: mostly the bulk loader), reading workers "
              f"{workers.ru_utime + workers.ru_stime:.1f} s", flush=True)
        print(f"peak RSS: this process {peak:.0f} MiB (before the import "
              f"{rss_before:.0f} MiB), largest reading worker {workers.ru_maxrss / 1024:.0f} MiB",
              flush=True)

        dump, quads = Path(tmp) / "devices.nt", Path(tmp) / "devices.nq"
        if RDFLIB:
            registry.store.raw_query(
                "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), '{DEVICE_GRAPHS}')) }}"
            ).serialize(output=str(dump), format=ox.RdfFormat.N_TRIPLES)
        with quads.open("wb") as out:
            rows = registry.store.raw_query(
                "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), '{DEVICE_GRAPHS}')) }}")
            ox.serialize((ox.Quad(*row) for row in rows), out, format=ox.RdfFormat.N_QUADS)
        ours_mb = disk_mb(Path(tmp) / "data" / "store")
        registry.store.oxigraph.optimize()  # see compacted_mb
        ours_compacted = disk_mb(Path(tmp) / "data" / "store")
        registry.close()
        floor, floor_cpu, floor_quads, floor_rss = store_floor(quads, Path(tmp) / "floor")
        print(f"store floor: Oxigraph's bulk loader alone, {floor_quads} quads from one N-Quads "
              f"file into a fresh store: {floor:.1f} s, {floor_cpu:.1f} CPU s, peak RSS "
              f"{floor_rss:.0f} MiB", flush=True)
        report(f"import {DEVICES} devices against writing their quads alone", ours, floor,
               "Oxigraph's bulk loader, nothing read or checked")
        # The import loads at most QUADS quads a run (the loader's memory), the floor one
        # batch of 1M quads after another. RocksDB takes a batch into a store holding
        # overlapping keys as a file in its top level and, from two such files on, merges
        # them into the level below, which Oxigraph leaves uncompressed: in the background,
        # so a store's size right after a load depends on how far that got before it closed.
        # Compacted, both stores are what RocksDB makes of the same quads.
        report(f"store on disk right after the import ({-(-floor_quads // QUADS)} runs of at "
               f"most {QUADS} quads)", ours_mb, disk_mb(Path(tmp) / "floor"),
               "the bulk loader's store of the device quads, right after its load", unit="MiB")
        report("store on disk once compacted (optimize)", ours_compacted,
               compacted_mb(Path(tmp) / "floor"), "the bulk loader's store, compacted", unit="MiB")
        if not RDFLIB:
            print(f"rdflib anchor left out (TINYREG_BENCH_RDFLIB=0; by default it runs up to "
                  f"{RDFLIB_UP_TO} devices: it holds every triple in memory)", flush=True)
            return
        seconds, triples, anchor_rss = anchor(dump)
        print(f"anchor: {triples} triples ({dump.stat().st_size / 2**20:.0f} MiB of N-Triples), "
              f"rdflib's peak RSS {anchor_rss:.0f} MiB", flush=True)
        report(f"import {DEVICES} devices (read + store)", ours, seconds,
               "rdflib parsing the same devices' N-Triples into a Graph",
               target=f"< {TARGET_S:.0f} s")
