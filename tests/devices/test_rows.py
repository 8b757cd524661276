"""The device rows kept from the change log stay equal to a fresh read of the store through
random writes, replacements, deletions, record writes and bulk loads, on every store; and
readers arriving together after a write share one refresh."""
from __future__ import annotations

import random
import threading

from tinyreg.registry import compat
from tinyreg.registry.devices import rows as device_rows_module
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.devices.register import list_devices
from tinyreg.registry.devices.rows import DeviceRows, device_rows, read_rows
from tinyreg.registry.vocab import DEPLOYMENT_BASE, DEVICE_BASE, TR

TEMPLATES = [(r.iri, r.ntriples()) for r in iter_catalog()]


def _device(i: int, rng: random.Random) -> tuple[str, str]:
    """A catalog board under a new identifier (its name changed too, so that rows differ)."""
    iri, text = rng.choice(TEMPLATES)
    slug = iri[len(DEVICE_BASE):]
    copy = f"{iri}-rows-{i}"
    text = text.replace(f"<{iri}>", f"<{copy}>").replace(f'"{slug}"', f'"{slug}-rows-{i}"')
    text = text.replace("_:", f"_:r{i}x")
    if rng.random() < 0.3:  # a fact left out: the row goes, or shows no figure
        lines = text.splitlines(keepends=True)
        del lines[rng.randrange(len(lines))]
        text = "".join(lines)
    return copy, text


def _fresh(registry) -> list[dict]:
    return sorted(read_rows(registry.store).values(), key=lambda r: (r["id"], r["iri"]))


def test_cached_rows_equal_a_fresh_read_through_random_writes(registry):
    rng = random.Random(16)
    store = registry.store
    numbers = iter(range(10_000))
    store.bulk_load([_device(next(numbers), rng) for _ in range(40)])
    assert device_rows(registry).origin == "full"
    origins = set()
    for step in range(40):
        present = [row["iri"] for row in device_rows(registry).rows]
        action = rng.choice(["add", "replace", "delete", "record", "many", "mixed"])
        if action == "add":
            store.put_graph(*_device(next(numbers), rng))
        elif action == "replace" and present:
            iri = rng.choice(present)
            _, text = _device(next(numbers), rng)
            store.put_graph(iri, text.replace(text.split(">", 1)[0][1:], iri))
        elif action == "delete" and present:
            store.delete_graph(rng.choice(present))
        elif action == "record":
            deployment = f"{DEPLOYMENT_BASE}rows-{step}"
            store.update_graphs(f"INSERT DATA {{ GRAPH <{deployment}> {{ <{deployment}> a <{TR}Deployment> }} }}",
                                [deployment], under=[DEPLOYMENT_BASE])
        elif action == "many":  # more than are placed one by one
            store.bulk_load([_device(next(numbers), rng) for _ in range(70)])
        else:  # new, replaced and deleted in one transaction
            with store.transaction() as txn:
                txn.put_graph(*_device(next(numbers), rng))
                for iri in rng.sample(present, min(2, len(present))):
                    txn.delete_graph(iri)
        held = device_rows(registry)
        origins.add(held.origin)
        assert held.mark.revision == store.revision()
        assert held.rows == _fresh(registry), (step, action)
        assert list_devices(registry) == held.rows
        assert held.by_iri == {row["iri"]: row for row in held.rows}
        # The devices the compatibility engine lists are those the rows list.
        assert set(compat.fleet_engine(registry).fleet.devices) >= set(held.by_iri)
    assert {"refreshed", "kept"} <= origins


def test_a_record_write_reads_no_device(registry, monkeypatch):
    rng = random.Random(3)
    registry.store.bulk_load([_device(i, rng) for i in range(5)])
    before = device_rows(registry)
    reads = []
    monkeypatch.setattr(device_rows_module, "read_rows", lambda *a: reads.append(a) or {})
    deployment = f"{DEPLOYMENT_BASE}rows-record"
    registry.store.update_graphs(f"INSERT DATA {{ GRAPH <{deployment}> {{ <{deployment}> a <{TR}Deployment> }} }}",
                                 [deployment], under=[DEPLOYMENT_BASE])
    after = device_rows(registry)
    assert after.origin == "kept" and after.rows is before.rows and reads == []


def test_readers_after_a_write_share_one_refresh(registry, monkeypatch):
    rng = random.Random(4)
    registry.store.bulk_load([_device(i, rng) for i in range(30)])
    device_rows(registry)
    registry.store.put_graph(*_device(100, rng))
    real, reads = device_rows_module.read_rows, []
    start = threading.Barrier(4)
    monkeypatch.setattr(device_rows_module, "read_rows", lambda *a: reads.append(a) or real(*a))
    answers: list[DeviceRows] = []

    def reader() -> None:
        start.wait(timeout=60)
        answers.append(device_rows(registry))
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == 4 and all(a is answers[0] for a in answers)
    assert len(reads) == 1 and answers[0].origin == "refreshed"
    assert answers[0].rows == _fresh(registry)
