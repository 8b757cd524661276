"""The SPARQL 1.1 Protocol endpoint: /sparql for queries (and updates when enabled), /update.

The routes and their blueprint are in views.py. This package's own import is empty on
purpose: the query workers (worker.py) import their modules from here and must not pay
for Flask.
"""
