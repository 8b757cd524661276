"""While one thread brings the fleet engine up to date after a write, other readers of the
listings are answered from the engine before that write instead of queueing behind the
refresh; a reader asking about what only the write added, and a deploy's gate, wait."""
from __future__ import annotations

import random
import threading
import time

import pytest

from tinyreg.registry import compat
from tinyreg.registry.compat import engine as engine_module
from tinyreg.registry.compat.engine import Engine, engine_for

from . import synthetic


@pytest.fixture
def refreshing(registry, monkeypatch):
    """A registry whose engine one thread is refreshing after a device was added; the
    refresh holds until `done()` lets it finish."""
    registry.store.bulk_load(list(synthetic.models(3)) + list(synthetic.devices(20)))
    before = compat.fleet_engine(registry)
    new_iri, text = synthetic.device_graph(500, random.Random(5))
    registry.store.put_graph(new_iri, text)
    started, release = threading.Event(), threading.Event()
    real = Engine.refreshed

    def held_refresh(self):
        started.set()
        assert release.wait(timeout=120)
        return real(self)
    monkeypatch.setattr(Engine, "refreshed", held_refresh)
    refresher = threading.Thread(target=compat.fleet_engine, args=(registry,))
    refresher.start()
    assert started.wait(timeout=60)
    def done() -> None:
        release.set()
        refresher.join(timeout=120)
        assert not refresher.is_alive()
    yield registry, before, new_iri, done
    done()


def test_readers_read_the_engine_before_the_write_while_it_refreshes(refreshing):
    registry, before, new_iri, done = refreshing
    model = before.fleet.models[0]
    # Answered at once, from the engine before the write: the new device is not listed yet.
    assert engine_for(registry, model) is before
    listed = compat.devices_for_model(registry, model, explain=True)
    assert {m.iri for m in listed} == set(before.fleet.devices)
    assert compat.matrix(registry).devices == before.fleet.devices
    done()
    # Once the refresh is done, the same question sees the write.
    after = engine_for(registry, model)
    assert after is not before and after.revision == registry.store.revision()
    assert new_iri in {m.iri for m in compat.devices_for_model(registry, model, explain=True)}


def test_a_reader_asking_about_what_the_write_added_waits_for_it(refreshing):
    registry, before, new_iri, done = refreshing
    answers = []
    reader = threading.Thread(target=lambda: answers.append(engine_for(registry, new_iri)))
    reader.start()
    reader.join(timeout=1)
    assert reader.is_alive() and not answers  # queued behind the refresh
    done()
    reader.join(timeout=120)
    assert answers and answers[0].knows(new_iri)
    assert answers[0].revision == registry.store.revision()


def test_the_gate_waits_for_the_refresh(refreshing):
    registry, before, _, done = refreshing
    answers = []
    gate = threading.Thread(target=lambda: answers.append(compat.fleet_engine(registry)))
    gate.start()
    gate.join(timeout=1)
    assert gate.is_alive() and not answers
    done()
    gate.join(timeout=120)
    assert answers[0] is not before and answers[0].revision == registry.store.revision()
    assert not registry.cache.get(engine_module._REFRESHING_KEY)


@pytest.fixture
def written(registry, monkeypatch):
    """A registry with its engine built, then a device added: the engine is a write behind.
    Its 20 devices count as a fleet large enough to be read a write behind."""
    monkeypatch.setattr(engine_module, "STALE_FROM_DEVICES", 20)
    registry.store.bulk_load(list(synthetic.models(3)) + list(synthetic.devices(20)))
    before = compat.fleet_engine(registry)
    new_iri, text = synthetic.device_graph(600, random.Random(6))
    registry.store.put_graph(new_iri, text)
    return registry, before, new_iri


def _refreshes_in(monkeypatch, release: threading.Event | None = None) -> list[str]:
    """The names of the threads Engine.refreshed runs in; with `release`, it holds until set."""
    threads, real = [], Engine.refreshed

    def recorded(self):
        threads.append(threading.current_thread().name)
        if release is not None:
            assert release.wait(timeout=120)
        return real(self)
    monkeypatch.setattr(Engine, "refreshed", recorded)
    return threads


def test_a_reader_after_a_write_waits_for_a_quick_refresh_run_in_a_thread_of_its_own(written, monkeypatch):
    registry, before, new_iri = written
    monkeypatch.setattr(engine_module, "FRESH_WAIT_S", 120)  # "quick": whatever it takes here
    threads = _refreshes_in(monkeypatch)
    engine = engine_for(registry, before.fleet.models[0])
    assert engine.revision == registry.store.revision() and engine.knows(new_iri)
    assert engine.origin == "patched" and threads == ["engine-refresh"]


def test_past_the_wait_readers_read_the_engine_before_the_write_and_the_gate_waits(written, monkeypatch):
    registry, before, new_iri = written
    monkeypatch.setattr(engine_module, "FRESH_WAIT_S", 0)
    release = threading.Event()
    threads = _refreshes_in(monkeypatch, release)
    model = before.fleet.models[0]
    try:
        # No one else was refreshing: the reader started it, and did not wait for it.
        assert engine_for(registry, model) is before
        assert engine_for(registry, model) is before
        for _ in range(1200):  # the refresh's thread is under way before the gate asks
            if threads:
                break
            time.sleep(0.1)
        gate = []
        waiting = threading.Thread(target=lambda: gate.append(compat.fleet_engine(registry)))
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive() and not gate
    finally:
        release.set()
    waiting.join(timeout=120)
    assert gate[0].revision == registry.store.revision() and gate[0].knows(new_iri)
    assert threads == ["engine-refresh"]  # one refresh, in its own thread; the gate took its engine
    assert engine_for(registry, model) is gate[0]


def test_a_refresh_that_fails_in_the_background_is_reported_to_the_reader(written, monkeypatch):
    registry, before, _ = written
    monkeypatch.setattr(engine_module, "FRESH_WAIT_S", 120)

    def broken(self):
        raise RuntimeError("the store went away")
    monkeypatch.setattr(Engine, "refreshed", broken)
    with pytest.raises(RuntimeError, match="went away"):
        engine_for(registry, before.fleet.models[0])


def test_a_small_fleet_is_read_after_the_write(written, monkeypatch):
    registry, before, new_iri = written
    monkeypatch.setattr(engine_module, "STALE_FROM_DEVICES", 22)
    monkeypatch.setattr(engine_module, "FRESH_WAIT_S", 0)
    threads = _refreshes_in(monkeypatch)
    engine = engine_for(registry, before.fleet.models[0])
    assert engine.knows(new_iri) and threads == [threading.current_thread().name]


def test_closing_the_registry_waits_for_the_refresh_running_in_the_background(written, monkeypatch, caplog):
    registry, before, _ = written
    monkeypatch.setattr(engine_module, "FRESH_WAIT_S", 0)
    release = threading.Event()
    threads = _refreshes_in(monkeypatch, release)
    assert engine_for(registry, before.fleet.models[0]) is before  # the refresh is under way
    closing = threading.Thread(target=registry.close)
    closing.start()
    closing.join(timeout=1)
    assert closing.is_alive()  # the store stays open while the refresh reads it
    release.set()
    closing.join(timeout=120)
    assert not closing.is_alive() and threads == ["engine-refresh"]
    assert "failed" not in caplog.text


def test_a_judged_question_is_worked_out_once_per_engine(written, monkeypatch):
    """Readers of the same question of the same engine share one judgement; the engine after
    a write judges afresh, and its answer holds the device the write added."""
    registry, before, new_iri = written
    model = before.fleet.models[0]
    outcomes, real = [], Engine.outcomes

    def counted(self, *args, **kwargs):
        outcomes.append(self)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Engine, "outcomes", counted)
    monkeypatch.setattr(engine_module, "STALE_FROM_DEVICES", 10_000)  # read after the write
    first = compat.judge_model(registry, model)
    assert compat.judge_model(registry, model) is first and len(outcomes) == 1
    assert first.total == len(before.fleet.devices) + 1
    assert new_iri in {m.iri for m in first.matches(explain=True)}
    registry.store.delete_graph(new_iri)
    after = compat.judge_model(registry, model)
    assert after is not first and len(outcomes) == 2 and after.total == len(before.fleet.devices)
    assert new_iri not in {m.iri for m in after.matches(explain=True)}
