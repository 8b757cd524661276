"""The engine a process leaves on disk is the next process's start: refreshed by the change
log to the verdicts of a fresh build, and never taken for the engine of another store."""
from __future__ import annotations

import random
import shutil

from tinyreg.registry import Registry, compat, load_settings
from tinyreg.registry.compat import snapshot
from tinyreg.registry.compat.engine import Engine
from tinyreg.registry.vocab import META_GRAPH

from . import synthetic
from .test_refresh import _assert_same


def _process(settings) -> Registry:
    """A registry as a new CLI process opens it: nothing in memory."""
    return Registry(settings)


def test_the_next_process_starts_from_the_snapshot_and_refreshes_it(settings):
    rng = random.Random(8)
    with _process(settings) as first:
        first.init()
        first.store.bulk_load(list(synthetic.models(12)) + list(synthetic.devices(60)))
        built = compat.fleet_engine(first)
        assert built.origin == "full" and (settings.data_path / snapshot.FILE).is_file()
    with _process(settings) as second:
        engine = compat.fleet_engine(second)
        assert engine.origin == "snapshot" and engine.revision == second.store.revision()
        _assert_same(engine, Engine.load(second.store), rng)
        second.store.put_graphs(dict([synthetic.device_graph(500, rng),
                                      synthetic.model_graph(501, rng)]))
        second.store.delete_graph(engine.fleet.devices[3])
    with _process(settings) as third:
        engine = compat.fleet_engine(third)
        assert engine.origin == "refreshed"
        _assert_same(engine, Engine.load(third.store), rng)
    with _process(settings) as fourth:  # the refreshed engine was kept for it
        assert compat.fleet_engine(fourth).origin == "snapshot"


def test_a_snapshot_of_another_history_or_torn_is_not_used(tmp_path):
    # The embedded store, whose one counter a test can bring to a count exactly.
    settings = load_settings(environ={}, data_dir=str(tmp_path / "data"))
    rng = random.Random(9)
    with _process(settings) as first:
        first.init()
        first.store.bulk_load(list(synthetic.devices(20)) + list(synthetic.models(4)))
        compat.fleet_engine(first)
    kept = tmp_path / "snapshot"
    shutil.copy(settings.data_path / snapshot.FILE, kept)
    # The store replaced by another (its graphs and change log gone) written to the same
    # count, other devices in it.
    with _process(settings) as second:
        count = second.store.revision()
        for name in second.store.graph_names():
            second.store.delete_graph(name)
        second.store.update(f"DROP SILENT GRAPH <{META_GRAPH}>")
    with _process(settings) as again:
        again.init()
        while again.store.revision() < count:
            made = synthetic.model_graph if again.store.revision() % 3 == 0 else synthetic.device_graph
            again.store.put_graph(*made(rng.randrange(100, 10_000), rng))
        assert again.store.revision() == count
    revision = None
    with _process(settings) as third:
        shutil.copy(kept, settings.data_path / snapshot.FILE)
        engine = compat.fleet_engine(third)
        fresh = Engine.load(third.store)
        assert engine.origin == "full" and engine.fleet.shape == fresh.fleet.shape
        assert engine.fleet.devices == fresh.fleet.devices and engine.fleet.models == fresh.fleet.models
        revision = engine.revision
    (settings.data_path / snapshot.FILE).write_bytes(b"\x80\x05 torn")
    with _process(settings) as fourth:
        engine = compat.fleet_engine(fourth)
        assert engine.origin == "full" and engine.revision == revision
