"""The registry's signing key: made by init, private to its owner, published in the graph."""
import stat

import pytest

from tinyreg.registry import Invalid, Registry, load_settings
from tinyreg.registry.keys import (REGISTRY_IRI, key_path, load_key, parse_public_key,
                                   public_key_text)
from tinyreg.registry.store import IRI
from tinyreg.registry.vocab import TR

PUBLISHED = """SELECT ?k WHERE { ?r a ?cls ; ?p ?k }"""


def _published(registry) -> list[str]:
    rows = registry.store.select(PUBLISHED, {"r": IRI(REGISTRY_IRI), "cls": IRI(str(TR.Registry)),
                                             "p": IRI(str(TR.publicKey))})
    return [row["k"] for row in rows]


@pytest.fixture
def fresh(tmp_path):
    registry = Registry(load_settings(environ={}, data_dir=str(tmp_path / "fresh")))
    yield registry
    registry.close()


def test_init_makes_a_key_only_its_owner_can_read(fresh):
    assert not key_path(fresh.data_path).exists()
    fresh.init()
    mode = stat.S_IMODE(key_path(fresh.data_path).stat().st_mode)
    assert mode == 0o600


def test_init_publishes_the_public_key_and_keeps_it(fresh):
    fresh.init()
    public = public_key_text(load_key(fresh.data_path))
    assert _published(fresh) == [public]
    fresh.init()
    assert _published(fresh) == [public]
    assert public_key_text(load_key(fresh.data_path)) == public


def test_the_published_key_parses_back(fresh):
    fresh.init()
    key = parse_public_key(_published(fresh)[0])
    assert public_key_text(key) == public_key_text(load_key(fresh.data_path))


def test_a_bad_public_key_is_a_clear_error():
    with pytest.raises(Invalid, match="Ed25519 public key"):
        parse_public_key("not a key")


def test_tinyreg_key_prints_the_published_key(invoke, runner):
    result = invoke("key")
    assert result.exit_code == 0
    printed = result.output.strip()
    parse_public_key(printed)
    assert invoke("key").output.strip() == printed
