"""The CI definitions shipped with changekit, rendered for a workspace."""

from __future__ import annotations

from importlib import resources

from changekit import __version__

CI_FILES = {
    "github": ("github-actions.yml", ".github/workflows/changekit.yml"),
    "gitlab": ("gitlab-ci.yml", ".gitlab-ci.yml"),
}
"""forge -> (template shipped in changekit/templates/ci/, where it goes in a workspace)."""


def default_install_spec() -> str:
    """What the CI job installs by default: this very changekit version, from the package index."""
    return f"changekit=={__version__}"


def ci_template(forge: str, install: str | None = None) -> str:
    """The CI file for ``forge`` (``github`` or ``gitlab``).

    ``install`` is the pip requirement the job installs (default: this changekit version from
    the package index; a team that installs from its own mirror or a git URL passes that).
    """
    name, _dest = CI_FILES[forge]
    text = (resources.files("changekit") / "templates" / "ci" / name).read_text(encoding="utf-8")
    spec = install or default_install_spec()
    if any(c in spec for c in '"$`\\\n'):
        raise ValueError(f"install spec may not contain quotes, $, backticks or newlines: {spec!r}")
    return text.replace("@INSTALL@", spec)


PROTECTION = {
    "github": """\
Protect the default branch (Settings > Branches > Add branch protection rule, or a ruleset):
  - Require a pull request before merging, with approvals; require review from Code Owners
    (`changekit codeowners` writes .github/CODEOWNERS)
  - Require status checks to pass: the `changekit check` job
  - Do not allow force pushes, do not allow deletions (also for administrators)
  - Allow merge commits only (no squash or rebase merging: they rewrite approvers' commits)
git history proves every lifecycle step, but it cannot see commits a force-push removed:
only the forge can forbid that.""",
    "gitlab": """\
Protect the default branch (Settings > Repository > Protected branches):
  - Allowed to push and merge: No one / Maintainers through merge requests only
  - Allowed to force push: off; Require approval from code owners: on
    (`changekit codeowners --forge gitlab` writes .gitlab/CODEOWNERS)
  - Settings > Merge requests: Pipelines must succeed; Merge method: Merge commit
    (no squash, no fast-forward rebase: they rewrite approvers' commits)
git history proves every lifecycle step, but it cannot see commits a force-push removed:
only the forge can forbid that.""",
}
"""What the forge must enforce for the gate to mean anything, printed by ``changekit ci``."""
