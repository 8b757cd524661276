"""`tinyreg store check`: the store contract against the configured store, one line a check."""
from __future__ import annotations

import pytest

from tinyreg.registry.store.contract import CHECKS

# What Virtuoso 7.2.5 does differently, none of which the registry relies on.
VIRTUOSO_DIFFERS = {"two * paths in one query, bound at opposite ends",
                    "true and 1 stay two values of one property",
                    "doubles read back with all their digits"}


def test_store_check_reports_each_check_on_one_line(invoke, store_kind):
    result = invoke("store", "check")
    lines = result.output.splitlines()
    verdicts = {line.split("  ", 1)[1].split(":", 1)[0]: line.split("  ", 1)[0]
                for line in lines if line.startswith(("PASS", "FAIL", "DIFF"))}
    assert set(verdicts) == {name for name, _, _ in CHECKS}
    differ = VIRTUOSO_DIFFERS if store_kind == "virtuoso" else set()
    assert {name for name, verdict in verdicts.items() if verdict == "DIFF"} == differ
    assert "FAIL" not in verdicts.values()
    assert result.exit_code == 0
    assert lines[-1].startswith(f"{len(CHECKS) - len(differ)} passed, 0 failed")


@pytest.mark.stores("virtuoso")
def test_store_check_fails_with_the_servers_refusal_and_exit_1(runner, remote_server):
    from tinyreg.web.cli import cli
    result = runner.invoke(cli, ["store", "check"], env={"TINYREG_STORE_PASSWORD": "wrong"})
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert failed and all("refused the credentials" in line for line in failed)
