"""The fuzzed device files of tests/devices/fuzz_files.py uploaded to POST /api/devices: each
is registered (201) or refused with a problem document (400, or 409 for another source's
identifier), never a 500, and the server logs no traceback.

Each run uploads a third of the 1,500 files of each format, a new third each run (run_seed):
the readers behind the API get every file in tests/devices/test_fuzz.py, and
tests/web/test_one_intake.py holds the API's answers to theirs; what is tried here is the
answer over HTTP, and all 7,500 uploads took 46 s of the suite.
"""
from __future__ import annotations

import logging
import random
from collections import Counter

import pytest

from ..devices import fuzz_files
from ..conftest import FUZZ_COUNT
from .conftest import TOKEN

PROBLEM = "application/problem+json"


# What is fuzzed is the readers behind the API, the same on both stores.
@pytest.mark.stores("embedded")
@pytest.mark.parametrize("fmt", fuzz_files.FORMATS)
def test_every_fuzzed_upload_gets_201_or_a_problem(client, caplog, fuzz_corpus, fmt, run_seed):
    sample = random.Random(run_seed).sample(fuzz_corpus[fmt], FUZZ_COUNT // 3)
    statuses = Counter()
    with caplog.at_level(logging.ERROR):
        for name, data in sample:
            answer = client.post("/api/devices", query_string={"filename": name}, data=data,
                                 content_type="application/octet-stream",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
            statuses[answer.status_code] += 1
            if answer.status_code == 201:
                assert answer.get_json()["devices"] or answer.get_json()["models"], name
            else:
                assert answer.status_code in (400, 409, 413), (name, answer.status_code)
                problem = answer.get_json()
                assert answer.mimetype == PROBLEM and problem["status"] == answer.status_code
                # a problem of the file names it; an empty or oversized upload is the request's
                assert problem["detail"].startswith(name + ": ") or not data or answer.status_code == 413
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum(statuses.values()) == len(sample) and statuses[201] and statuses[400], statuses
