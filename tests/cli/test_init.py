"""``changekit init``: a new repository, adopting an existing one, never clobbering."""

from __future__ import annotations

import subprocess

from tests.records.gitrepos import git


def test_init_creates_and_commits_a_workspace(run_cli, tmp_path):
    result = run_cli("init", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    ws = tmp_path / "ws"
    for folder in ("change_records", "inventories", "standards", "templates"):
        assert (ws / folder).is_dir()
    assert (ws / "templates" / "security-updates.yaml").is_file()
    assert ".changekit/" in (ws / ".gitignore").read_text().splitlines()
    from changekit.policy import default_policy_text, load_policy
    from changekit.workspace import Workspace

    assert (ws / "changekit.yaml").read_text() == default_policy_text()
    load_policy(Workspace(ws))  # the written policy loads
    assert git(ws, "status", "--porcelain") == ""
    assert (
        git(ws, "log", "--format=%an <%ae>|%s")
        == "Test Runner <runner@example.org>|Set up changekit workspace"
    )
    assert "Changekit-Action: init" in git(ws, "log", "-1", "--format=%B")
    # the next command finds the workspace from a subdirectory
    listed = run_cli("change", "list", cwd=ws / "change_records")
    assert listed.exit_code == 0, listed.output


def test_init_adopts_an_existing_repository_and_commits_only_its_files(run_cli, tmp_path):
    repo = tmp_path / "ops"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("ops repo\n")
    (repo / ".gitignore").write_text("*.pyc")
    git(repo, "add", "README.md", ".gitignore")
    git(repo, "commit", "-qm", "start")
    (repo / "notes.txt").write_text("private, untracked\n")
    (repo / "staged.txt").write_text("staged by the user\n")
    git(repo, "add", "staged.txt")

    result = run_cli("-C", str(repo), "init")
    assert result.exit_code == 0, result.output
    assert "Adopted" in result.stdout
    committed = git(repo, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(committed) == [
        ".gitattributes",
        ".gitignore",
        "change_records/.gitkeep",
        "changekit.yaml",
        "inventories/.gitkeep",
        "standards/.gitkeep",
        "templates/security-updates.yaml",
    ]
    assert (repo / ".gitignore").read_text().startswith("*.pyc\n")
    # change records merge through changekit's driver, configured in this clone
    assert "change_records/*.yaml merge=changekit-record" in (repo / ".gitattributes").read_text()
    assert "merge-record %O %A %B %P" in git(repo, "config", "merge.changekit-record.driver")
    status = git(repo, "status", "--porcelain").splitlines()
    assert "A  staged.txt" in status and "?? notes.txt" in status


def test_init_refuses_to_clobber_a_workspace(run_cli, tmp_path):
    assert run_cli("init", str(tmp_path)).exit_code == 0
    (tmp_path / "changekit.yaml").write_text("version: 1\n# mine\n")
    head = git(tmp_path, "rev-parse", "HEAD")
    again = run_cli("init", str(tmp_path))
    assert again.exit_code == 5
    assert "already a changekit workspace" in again.stderr
    assert (tmp_path / "changekit.yaml").read_text() == "version: 1\n# mine\n"
    assert git(tmp_path, "rev-parse", "HEAD") == head


def test_init_without_a_git_identity_writes_nothing(run_cli, tmp_path, monkeypatch):
    (tmp_path / "empty-gitconfig").write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "empty-gitconfig"))
    monkeypatch.setenv("EMAIL", "")
    result = run_cli("init", str(tmp_path / "ws"))
    assert result.exit_code == 5
    assert "git does not know who you are" in result.stderr
    assert not (tmp_path / "ws" / "changekit.yaml").exists()


def test_init_through_the_console_script(tmp_path):
    import shutil
    import sys
    from pathlib import Path

    exe = shutil.which("changekit") or str(Path(sys.executable).parent / "changekit")
    done = subprocess.run([exe, "init", str(tmp_path / "w")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = subprocess.run([exe, "init", str(tmp_path / "w")], capture_output=True, text=True)
    assert again.returncode == 5 and "Traceback" not in again.stderr
