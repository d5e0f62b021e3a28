"""The CI definitions shipped with changekit, rendered for a workspace."""

from __future__ import annotations

from importlib import resources

from changekit import __version__

CI_FILES = {
    "github": ("github-actions.yml", ".github/workflows/changekit.yml"),
    "gitlab": ("gitlab-ci.yml", ".gitlab-ci.yml"),
}
"""forge -> (template shipped in changekit/templates/ci/, where it goes in a workspace)."""


def ci_template(forge: str) -> str:
    """The CI file for ``forge`` (``github`` or ``gitlab``), pinned to this changekit version."""
    name, _dest = CI_FILES[forge]
    text = (resources.files("changekit") / "templates" / "ci" / name).read_text(encoding="utf-8")
    return text.replace("@VERSION@", __version__)
