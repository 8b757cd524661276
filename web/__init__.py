"""tinyreg's front ends over the core: the Flask web app and the click command line.

Importing this package imports neither Flask nor click; each front end imports what it needs.
"""
