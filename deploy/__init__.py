"""Sending compatible model versions to devices and recording what runs where.

Registry side: `rollout` (plan, start, run/resume, cancel), `rollback`, `targets` (http
push through the device's Thing Description, pull for devices behind NAT), `assignments`
(what the pull endpoints do) and `endpoints` (them as a Flask blueprint), `records` (PROV
deployment records in the graph; reading them back is the core's, registry/deployments.py,
asked through `registry.deployments`). Device side: `agent`, the reference device agent.
Both sides share `protocol`, `manifest` (what the registry signs for a device) and
`device_requests` (what a device signs for the registry). See README.md, "Device-side
protocol".
"""
