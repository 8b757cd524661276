"""Device identifiers are minted injectively from source ids (vocab.device_id), checked over a
generated corpus of ids built to collide under slugging: every case, separator and script
variant of the same words, ids that only differ past the 120th character, ids that already
look minted, and ids with nothing left in a slug."""
from __future__ import annotations

import random
import unicodedata

import pyoxigraph as ox

from tinyreg.registry.vocab import device_id, device_iri, is_device_id, slug

WORDS = ["esp", "eye", "urn", "a", "b", "dev", "ops", "kws", "node", "17", "nrf5340dk",
         "cpuapp", "日本", "🚀", "é", "ｅｓｐ", "ß", "İ", "Ω", "x" * 130]
SEPARATORS = [":", "-", "_", "/", ".", " ", "--", "#", "\u00a0", "", "\t", "@"]


def _corpus(count: int, seed: int = 12) -> set[str]:
    rng = random.Random(seed)
    ids = {"esp:eye", "esp-eye", "urn:a:b", "urn-a:b", "URN:A:B", "urn:dev:日本", "urn:dev:🚀",
           "!!!", "", "-", "a--b", "abc--aaaaaaaa", "e\u0301", "\u00e9", "a" * 120, "a" * 121}
    while len(ids) < count:
        words = rng.choices(WORDS, k=rng.randint(1, 5))
        text = "".join(w + rng.choice(SEPARATORS) for w in words).rstrip()
        case = rng.random()
        if case < 0.2:
            text = text.upper()
        elif case < 0.3:
            text = unicodedata.normalize("NFKD", text)
        ids.add(text)
        ids.add(device_id(text))  # an id that looks minted must not meet the one it looks like
    return ids


def test_different_source_ids_never_share_an_identifier():
    ids = _corpus(60_000)
    minted = {device_id(i) for i in ids}
    assert len(minted) == len(ids)


def test_an_identifier_is_well_formed_readable_and_kept_when_already_safe():
    for source in _corpus(5_000, seed=3):
        identifier = device_id(source)
        assert is_device_id(identifier) and len(identifier) <= 120
        ox.NamedNode(device_iri(identifier))  # a valid IRI
        if source == identifier:
            assert "--" not in source
        else:
            readable, digest = identifier.rsplit("--", 1)
            assert len(digest) == 8
            try:
                assert readable == slug(source)[:110].strip("-")
            except ValueError:  # nothing of the source survives slugging
                assert readable == "id"
    assert device_id("arduino-nano-33-ble-sense-rev2") == "arduino-nano-33-ble-sense-rev2"
    assert device_id("urn:dev:ops:kws-node-17") == "urn-dev-ops-kws-node-17--gq26unzx"


def test_a_name_that_is_no_identifier_has_no_device_iri():
    for text in ("urn:dev:x", "Esp-Eye", "a--b", "x--abc", "", "a" * 121):
        try:
            device_iri(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was taken as an identifier")
