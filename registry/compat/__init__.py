"""Compatibility: when a model version fits a device, for one pair or a whole fleet.

shapes/ is the one definition. `check_shacl` asks pySHACL about one pair; every other
question runs on the fleet engine, which compiles the same shapes to array operations over
columns read from the store (rebuilt when the store's revision changes) and gives the same
results. See shapes/patterns.ttl for how a constraint is written.
"""
from .engine import Engine, fleet_engine
from ..references import resolve_device, resolve_model
from .questions import (Judged, best_model, check, devices_for_model, judge_device, judge_model,
                        latency_matrix, matrix, misfit_reasons, models_for_device, version_names,
                        what_if)
from .results import HEADROOM, Match, Matrix, Ranked, Result, Verdict, WhatIf, answer_text
from .shacl import check_shacl
from .shapes import Constraint, read_constraints

__all__ = ["HEADROOM", "Constraint", "Engine", "Judged", "Match", "Matrix", "Ranked", "Result",
           "Verdict", "WhatIf", "answer_text", "best_model", "check", "check_shacl",
           "devices_for_model", "fleet_engine", "judge_device", "judge_model",
           "latency_matrix", "matrix", "misfit_reasons",
           "models_for_device", "read_constraints", "resolve_device", "resolve_model",
           "version_names", "what_if"]
