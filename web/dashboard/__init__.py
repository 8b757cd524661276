"""The dashboard: server-rendered pages for people, fed by the same calls as the API."""
from .labels import human_label, human_time
from .views import bp

bp.add_app_template_filter(human_label, "human")
bp.add_app_template_filter(human_time, "when")

__all__ = ["bp"]
