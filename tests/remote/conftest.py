"""Fixtures for the remote store's own tests: each kind of server the suite runs, emptied."""
from __future__ import annotations

import dataclasses

import pytest

from tinyreg.registry.store.remote import RemoteStore

from ..conftest import REMOTE, open_remote


def pytest_generate_tests(metafunc):
    """`server_kind`: each remote kind the suite runs, or those a test's
    `@pytest.mark.stores(...)` names (a test of one server's behaviour)."""
    if "server_kind" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("stores")
        kinds = [k for k in REMOTE if marker is None or k in marker.args]
        metafunc.parametrize("server_kind", kinds, ids=kinds, scope="module")


@pytest.fixture
def server(server_kind, servers):
    server = servers(server_kind)
    server.clear()
    return server


@pytest.fixture
def remote(server):
    store = open_remote(server.settings)
    yield store
    store.close()


def without_atomic_updates(store: RemoteStore) -> RemoteStore:
    """The store as it behaves on a server that does not run a request as one transaction."""
    store.profile = dataclasses.replace(store.profile, atomic_updates=False)
    return store
