"""The CI gate: ``changekit check`` proves every record obeys the schema, the policy and git history."""

from changekit.gate.run import Report, run_check

__all__ = ["Report", "run_check"]
