"""The real files in ../shared/ref (W3C plugfest TDs, PlatformIO and Zephyr board files).

Skipped when that folder is not beside the repository. Every file must either register or
fail with a message; the known-bad ones fail for the reason they are bad.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tinyreg.registry.devices.register import import_dir

REF = Path(__file__).resolve().parents[2] / ".." / "shared" / "ref"

pytestmark = pytest.mark.skipif(not REF.is_dir(), reason="../shared/ref is not present")


def test_every_reference_file_registers_or_says_why(registry):
    results = import_dir(registry, REF)
    assert len(results) > 300
    failed = {Path(r.path).name: r.error for r in results if not r.ok}
    assert failed == {}
    # The UNIBO plugfest TD spells "@id" beside "id"; the JSON-LD processor refuses it, and it
    # is read as TD JSON, as node-wot and TD directories read it, with a warning.
    [unibo] = [r for r in results if Path(r.path).name == "UNIBO__imu_sensor.td.jsonld"]
    assert any("colliding keywords" in w and "read as TD JSON" in w for w in unibo.warnings)
    boards = [r for r in results if r.format in ("platformio", "zephyr")]
    assert len(boards) == len([r for r in results if r.path.endswith((".json", ".yaml"))
                               and "wot-td" not in r.path])
    rows = registry.store.select("""
        PREFIX tr: <https://w3id.org/tinyreg/ontology#>
        SELECT (COUNT(?d) AS ?n) WHERE { ?d tr:sourceFormat ?f ; tr:usableRamBytes ?ram }""")
    assert rows[0]["n"] >= 300
