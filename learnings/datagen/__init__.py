"""manage.py generate_data: a realistic installation of any size, for benchmarks."""

from .load import Load, Plan, Report
from .safety import Refused

__all__ = ["Load", "Plan", "Refused", "Report"]
