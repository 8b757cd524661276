"""Reading and measuring .tflite models, without TensorFlow.

`analyse` validates a file and summarises it (analysis.py). `writer` makes valid models for
tests, demo data and benchmarks.
"""
from __future__ import annotations

from .analysis import ModelAnalysis, OperatorUse, TensorSpec, analyse, summarise

__all__ = ["ModelAnalysis", "OperatorUse", "TensorSpec", "analyse", "summarise"]
