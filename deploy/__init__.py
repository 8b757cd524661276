"""Sending compatible model versions to devices and recording what runs where.

Registry side: `rollout` (plan, start, run/resume, cancel), `rollback`, `targets` (http
push through the device's Thing Description, pull for devices behind NAT), `assignments`
(the pull endpoints as a WSGI app), `records` (PROV deployment records in the graph),
`status` (reading them back). Device side: `agent`, the reference device agent. Both sides
share `protocol` and `manifest`. See README.md, "Device-side protocol".
"""
from .status import (deployment_status, list_deployments, list_rollouts, rollout_status,
                     what_runs_where)

__all__ = ["deployment_status", "list_deployments", "list_rollouts", "rollout_status",
           "what_runs_where"]
