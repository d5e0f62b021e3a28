"""Running approved changes: the plan, the gate before it, the rollout, evidence, verification."""
