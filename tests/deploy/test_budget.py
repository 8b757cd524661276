"""The arena a device test-loads a model in is what the compatibility shapes leave it: the
agent asks registry.compat for it and the gate compares needs with the same figure."""
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tinyreg.deploy.agent import Device
from tinyreg.registry import compat
from tinyreg.registry.compat.budget import free_bytes
from tinyreg.registry.devices.register import add_device
from tinyreg.registry.references import resolve_model
from tinyreg.registry.vocab import TR

from .conftest import make_td

KEY = Ed25519PrivateKey.generate().public_key()
RAM, FLASH = str(TR.usableRamBytes), str(TR.usableFlashBytes)


def _td(name: str, **changes) -> dict:
    td = make_td(name, ram=14336, reserved_ram=2048, flash=65536)
    td.update(changes)
    return td


CASES = {
    # TFLM states no overhead of its own: the runtime cost table's figure (registry/runtime_costs.csv).
    "typical": _td("typical"),
    "stated": _td("stated", runtimes=[{"runtime": "TFLM", "ramOverheadBytes": 1000,
                                        "codeBytes": 30000}]),
    "no-reserve": _td("no-reserve", reservedRamBytes=0),
    "reserved-flash": _td("reserved-flash", reservedFlashBytes=4096),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_agent_and_the_gate_see_the_same_budget(registry, tmp_path, case):
    device = Device.from_td(CASES[case], None, tmp_path, KEY)
    add_device(registry, device.published_td().encode(), f"{case}.td.jsonld")
    gate = free_bytes(compat.fleet_engine(registry), device.iri)
    assert (device.budget.arena_bytes, device.budget.flash_bytes) == (gate[RAM], gate[FLASH])
    # The shapes refuse conv@1 (a ~12 KB arena) here: their message's figures say what is
    # free for it, the same figure again.
    verdict = compat.check(registry, resolve_model(registry, "conv@1"), device.iri)
    [ram] = [r for r in verdict.violations if r.path == str(TR.arenaBytes)]
    runtime = ram.figures["items"][1]  # the arena, then the runtime's own cost
    assert ram.figures["available"] - runtime["bytes"] == device.budget.arena_bytes


def test_the_budget_follows_the_leanest_installed_runtime(tmp_path):
    td = _td("two", runtimes=[{"runtime": "TFLM", "ramOverheadBytes": 6000},
                              {"runtime": "TFLM", "ramOverheadBytes": 2000}])
    assert Device.from_td(td, None, tmp_path, KEY).budget.arena_bytes == 14336 - 2048 - 2000


def test_a_linux_device_loads_without_an_arena_and_a_board_without_ram_cannot(tmp_path):
    linux = Device.from_td(make_td("pi", linux=True), None, tmp_path, KEY)
    assert (linux.budget.runtime, linux.budget.arena_bytes) == ("LiteRT", None)
    bare = _td("bare")
    del bare["ramBytes"]
    assert Device.from_td(bare, None, tmp_path, KEY).budget.arena_bytes is None
