"""Fixtures for the remote store's own tests: the session's Oxigraph server, emptied."""
from __future__ import annotations

import dataclasses

import pytest

from tinyreg.registry.store.remote import RemoteStore


@pytest.fixture
def server(oxigraph_server):
    oxigraph_server.clear()
    return oxigraph_server


@pytest.fixture
def remote(server):
    store = RemoteStore(server.query_url)
    yield store
    store.close()


def without_atomic_updates(store: RemoteStore) -> RemoteStore:
    """The store as it behaves on a server that does not run a request as one transaction."""
    store.profile = dataclasses.replace(store.profile, atomic_updates=False)
    return store
