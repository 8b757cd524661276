"""The Registry's typed collaborators: what the CLI, the API and the dashboard call.

`registry.models`, `registry.devices`, `registry.compat` and `registry.deployments` each
take the references people type (references.py), typed filters and a `Page` (paging.py),
and answer typed values: pages that carry their counts, verdicts, fit overviews. A caller
parses its input into these arguments, calls one method and renders what comes back.
"""
