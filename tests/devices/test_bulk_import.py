"""Importing a fleet: the bulk loader's guarantees, and the parallel importer's results.

The embedded store's `load_new_graphs` is not a transaction, so these tests hold it to
what replaces one: nothing of a refused or failed load remains, a process that dies during
a load (a real exit, in a child process) leaves graphs that the next open drops, and blank
nodes of different graphs stay apart. The importer must give the same store and the same
per-file report whether files are read here or by worker processes, and let a later file
replace an earlier one.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

from tinyreg.registry.devices import bulk
from tinyreg.registry.devices.register import import_dir, list_devices, show_device
from tinyreg.registry.errors import Invalid
from tinyreg.registry.store import EmbeddedStore, loading
from tinyreg.registry.vocab import ID, TR, device_id, device_iri

from .td_samples import random_td

DATA = Path(__file__).resolve().parents[1] / "data" / "devices"
EX = "http://example.org/"


def _device(i: int) -> tuple[str, str]:
    return (f"{EX}g{i}", f"<{EX}d{i}> <{EX}has> _:n{i} .\n_:n{i} <{EX}value> \"{i}\" .\n")


def _loading_records(store: EmbeddedStore) -> int:
    return len(list(store._ox.quads_for_pattern(None, ox.NamedNode("urn:tinyreg:loading"), None)))


def _data_quads(store: EmbeddedStore) -> int:
    """Quads outside the meta graph (where every write moves the revision and its log)."""
    return sum(len(store.get_graph(name)) for name in store.graph_names())


@pytest.fixture
def embedded(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    yield store
    store.close()


def test_new_graphs_go_in_with_a_revision_and_no_record_left(embedded):
    embedded.load_new_graphs([_device(i) for i in range(3)])
    assert embedded.graph_names() == [f"{EX}g{i}" for i in range(3)]
    assert embedded.revision() == 1 and _loading_records(embedded) == 0
    rows = embedded.select(f"SELECT (COUNT(DISTINCT ?n) AS ?c) WHERE {{ ?d <{EX}has> ?n }}")
    assert rows == [{"c": 3}]


@pytest.mark.parametrize("graphs, message", [
    ([_device(0), _device(5)], "g0 exists"),
    ([_device(5), _device(5)], "given twice"),
    ([_device(5), (f"{EX}g6", f'<{EX}a> <{EX}p> "never closed .\n')], "could not write"),
    ([_device(5), (f"{EX}g6", f"<{EX}a> <{EX}p> <{EX}b> . }} <{EX}g0> {{ <{EX}x> <{EX}y> <{EX}z> .\n")],
     "not valid N-Triples"),
])
def test_a_refused_load_leaves_nothing(embedded, graphs, message):
    embedded.load_new_graphs([_device(0)])
    with pytest.raises(Invalid, match=message):
        embedded.load_new_graphs(graphs)
    assert embedded.graph_names() == [f"{EX}g0"]
    assert _loading_records(embedded) == 0
    assert _data_quads(embedded) == len(embedded.get_graph(f"{EX}g0")) == 2


_CHILD = textwrap.dedent("""
    import os, sys, time
    from tinyreg.registry.store import EmbeddedStore, loading
    EX = "http://example.org/"
    store = EmbeddedStore(sys.argv[1])
    store.put_graph(EX + "kept", f"<{EX}k> <{EX}p> <{EX}o> .\\n")
    graphs = [(f"{EX}g{i}", f"<{EX}d{i}> <{EX}has> _:n{i} .\\n_:n{i} <{EX}v> {i} .\\n")
              for i in range(200)]

    class Dies:  # the store object, at the load's update that counts it
        def __init__(self, inner, at):
            self.inner, self.at = inner, at
        def __getattr__(self, name):
            return getattr(self.inner, name)
        def update(self, text):
            if "urn:tinyreg:loaded" in text and text.startswith(self.at):
                os._exit(3)
            return self.inner.update(text)

    if sys.argv[2] == "after-load":
        store._ox = Dies(store._ox, "INSERT")
        store.load_new_graphs(graphs)
    elif sys.argv[2] == "after-count":  # counted, its names not yet removed from the disk
        import pathlib
        unlink = pathlib.Path.unlink
        pathlib.Path.unlink = lambda self, missing_ok=False: (
            os._exit(3) if self.name.startswith("tinyreg-loading-") else unlink(self, missing_ok))
        store.load_new_graphs(graphs)
    else:  # dying while the loader reads: part of the text sent, the rest never comes
        load = store.new_graphs()
        load.add(graphs[:120])
        time.sleep(0.2)
        os._exit(3)
""")


@pytest.mark.parametrize("moment", ["after-load", "during-read"])
def test_a_load_cut_short_by_the_process_dying_is_undone_on_open(tmp_path, moment, caplog):
    path = tmp_path / "store"
    child = subprocess.run([sys.executable, "-c", _CHILD, str(path), moment],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 3, child.stderr
    with caplog.at_level("WARNING"):
        store = EmbeddedStore(path)
    try:
        assert store.graph_names() == [f"{EX}kept"]
        assert _loading_records(store) == 0 and list(path.glob("tinyreg-*")) == []
        # after the load, its graphs were in the store and are dropped; while it read, the
        # loader had taken nothing in yet (a run is taken in once its names are on disk)
        assert ("did not finish" in caplog.text) == (moment == "after-load")
        store.load_new_graphs([_device(1)])  # the same names load again
        assert f"{EX}g1" in store.graph_names()
    finally:
        store.close()


def test_a_load_counted_before_the_process_died_stays_whole(tmp_path, caplog):
    path = tmp_path / "store"
    child = subprocess.run([sys.executable, "-c", _CHILD, str(path), "after-count"],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 3, child.stderr
    assert list(path.glob("tinyreg-loading-*"))  # the names were still on disk
    with caplog.at_level("WARNING"):
        store = EmbeddedStore(path)
    try:
        assert len(store.graph_names()) == 201 and store.revision() == 2
        assert list(path.glob("tinyreg-loading-*")) == [] and "did not finish" not in caplog.text
        assert not list(store.oxigraph.quads_for_pattern(None, ox.NamedNode("urn:tinyreg:loaded"), None))
    finally:
        store.close()


# ---- the importer


def _fleet(folder: Path, count: int = 90) -> Path:
    """TDs, PlatformIO and Zephyr files, bad files, and two files for one device."""
    rng = random.Random(9)
    folder.mkdir()
    for i in range(count):
        (folder / f"td-{i:03d}.jsonld").write_text(json.dumps(random_td(i, rng)))
    for name in ("nano33ble.json", "zephyr-nrf5340dk.yaml", "td11-tinyml.jsonld", "prototype.ttl"):
        shutil.copy(DATA / name, folder / name)
    for bad in (DATA / "bad").iterdir():
        shutil.copy(bad, folder / f"zz-bad-{bad.name}")
    same = json.loads((DATA / "td11-tinyml.jsonld").read_text())
    same["ramBytes"] = 131072
    (folder / "zz-same-device.jsonld").write_text(json.dumps(same))  # after td11-tinyml
    return folder


def _imported(registry) -> list[str]:
    """The graphs of devices and model versions (not the registry's own)."""
    return [name for name in registry.store.graph_names()
            if name.startswith((f"{ID}device/", f"{ID}model/"))]


def _snapshot(registry) -> dict[str, list[str]]:
    """Every imported graph, canonicalised, for comparing two imports."""
    out = {}
    for name in _imported(registry):
        dataset = ox.Dataset(ox.parse(registry.store.get_graph(name).serialize(format="nt"),
                                      format=ox.RdfFormat.N_TRIPLES))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        out[name] = sorted(str(q) for q in dataset)
    return out


def _report(results) -> list[tuple]:
    return [(Path(r.path).name, r.format, r.devices, r.models, r.error) for r in results]


# The fleet's TDs hold `true` and `1` as two values of one property; Virtuoso keeps them as
# one (its index compares them equal), so the graphs differ by that triple; `tinyreg store
# check` names it ("true and 1 stay apart").
@pytest.mark.stores("embedded", "oxigraph", "external")
def test_workers_and_batches_give_what_reading_here_gives(registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet")
    here = import_dir(registry, folder, workers=1)
    expected, expected_report = _snapshot(registry), _report(here)
    assert any(r.error for r in here) and sum(r.ok for r in here) > 90

    for name in _imported(registry):
        registry.store.delete_graph(name)

    monkeypatch.setattr(bulk, "_IN_PROCESS", 10)
    monkeypatch.setattr(bulk, "_CHUNK", 7)
    monkeypatch.setattr(bulk, "BATCH", 25)
    seen = []
    parallel = import_dir(registry, folder, progress=seen.append, workers=2)
    assert len(seen) == len(parallel)
    assert _report(parallel) == expected_report
    assert _snapshot(registry) == expected


@pytest.mark.parametrize("batch", [4, 1000], ids=["apart", "one-batch"])
def test_a_later_file_wins_and_importing_again_replaces(registry, tmp_path, monkeypatch, batch):
    monkeypatch.setattr(bulk, "BATCH", batch)
    folder = _fleet(tmp_path / "fleet", count=12)
    import_dir(registry, folder)
    kws = device_iri(device_id("urn:dev:ops:kws-node-17"))
    assert [o.toPython() for o in show_device(registry, kws).objects(None, TR.usableRamBytes)] == [131072]
    devices = {row["iri"] for row in list_devices(registry)}
    triples = _imported_triples(registry)
    (folder / "zz-same-device.jsonld").unlink()
    import_dir(registry, folder)
    assert [o.toPython() for o in show_device(registry, kws).objects(None, TR.usableRamBytes)] == [262144]
    assert {row["iri"] for row in list_devices(registry)} == devices
    assert _imported_triples(registry) == triples  # replaced, not added to


def _imported_triples(registry) -> int:
    return sum(len(registry.store.get_graph(name)) for name in _imported(registry))


def _imported_and_dropped(registry, folder: Path) -> tuple[list, dict]:
    """The report and graphs of importing `folder` file by file in this process; then the
    store as it was before."""
    expected = _report(import_dir(registry, folder, workers=1))
    snapshot = _snapshot(registry)
    for name in _imported(registry):
        registry.store.delete_graph(name)
    return expected, snapshot


@pytest.mark.stores("embedded")
def test_a_load_the_store_refuses_is_written_file_by_file(registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet", count=30)
    expected, snapshot = _imported_and_dropped(registry, folder)
    real, calls = loading.NewGraphs.add, []

    def refused_once(self, graphs):  # the second part of the load: the loader refuses it
        calls.append(len(graphs))
        real(self, graphs)
        if len(calls) == 2:
            self._failure = SyntaxError("refused for the test")
            self.abort()
    monkeypatch.setattr(bulk, "_GROUP", 10)
    monkeypatch.setattr(loading.NewGraphs, "add", refused_once)
    assert _report(import_dir(registry, folder, workers=1)) == expected
    assert len(calls) >= 3 and _snapshot(registry) == snapshot
    assert _loading_records(registry.store) == 0


@pytest.mark.stores("embedded", "oxigraph")
def test_a_write_that_breaks_stops_the_import_with_its_error(registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet", count=12)
    monkeypatch.setattr(bulk, "BATCH", 4)
    monkeypatch.setattr(bulk, "_GROUP", 4)
    calls = []

    def broken(*args):
        calls.append(args)
        raise OSError("disk full")
    monkeypatch.setattr(bulk, "write_batch", broken)
    monkeypatch.setattr(loading.NewGraphs, "add", broken)
    with pytest.raises(OSError, match="disk full"):
        import_dir(registry, folder)
    assert len(calls) == 1  # nothing is written after a failure
    assert _imported(registry) == []


@pytest.mark.stores("embedded")
def test_files_the_load_refuses_by_name_go_in_one_by_one(registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet", count=20)
    expected, snapshot = _imported_and_dropped(registry, folder)
    real, calls = loading.NewGraphs.add, []

    def refuses_the_second(self, graphs):  # as if a name of the second group were taken
        calls.append(len(graphs))
        if len(calls) == 2:
            raise Invalid("not a new graph: refused for the test")
        real(self, graphs)
    monkeypatch.setattr(bulk, "_GROUP", 8)
    monkeypatch.setattr(loading.NewGraphs, "add", refuses_the_second)
    assert _report(import_dir(registry, folder, workers=1)) == expected
    assert len(calls) >= 3 and _snapshot(registry) == snapshot


@pytest.mark.stores("embedded")
def test_runs_handed_over_to_the_loader_give_what_one_run_gives(registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet", count=30)
    expected, snapshot = _imported_and_dropped(registry, folder)
    overlapped = []  # at each hand-over: whether the run before was still in flight
    real = loading.NewGraphs.cut

    def cut(self):
        overlapped.append(self._saving is not None and self._run is not None)
        real(self)
    monkeypatch.setattr(loading.NewGraphs, "cut", cut)
    monkeypatch.setattr(bulk, "_GROUP", 6)
    monkeypatch.setattr(bulk, "QUADS", 150)  # a run every group or two: several at a time
    assert _report(import_dir(registry, folder, workers=1)) == expected
    assert len(overlapped) >= 4 and sum(overlapped) >= 3 and _snapshot(registry) == snapshot
    assert _loading_records(registry.store) == 0 and list(registry.store.path.glob("tinyreg-*")) == []


@pytest.mark.stores("embedded")
def test_a_run_refused_while_the_next_reads_undoes_both_and_goes_file_by_file(
        registry, tmp_path, monkeypatch):
    folder = _fleet(tmp_path / "fleet", count=30)
    expected, snapshot = _imported_and_dropped(registry, folder)
    runs = []
    real = loading._Run._load

    def second_refused(self):  # the loader refuses the second run once its input ended
        runs.append(self)
        real(self)
        if self is runs[1]:
            self.failure = SyntaxError("refused for the test")
    redone, one_by_one = [], bulk._Streamed._one_by_one

    def again(self, results):
        redone.append({device for result in results for device in result.devices})
        one_by_one(self, results)
    monkeypatch.setattr(loading._Run, "_load", second_refused)
    monkeypatch.setattr(bulk._Streamed, "_one_by_one", again)
    monkeypatch.setattr(bulk, "_GROUP", 6)
    monkeypatch.setattr(bulk, "QUADS", 150)
    assert _report(import_dir(registry, folder, workers=1)) == expected
    # the second run's files and the third's (reading when the second was found refused)
    assert len(runs) >= 3 and redone == [runs[1].names | runs[2].names]
    assert _snapshot(registry) == snapshot
    assert list(registry.store.path.glob("bulk-*.sst")) == []
