"""Ontology terms and timestamps as the dashboard prints them."""
from __future__ import annotations

import pytest

from tinyreg.web.dashboard.labels import human_label, human_time


@pytest.mark.parametrize("term, label", [
    ("CortexM4F", "Cortex-M4F"), ("EthosU55", "Ethos-U55"),
    ("MicrocontrollerBoard", "Microcontroller board"),
    ("GreedyPlannerEstimate", "Greedy planner estimate"),
    ("https://w3id.org/tinyreg/ontology#Accuracy", "Accuracy"),
    ("PDMMicrophone", "PDM microphone"), ("ESP32S3", "ESP32-S3"), ("WiFi", "Wi-Fi"),
    ("LiteRT", "LiteRT"), ("TFLM", "TFLM"), ("nRF52840", "nRF52840"),
    ("keyword-spotting", "keyword-spotting"), (None, "–"),
])
def test_terms_read_as_words(term, label):
    assert human_label(term) == label


def test_timestamps_read_in_utc_to_the_minute():
    assert human_time("2026-12-06T20:03:58.123+01:00") == "2026-12-06 19:03 UTC"
    assert human_time("2026-12-06T19:03:58Z") == "2026-12-06 19:03 UTC"
    assert human_time("not a time") == "not a time"
