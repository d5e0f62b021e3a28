"""The shipped CI definitions: valid YAML with the expected structure, and the command line they
contain really runs `changekit check --base <target>` green on a real pull-request checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from changekit import __version__
from changekit.gate.ci import ci_template

BIN = str(Path(sys.executable).parent)


def approved_pr(team) -> str:
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid, "--push")
    team.approve_on_branch(team.alice, rid)
    return rid


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], **env}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=full, capture_output=True, text=True
    )


def test_github_workflow_structure():
    wf = yaml.safe_load(ci_template("github"))
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
    triggers = wf.get("on", wf.get(True))
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert wf["permissions"] == {"contents": "read"}
    steps = wf["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".git/changekit", ".changekit/cache"]
    install = next(s for s in steps if s.get("name") == "Install changekit")
    assert f"changekit=={__version__}" in install["run"]
    check = next(s for s in steps if s.get("name") == "changekit check")
    assert 'changekit check --base "origin/$GITHUB_BASE_REF"' in check["run"]


def test_gitlab_job_structure():
    ci = yaml.safe_load(ci_template("gitlab"))
    job = ci["changekit-check"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["cache"]["paths"] == [".git/changekit/", ".changekit/cache/"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
    assert any(f"changekit=={__version__}" in line for line in job["before_script"])
    assert any("changekit check --base" in line for line in job["script"])


def test_github_check_step_runs_on_a_pull_request_and_on_main(team):
    rid = approved_pr(team)
    step = next(
        s
        for s in yaml.safe_load(ci_template("github"))["jobs"]["check"]["steps"]
        if s.get("name") == "changekit check"
    )
    pr = team.ci(f"change/{rid}")
    done = run_script(
        step["run"], pr.path, {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: checked 1 of 1 records changed since origin/main" in done.stdout
    team.merge(rid)
    main = team.ci("main")
    done = run_script(step["run"], main.path, {"GITHUB_EVENT_NAME": "push"})
    assert done.returncode == 0 and "ok: checked 1 of 1 records" in done.stdout


def test_github_check_step_fails_a_pull_request_with_a_forged_approval(team):
    rid = team.rita.new()
    team.rita.ck("change", "submit", rid)
    path = team.rita.record_path(rid)
    data = yaml.safe_load(path.read_text())
    data["approvals"] = [
        {"by": {"name": "Alice", "email": "alice@example.org"}, "at": "2030-01-01T10:00:00+00:00"}
    ]
    data["status"] = "approved"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    team.rita.git("commit", "-q", "-am", "approved")
    team.rita.git("push", "-q", "origin", f"HEAD:refs/heads/change/{rid}")
    step = next(
        s
        for s in yaml.safe_load(ci_template("github"))["jobs"]["check"]["steps"]
        if s.get("name") == "changekit check"
    )
    done = run_script(
        step["run"],
        team.ci(f"change/{rid}").path,
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"},
    )
    assert done.returncode == 1 and "approval-wrong-author" in done.stdout


def test_gitlab_script_runs_in_a_merge_request(team):
    rid = approved_pr(team)
    job = yaml.safe_load(ci_template("gitlab"))["changekit-check"]
    mr = team.ci(f"change/{rid}")
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_PROJECT_DIR": str(mr.path)}
    done = run_script("\n".join(job["script"]), mr.path, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "changed since origin/main" in done.stdout


def test_ci_command_writes_the_files(team):
    rita = team.rita
    advice = rita.ck("ci", "github").stdout
    # the gate proves what git holds; only the forge can forbid rewriting it
    assert "force push" in advice and "Require status checks" in advice
    assert "merge commits only" in advice.lower()
    written = rita.path / ".github/workflows/changekit.yml"
    assert written.read_text() == ci_template("github")
    again = rita.ck("ci", "github", code=4)
    assert "already exists" in again.stderr and "--force" in again.stderr
    rita.ck("ci", "github", "--force")
    rita.ck("ci", "gitlab")
    assert yaml.safe_load((rita.path / ".gitlab-ci.yml").read_text())["changekit-check"]
    printed = rita.ck("ci", "gitlab", "--stdout")
    assert printed.stdout == ci_template("gitlab")  # the advice goes to stderr
    assert "Allowed to force push: off" in printed.stderr
