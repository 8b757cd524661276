"""Latency (and energy) estimates per model, device and runtime, with a band that says how
far to trust them, calibrated on MLPerf Tiny v0.5-v1.1 published results.

    estimate(model_facts, device_facts, runtime) -> Estimate     (estimator.py: pure)
    model_facts(registry, version) / device_facts(registry, device)   (facts.py: the store)

cost.py holds the cost model, fit.py refits it from data/mlperf_tiny_v0.5-v1.1.csv,
crossval.py measures it by leaving one board out, reference.py builds the four reference
models the table's results were measured on.
"""
from __future__ import annotations

from .estimator import (Band, DeviceFacts, Estimate, ModelFacts, estimate,
                       register_npu_estimator)
from .facts import device_facts, model_facts
from .families import CORE_FAMILIES, RUNTIME_FAMILIES, parse_runtime

__all__ = ["Band", "CORE_FAMILIES", "DeviceFacts", "Estimate", "ModelFacts", "RUNTIME_FAMILIES",
           "device_facts", "estimate", "model_facts", "parse_runtime", "register_npu_estimator"]
