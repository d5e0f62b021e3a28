"""The team's policy (``changekit.yaml``): approvals, maintenance windows, freezes, lead time, conflicts.

Pure functions over records: nothing here runs git. The CI gate (``changekit.gate``) proves
approvals from history and then asks the policy whether what is proven is enough.
"""

from __future__ import annotations

from changekit.policy.access import ACTIVE_STATUSES, SUBSTANCE_FIELDS, substance
from changekit.policy.approvals import Requirement
from changekit.policy.default import DEFAULT_POLICY
from changekit.policy.load import load_policy, load_policy_file, policy_from_data
from changekit.policy.model import Policy


def default_policy_text() -> str:
    """The commented default ``changekit.yaml``; it validates as it is."""
    return DEFAULT_POLICY


__all__ = [
    "ACTIVE_STATUSES",
    "SUBSTANCE_FIELDS",
    "Policy",
    "Requirement",
    "default_policy_text",
    "load_policy",
    "load_policy_file",
    "policy_from_data",
    "substance",
]
