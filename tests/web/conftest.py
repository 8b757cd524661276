"""Fixtures for the web front end.

The data (the bundled catalog and a model measured on TFLM) is built once per session into
a seed data directory; each module that needs a registry gets its own copy (on the
embedded store, or poured into an Oxigraph server of its own), so a module may write.
`make_app` serves the same store under other settings.
"""
from __future__ import annotations

import socket
import threading

import pytest

from tinyreg.registry import Registry, load_settings
from tinyreg.registry.devices.register import load_catalog
from tinyreg.registry.models import register_model
from tinyreg.registry.tflite import writer
from tinyreg.web.app import create_app

from ..conftest import registry_from_seed

TOKEN = "test-token-7d1c"
KWS_CARD = {"name": "KWS tiny", "task": "keyword-spotting", "sensors": ["microphone"],
            "license": "Apache-2.0",
            "metrics": [{"metric": "accuracy", "value": 0.9, "dataset": "Speech Commands"}]}


def kws_model() -> bytes:
    return writer.conv2d(size=16, channels=1, filters=4)


def load_demo(registry: Registry) -> Registry:
    load_catalog(registry)
    register_model(registry, kws_model(), KWS_CARD)
    return registry


@pytest.fixture(scope="session")
def web_seed(tmp_path_factory):
    """A data directory with the catalog and one keyword-spotting model; its store closed."""
    data = tmp_path_factory.mktemp("web-seed") / "data"
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        registry.init()
        load_demo(registry)
    return data


@pytest.fixture(scope="module")
def loaded(web_seed, tmp_path_factory, module_store_settings):
    """A copy of the seed for this module, on each store (the artifacts and the signing key
    stay in the copied data directory)."""
    registry = registry_from_seed(web_seed, tmp_path_factory.mktemp("web") / "data",
                                  module_store_settings, write_token=TOKEN)
    yield registry
    registry.close()


def make_app(registry: Registry, **settings):
    """An app over `registry`'s store with these settings changed."""
    view = Registry(registry.settings.with_overrides(**settings), store=registry.store)
    return create_app({"TESTING": True}, registry=view)


@pytest.fixture(scope="module")
def app(loaded):
    app = make_app(loaded)
    yield app
    app.extensions["tinyreg.runner"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(app):
    """The app on waitress (the server `tinyreg serve` runs), on a loopback port."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)
