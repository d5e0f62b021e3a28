"""``changekit init [DIR]``: set up a change repository (or adopt an existing git repository)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import click

from changekit import gitops
from changekit.errors import WorkspaceError
from changekit.records.transaction import mutation
from changekit.workspace import CONFIG_NAME, STATE_DIR, Workspace

FOLDERS = ("change_records", "inventories", "standards", "templates")
EXAMPLE_TEMPLATE = "security-updates.yaml"


def policy_text() -> str:
    from changekit.policy import default_policy_text

    return default_policy_text()


def _gitignore(root: Path) -> str | None:
    """The workspace .gitignore with ``.changekit/`` in it, or ``None`` when it already is."""
    path = root / ".gitignore"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.strip().rstrip("/") in (STATE_DIR, "/" + STATE_DIR) for line in old.splitlines()):
        return None
    sep = "" if not old or old.endswith("\n") else "\n"
    return f"{old}{sep}# changekit's local state: lock, caches, journal\n{STATE_DIR}/\n"


def _gitattributes(root: Path) -> str | None:
    """.gitattributes sending change records through changekit's merge driver (concurrent
    approvals then merge), or ``None`` when it already does."""
    path = root / ".gitattributes"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if f"merge={gitops.MERGE_DRIVER}" in old:
        return None
    sep = "" if not old or old.endswith("\n") else "\n"
    return (
        f"{old}{sep}# concurrent approvals of one change merge (changekit merge-record)\n"
        + gitops.ATTRIBUTES
    )


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.pass_obj
def init(state, directory: str | None) -> None:
    """Set up a changekit workspace in DIR (default: here) and commit it.

    Creates a git repository, or adopts the one DIR is in and commits only the
    files changekit adds: changekit.yaml (the policy), change_records/,
    inventories/, standards/, templates/ and a .gitignore entry for .changekit/.
    """
    root = Path(directory or state.directory or os.getcwd()).resolve()
    if (root / CONFIG_NAME).exists():
        raise WorkspaceError(
            f"{root / CONFIG_NAME} already exists: this is already a changekit workspace",
            hint="edit changekit.yaml to change the policy; changekit init never overwrites it",
        )
    root.mkdir(parents=True, exist_ok=True)
    try:
        repo = gitops.open_repo(root)
        adopted = True
    except WorkspaceError:
        repo = gitops.init_repo(root)
        adopted = False
    gitops.acting_identity(repo)  # fail before writing anything when git cannot commit
    ws = Workspace(root)
    files: dict[Path, str] = {root / CONFIG_NAME: policy_text()}
    for folder in FOLDERS[:-1]:  # templates/ gets the example template instead
        if not any((root / folder).glob("*")):
            files[root / folder / ".gitkeep"] = ""
    example = root / "templates" / EXAMPLE_TEMPLATE
    if not example.exists():
        files[example] = (
            resources.files("changekit.records") / "data" / EXAMPLE_TEMPLATE
        ).read_text("utf-8")
    ignore = _gitignore(root)
    if ignore is not None:
        files[root / ".gitignore"] = ignore
    attributes = _gitattributes(root)
    if attributes is not None:
        files[root / ".gitattributes"] = attributes
    with mutation(ws, repo) as txn:
        for path, text in files.items():
            txn.write(path, text)
        sha = txn.commit("Set up changekit workspace", {gitops.TRAILER_ACTION: "init"})
    gitops.ensure_merge_driver(repo)
    verb = "Adopted the git repository at" if adopted else "Created"
    click.echo(f"{verb} {root} as a changekit workspace (commit {sha[:8]}).")
    click.echo(
        "Next: review changekit.yaml (approvers, windows, freezes), add hosts to inventories/,"
    )
    click.echo("then file a change: changekit change new --title ... --host ...")
