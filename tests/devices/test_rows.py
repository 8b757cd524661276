"""The device rows, the registry's counts and the device list's facet counts kept from the
change log stay equal to a fresh read of the store through random writes, replacements,
deletions, record writes and bulk loads, on every store; and readers arriving together
after a write share one refresh."""
from __future__ import annotations

import random
import threading
from collections import Counter

import numpy as np

from tinyreg.registry import compat
from tinyreg.registry.counts import counts as registry_counts
from tinyreg.registry.devices import rows as device_rows_module
from tinyreg.registry.devices.catalog import iter_catalog
from tinyreg.registry.devices.register import list_devices
from tinyreg.registry.devices.rows import (device_facets, device_rows, read_facet_rows,
                                           read_rows)
from tinyreg.registry.devices.rows import TALLIED
from tinyreg.registry.devices.facet_codes import facet_codes
from tinyreg.registry.facets import DEVICE_FACETS, VALUES_SHOWN
from tinyreg.registry.front.devices import DeviceFilter
from tinyreg.registry.models import register_model
from tinyreg.registry import shared_work
from tinyreg.registry.paging import Page
from tinyreg.registry.tflite import writer
from tinyreg.registry.store.base import revision_update_text
from tinyreg.registry.vocab import DEPLOYMENT_BASE, DEVICE_BASE, ID, REGISTRY_ROOT, TR, prefixes
from tinyreg.web.app import create_app
from tinyreg.web.dashboard import kept_pages, views

# What Registry.stats counted with one query before it followed the change log.
_STATS = prefixes("tr") + """SELECT
  (COUNT(DISTINCT ?model) AS ?models) (COUNT(DISTINCT ?version) AS ?versions)
  (COUNT(DISTINCT ?device) AS ?devices) (COUNT(DISTINCT ?deployment) AS ?deployments)
WHERE {
  { ?model a tr:Model } UNION { ?version a tr:ModelVersion }
  UNION { ?device a ?deviceClass . VALUES ?deviceClass { tr:MicrocontrollerBoard tr:LinuxDevice tr:Device } }
  UNION { ?deployment a tr:Deployment }
}
"""

_A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
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


def _fresh_stats(store) -> dict[str, int]:
    row = store.select(_STATS)[0]
    out = {k: int(row[k] or 0) for k in ("models", "versions", "devices", "deployments")}
    out["graphs"] = store.graph_count(under=REGISTRY_ROOT)
    out["revision"] = store.revision()
    return out


def _record(store, step: int, rng: random.Random) -> None:
    """A deployment written, or dropped, as the deployment records write: by name, or with
    the deployments' namespace (an activation retires the one before by its namespace)."""
    deployment = f"{DEPLOYMENT_BASE}rows-{rng.randrange(step + 1)}"
    if rng.random() < 0.3:
        store.update_graphs(f"DROP SILENT GRAPH <{deployment}>", [deployment])
        return
    store.update_graphs(f"INSERT DATA {{ GRAPH <{deployment}> {{ <{deployment}> a <{TR}Deployment> }} }}",
                        [deployment], under=[DEPLOYMENT_BASE] if rng.random() < 0.5 else [])


def _other(store, step: int, rng: random.Random) -> None:
    """Graphs that count other than as devices: a model and its version, a graph that
    types nothing, one outside the registry's names that types a device (counted as a
    device, not as a graph); some written with a user's update, which the log cannot name."""
    model = f"{ID}model/rows-{rng.randrange(step + 1)}"
    choice = rng.choice(["model", "untyped", "outside", "user"])
    if choice == "model":
        store.put_graph(model, f"<{model}> {_A} <{TR}Model> .\n<{model}/v1> {_A} <{TR}ModelVersion> .\n")
    elif choice == "untyped":
        store.put_graph(f"{ID}note/rows-{step}", f"<{ID}note/rows-{step}> <{TR}note> \"x\" .\n")
    elif choice == "outside":
        store.put_graph(f"urn:rows:{step}", f"<urn:rows:{step}> {_A} <{TR}Device> .\n")
    else:  # as the SPARQL endpoint sends a user's update: the update, then a write of any graph
        store.update(f"DROP SILENT GRAPH <{model}>")
        store.update(revision_update_text())


# Filters whose facet counts are held to a recount: none, a row field, a device fact, both,
# the model that fits (the one model the walk registers), sizes with text and an order.
_FILTERS = (DeviceFilter(), DeviceFilter(kind="microcontrollerboard"), DeviceFilter(sensor="Microphone"),
            DeviceFilter(runtime="tflm", core="cortexm4f"), DeviceFilter(fits="rows-kws"),
            DeviceFilter(min_ram=256 * 1024, q="a", sort="-ram"), DeviceFilter(max_ram=300_000, min_flash=0))

# The filters of the pages the walk asks for.
_PAGED = {"/devices?sensor=Microphone&sort=-ram": DeviceFilter(sensor="Microphone"),
          "/compat?fits=rows-kws&limit=200": DeviceFilter(fits="rows-kws")}


def _ranked(counts: Counter) -> dict:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0]).lower()))
    return {"values": [{"value": v, "count": n} for v, n in ranked[:VALUES_SHOWN]],
            "more": max(0, len(ranked) - VALUES_SHOWN)}


def _recounted(registry, rows: list[dict], facts: dict[str, dict], where: DeviceFilter) -> tuple[int, dict]:
    """The device list's total and facets for `where`, counted over a fresh read of the
    rows and facet values, and the verdicts of a fresh engine: what the facets counted
    before they followed the change log."""
    def values(row, field):
        value = row[field] if field in row else facts.get(row["iri"], {}).get(field)
        return value if isinstance(value, list) else [] if value is None else [value]
    engine = compat.fleet_engine(registry)
    version = engine.fleet.models[0]
    fits = engine.matrix(np.array([engine.model(version)])).row(0)
    fitting = {iri for iri, ok in zip(engine.fleet.devices, fits) if ok}
    kept = [r for r in where.select(rows)
            if all(any(str(v).lower() == getattr(where, name).lower() for v in values(r, field))
                   for name, field in DEVICE_FACETS.items() if field and getattr(where, name, "")
                   and name not in ("kind", "core", "format"))
            and (not where.fits or r["iri"] in fitting)]
    found = {name: _ranked(Counter(v for r in kept for v in values(r, field)))
             for name, field in DEVICE_FACETS.items() if field}
    n = sum(r["iri"] in fitting for r in kept)
    found["fits"] = {"values": [{"value": "rows-kws@1", "label": "Rows KWS", "count": n}] if n else [],
                     "more": 0}
    return len(kept), found


def test_cached_rows_equal_a_fresh_read_through_random_writes(registry, store_kind, run_seed):
    """30 random steps on the embedded store, 15 on a server (where each step's fresh reads
    of every row, count and facet cross HTTP, 0.3 s a step); a new walk every run
    (run_seed), so the runs between them cover more than one fixed walk did."""
    rng = random.Random(run_seed)
    store = registry.store
    numbers = iter(range(10_000))
    store.bulk_load([_device(next(numbers), rng) for _ in range(40)])
    register_model(registry, writer.conv2d(size=16, channels=1, filters=4),
                   {"name": "Rows KWS", "model": "rows-kws", "task": "keyword-spotting",
                    "sensors": ["microphone"]})
    assert device_rows(registry).origin == "full"
    # read once before the walk, so that a first step that keeps them can say so
    assert (device_facets(registry).origin, facet_codes(registry).origin) == ("full", "full")
    client = create_app({"TESTING": True}, registry=registry).test_client()
    origins, count_origins = set(), set()
    # Each action once first, in a random order, so that every walk meets them all.
    actions = ["add", "replace", "delete", "record", "many", "mixed", "other"]
    first = rng.sample(actions, len(actions))
    for step in range(30 if store_kind == "embedded" else 15):
        present = [row["iri"] for row in device_rows(registry).rows]
        action = first[step] if step < len(first) else rng.choice(actions)
        if action == "add":
            store.put_graph(*_device(next(numbers), rng))
        elif action == "replace" and present:
            iri = rng.choice(present)
            _, text = _device(next(numbers), rng)
            store.put_graph(iri, text.replace(text.split(">", 1)[0][1:], iri))
        elif action == "delete" and present:
            store.delete_graph(rng.choice(present))
        elif action == "record":
            _record(store, step, rng)
        elif action == "other":
            _other(store, step, rng)
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
        assert {field: dict(held.tallies[field]) for field in TALLIED} == \
            {field: dict(Counter(row[field] for row in held.rows)) for field in TALLIED}
        counts = registry_counts(registry)
        count_origins.add(counts.origin)
        assert registry.stats() == _fresh_stats(store), (step, action)
        # The devices the compatibility engine lists are those the rows list.
        assert set(compat.fleet_engine(registry).fleet.devices) >= set(held.by_iri)
        # The facets' values (sensors, runtimes, ...) follow the same log.
        facets = device_facets(registry)
        fresh_facts = read_facet_rows(store)
        assert facets.mark.revision == store.revision()
        assert facets.by_iri == fresh_facts, (step, action)
        origins.add("facets " + facets.origin)
        # The device list's facet counts, over every device (kept from the log) and over
        # what a filter keeps (summed from the codes; another filter each step), equal a
        # recount.
        codes = facet_codes(registry)
        origins.add("codes " + codes.origin)
        if codes.listed is held:  # its order gives each row's slot, as filters read it
            assert [codes.iris[at] for at in codes.order] == [row["iri"] for row in held.rows]
        for where in (_FILTERS[0], _FILTERS[1 + step % (len(_FILTERS) - 1)]):
            listed = registry.devices.list(where, Page(limit=1), tuple(DEVICE_FACETS))
            assert (listed.total, listed.facets) == _recounted(registry, held.rows, fresh_facts, where), \
                (step, action, where)
        # The device list and the heatmap as kept (web/dashboard/kept_pages.py): asked
        # again, then rendered afresh with nothing kept, the same page.
        if step % 2 == 0:
            url = ("/devices?sensor=Microphone&sort=-ram", "/compat?fits=rows-kws&limit=200")[step // 2 % 2]
            pages = [client.get(url).data for _ in range(2)]
            assert len(registry.cache.pop(kept_pages._CACHE_KEY))  # the second was the first's
            pages.append(client.get(url).data)
            assert pages[0] == pages[1] == pages[2], (step, action, url)
            assert ("-rows-" in pages[0].decode()) == bool(_recounted(registry, held.rows, fresh_facts, _PAGED[url])[0])
    assert {"refreshed", "kept", "facets refreshed", "facets kept", "codes refreshed",
            "codes kept"} <= origins
    assert {"refreshed", "full"} <= count_origins  # the user's updates are read whole
    assert any(row["sensors"] and row["runtimes"] and row["vendors"] for row in facets.by_iri.values())


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
    facet_codes(registry)
    registry.store.put_graph(*_device(100, rng))
    real, reads = device_rows_module.read_rows, []
    start = threading.Barrier(4)
    monkeypatch.setattr(device_rows_module, "read_rows", lambda *a: reads.append(a) or real(*a))
    answers: list = []

    def reader() -> None:
        start.wait(timeout=60)
        answers.append((device_rows(registry), facet_codes(registry)))
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == 4 and all(a[0] is answers[0][0] and a[1] is answers[0][1] for a in answers)
    assert len(reads) == 1 and answers[0][0].origin == "refreshed"
    assert answers[0][0].rows == _fresh(registry)
    # The facet codes too: one refresh, from those rows.
    assert answers[0][1].origin == "refreshed" and answers[0][1].listed is answers[0][0]


def test_a_list_without_facets_reads_no_facet_values(registry, monkeypatch):
    """A device list (or the heatmap's) filtered by its rows' own fields reads no facet values:
    they are read whole the first time a facet, or a filter by one, is asked for."""
    rng = random.Random(5)
    registry.store.bulk_load([_device(i, rng) for i in range(20)])
    real, reads = device_rows_module.read_facet_rows, []
    monkeypatch.setattr(device_rows_module, "read_facet_rows", lambda *a: reads.append(a) or real(*a))
    where = DeviceFilter(kind="microcontrollerboard", min_ram=1, sort="name")
    plain = registry.devices.list(where, Page(limit=100))
    assert reads == [] and plain.total == len(where.select(device_rows(registry).rows)) > 0
    counted = registry.devices.list(where, Page(limit=100), ("kind",))
    assert len(reads) == 1 and counted.items == plain.items
    assert counted.facets["kind"]["values"] == [{"value": "MicrocontrollerBoard", "count": plain.total}]


def test_readers_of_a_page_after_a_write_share_one_render(registry, monkeypatch):
    """Four readers of the device list after a write: one renders it, while the three others
    wait for that render; the page shows the device the write added."""
    rng = random.Random(6)
    registry.store.bulk_load([_device(i, rng) for i in range(30)])
    app = create_app({"TESTING": True}, registry=registry)
    app.test_client().get("/devices?limit=100")
    added, text = _device(200, rng)
    registry.store.put_graph(added, text)
    waiting, renders = threading.Semaphore(0), []

    class Counted(threading.Event):
        def wait(self, timeout=None):
            waiting.release()
            return super().wait(timeout)

    class Running(shared_work._Running):
        def __init__(self) -> None:
            super().__init__()
            self.ended = Counted()
    monkeypatch.setattr(shared_work, "_Running", Running)
    real = views._list_page

    def list_page(*args):
        renders.append(1)
        for _ in range(3):  # the others are waiting for this render
            assert waiting.acquire(timeout=60)
        return real(*args)
    monkeypatch.setattr(views, "_list_page", list_page)
    start, pages = threading.Barrier(4), []

    def reader() -> None:
        reading = app.test_client()
        start.wait(timeout=60)
        pages.append(reading.get("/devices?limit=100").data)
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(pages) == 4 and len(set(pages)) == 1 and renders == [1]
    assert added.rsplit("/", 1)[1] in pages[0].decode()
