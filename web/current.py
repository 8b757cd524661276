"""The one Registry the app serves, as every view reaches it (flaskr's `get_db`): the app
factory puts it in `app.extensions` under EXTENSION; views call `current_registry()`."""
from __future__ import annotations

from flask import current_app

from tinyreg.registry import Registry

EXTENSION = "tinyreg"


def current_registry() -> Registry:
    return current_app.extensions[EXTENSION]
