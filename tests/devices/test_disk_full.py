"""A disk that fills up during `device import` or `device add`: one clear error, no stray
files of the bulk loader, and a store that opens again with every device whole.

The real thing runs on a 12 MB tmpfs mounted for the test (it needs root; where mounting is
impossible that test is skipped, saying why); the loader's failure is also injected at the
write layer so that the clean-up is tested everywhere.
"""
from __future__ import annotations

import errno
import os
import random
import subprocess
from pathlib import Path

import pytest

from tinyreg.registry import Registry, Unavailable, load_settings
from tinyreg.registry.devices.register import import_dir, list_devices
from tinyreg.registry.store import EmbeddedStore
from tinyreg.registry.store.loading import PIPE, RECORDS

from ..conftest import DATA, run_tinyreg as _tinyreg

TD = (DATA / "devices" / "td11-tinyml.jsonld").read_text(encoding="utf-8")


def _fleet(folder: Path, count: int, title_bytes: int) -> Path:
    """TDs whose titles (random, so that no compression shrinks them) make a fleet bigger
    than the disk."""
    folder.mkdir()
    rng = random.Random(7)
    for i in range(count):
        text = TD.replace("kws-node-17", f"full-{i}").replace(
            "Keyword spotter, line 3", f"{i} " + rng.randbytes(title_bytes // 2).hex())
        (folder / f"td-{i}.jsonld").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here: {done.stderr.strip() or done.returncode}")
    yield mount
    if subprocess.run(["umount", str(mount)], capture_output=True, timeout=30).returncode != 0:
        # a file still open keeps it busy (the test has said so): detached, not left behind
        subprocess.run(["umount", "--lazy", str(mount)], capture_output=True, timeout=30)


def _loading_files_open() -> list[str]:
    """The bulk loads' own files (names, pipe) this process holds open."""
    held = (os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink())
    return [path for path in held if RECORDS in path or PIPE in path]


def _bulk_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "store").glob("bulk-*"))


def _reopened_devices(data_dir: Path) -> list[dict]:
    with Registry(load_settings(environ={}, data_dir=str(data_dir))) as registry:
        return list_devices(registry)


def test_an_import_that_fills_the_disk_stops_with_a_clear_error(small_disk, tmp_path):
    data = small_disk / "data"
    fleet = _fleet(tmp_path / "fleet", 400, 40_000)  # 16 MB of titles for a 12 MB disk
    with Registry(load_settings(environ={}, data_dir=str(data))) as registry:
        registry.init()
        with pytest.raises(Unavailable, match=r"the disk of the store .* is full"):
            import_dir(registry, fleet)
        assert _loading_files_open() == []  # the load's list of names is closed, not left to the GC
    assert _bulk_files(data) == []
    assert _reopened_devices(data) == []  # the batch that did not fit left nothing


def test_the_command_line_says_the_disk_is_full_in_one_line(small_disk, tmp_path):
    data = small_disk / "data"
    assert _tinyreg("init", data_dir=data).returncode == 0
    small = _fleet(tmp_path / "small", 3, 100)
    assert _tinyreg("device", "import", str(small), data_dir=data).returncode == 0

    result = _tinyreg("device", "import", str(_fleet(tmp_path / "big", 400, 40_000)), data_dir=data)
    assert result.returncode == 3 and "Traceback" not in result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if not line.startswith("importing")]
    assert len(said) == 1 and said[0].startswith("Error: the disk of the store")  # and the bar
    assert "is full" in said[0]
    assert _bulk_files(data) == []

    filler = small_disk / "filler"  # now nothing is left for a single device either
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, timeout=60)
    one = tmp_path / "one.jsonld"
    one.write_text(TD.replace("kws-node-17", "one-more"), encoding="utf-8")
    result = _tinyreg("device", "add", str(one), data_dir=data)
    assert result.returncode == 3 and "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "is full" in result.stderr
    filler.unlink()
    # every device the store holds is whole: the three of the first import, nothing else
    assert sorted(row["name"][0] for row in _reopened_devices(data)) == ["0", "1", "2"]


class _FullDisk:
    """Oxigraph's store whose bulk loader writes a file of its own and then finds the disk full."""

    def __init__(self, store, folder: Path):
        self._store, self._folder = store, folder

    def __getattr__(self, name):
        return getattr(self._store, name)

    def bulk_load(self, *args, **kwargs):
        (self._folder / "bulk-1234.sst").write_bytes(b"\0" * 4096)
        raise OSError(errno.ENOSPC, "IO error: No space left on device")


def test_a_bulk_load_the_disk_refuses_leaves_neither_its_files_nor_its_graphs(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    real = store._ox
    store._ox = _FullDisk(real, tmp_path / "store")
    graph = "<urn:a> <urn:b> <urn:c> .\n"
    with pytest.raises(Unavailable, match="is full"):
        store.load_new_graphs([("urn:g:1", graph), ("urn:g:2", graph)])
    store._ox = real
    assert list((tmp_path / "store").glob("bulk-*")) == []
    assert not store.has_graph("urn:g:1") and not store.has_graph("urn:g:2")
    store.load_new_graphs([("urn:g:1", graph)])  # and the store takes writes again
    assert store.has_graph("urn:g:1")
    store.close()
