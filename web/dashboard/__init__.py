"""The dashboard: server-rendered pages for people, fed by the same calls as the API."""
from .views import bp

__all__ = ["bp"]
