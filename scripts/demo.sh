#!/usr/bin/env bash
# The main job on a built-in default, end to end, in a throwaway directory:
#   1. change management: a team workspace with a bare origin; Ada files a change and pushes
#      it for review; Rita approves it in her own clone; `changekit check` (the CI gate)
#      proves the approval from git history; a forged approval is caught.
#   2. standardised servers (as root): the real sshd test fleet is started, scanned over SSH,
#      drift is found ("PDF::API2 is on 11 of 12 web hosts; missing on web07"), a remediation
#      change is proposed with a runnable plan, Rita approves it, `changekit change run` carries
#      it out on web07 and re-scans, and the auditor report shows the finding resolved.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
bash scripts/setup.sh >/dev/null
ck() { "$REPO/.venv/bin/changekit" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
testfleet_py() { (cd "$REPO" && .venv/bin/python "$@"); }  # tests/ imports from the repo only

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/changekit-demo.XXXXXX")
export GIT_CONFIG_GLOBAL="$DEMO/gitconfig" GIT_CONFIG_NOSYSTEM=1
git config --global init.defaultBranch main
FLEET=""  # the fleet's state dir, named before it starts (see below)
cleanup() {
    trap '' INT TERM  # a second Ctrl-C must not cut the stop short (ignored in the child too)
    if [ -n "$FLEET" ] && [ -e "$FLEET" ]; then
        echo "demo: stopping the test fleet" >&2
        testfleet_py -m tests.testfleet stop "$FLEET" || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT  # Ctrl-C, and kill's TERM below, exit through the EXIT trap
trap 'exit 143' TERM

say "A team workspace: bare origin, Ada's clone, policy says Rita approves"
git init -q --bare "$DEMO/origin.git"
git clone -q "$DEMO/origin.git" "$DEMO/ada" 2>/dev/null
cd "$DEMO/ada"
git config user.name "Ada Admin"; git config user.email ada@example.org
ck init .
sed -i '0,/^    members: \[\]$/s//    members: [rita@example.org]/' changekit.yaml  # the approvers group
git commit -qam "Rita approves changes"
git push -q origin main

say "Ada files a change and pushes it on its own branch for a pull request"
START=$(date -d "next sunday + 7 days" +%Y-%m-%d)
ID=$(ck change new --no-input --format json \
    --title "Install PDF::API2 on web07" --type normal --category install \
    --risk low --impact low --host web07 --service "invoice PDFs" --no-outage \
    --start "$START 02:00" --end "$START 03:00" --tz Europe/Berlin \
    --description "web07 lacks the PDF::API2 Perl module its 11 peers have." \
    --justification "Invoices fail to render when the load balancer picks web07." \
    --implementation "apt-get install libpdf-api2-perl" \
    --verification "changekit scan web07 && changekit drift web07" \
    --rollback "apt-get purge libpdf-api2-perl" | "$REPO/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
ck change submit "$ID" --push

say "Rita reviews the branch in her clone and approves as herself"
git clone -q "$DEMO/origin.git" "$DEMO/rita" 2>/dev/null
cd "$DEMO/rita"
git config user.name "Rita Reviewer"; git config user.email rita@example.org
git checkout -q "change/$ID"
ck change approve "$ID" --comment "Looks right; matches the peers."
git push -q origin "change/$ID"

say "CI runs the gate on the pull request: the approval is proven by git history"
cd "$DEMO/ada"
git pull -q origin "change/$ID" 2>/dev/null || { git fetch -q origin; git checkout -q "change/$ID"; git merge -q --ff-only "origin/change/$ID"; }
ck check --base origin/main
ck change list
ck change show "$ID"

say "Mallory forges a second approval in someone else's name: the gate refuses it"
git clone -q "$DEMO/origin.git" "$DEMO/mallory" 2>/dev/null
cd "$DEMO/mallory"
git config user.name "Mallory"; git config user.email mallory@example.org
git checkout -q "change/$ID"
"$REPO/.venv/bin/python" - "change_records/$ID.yaml" <<'PY'
import sys, yaml
path = sys.argv[1]
rec = yaml.safe_load(open(path))
rec["approvals"].append({"by": {"name": "Rita Reviewer", "email": "rita@example.org"},
                         "at": rec["approvals"][0]["at"], "comment": "forged"})
open(path, "w").write(yaml.safe_dump(rec, sort_keys=False))
PY
git commit -qam "Add approval"
if ck check --base origin/main; then echo "demo: the forged approval was NOT caught" >&2; exit 1; fi
echo "(the gate exited non-zero, as it should: CI would block this pull request)"

say "The quarterly service review: a team's year of changes and scans, generated"
# A year of a 6-host team's history, as changekit itself writes it (every step a commit by
# the person allowed, at its time) and daily scans; then the review of the last full quarter.
"$REPO/.venv/bin/python" "$REPO/bench/reviewgen.py" "$DEMO/history" --records 500 --hosts 6 \
    --group-size 3 --days 300 --until-today >/dev/null
MONTH=$(date -u +%-m); YEAR=$(date -u +%Y)
if [ "$MONTH" -le 3 ]; then LASTQ="$((YEAR - 1))Q4"; else LASTQ="${YEAR}Q$(((MONTH - 1) / 3))"; fi
(cd "$DEMO/history" && ck review --quarter "$LASTQ" --format html -o "$DEMO/review.html" \
    && ck review --quarter "$LASTQ" --format json -o "$DEMO/review.json")
"$REPO/.venv/bin/python" - "$DEMO/review.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
print(f"{data['period']['label']} against {data['previous']['label']}: figure, this quarter, the one before")
wanted = {("changes filed", "all"), ("success rate", "completed of finished"),
          ("emergency share", "emergency of ended"), ("started outside their window", "forced"),
          ("filed to approved", "median"), ("notices", "late")}
for section in data["sections"]:
    for f in section["figures"]:
        if (f["figure"], f["dimension"]) in wanted or f["figure"] == "by outcome":
            def show(v, unit=f["unit"]):
                if v is None:
                    return "-"
                if unit == "seconds":
                    h, m = divmod(round(v / 60), 60)
                    return f"{h // 24}d {h % 24}h {m}m" if h >= 24 else f"{h}h {m}m"
                return f"{v} %" if unit == "percent" else str(v)
            print(f"  {f['figure']:<30} {f['dimension']:<24} {show(f['value']):>10} {show(f['previous']):>10}")
seen = data["observed"]["changes"]
print(f"  changes seen on the hosts: {seen['observed']}, of them unrecorded: {seen['unrecorded']}")
PY
echo "Every number links to its records in $DEMO/review.html (one file, charts, no scripts)."

if [ "$(id -u)" != 0 ]; then
    say "Skipping the fleet part: starting sshd test hosts needs root (see tests/testfleet/README.md)"
    echo "demo workspace: $DEMO/ada"
    exit 0
fi

say "Standardised servers: start the real sshd test fleet (built once, then cached)"
bash "$REPO/.ci/setup-fleet" >/dev/null
# Named before the start, so an interruption at any moment (even between `start` returning
# and the shell reading its output) leaves nothing running: cleanup stops this dir.
FLEET=$(testfleet_py -c 'from tests.testfleet import instance; print(instance.instances_dir())')
FLEET="$FLEET/demo-${DEMO##*.}"
# --owner-pid: should this shell be killed outright (no trap runs), the next start stops it
testfleet_py -m tests.testfleet start --layout default --state-dir "$FLEET" --owner-pid $$ \
    >/dev/null
cat <<'TXT'
22 hosts, each a real sshd on its own 127.x.y.z address: the 18 servers of group prod
(web01-web12, db01-db03, app01-app03) and 4 hosts of group trouble, broken on purpose so the
tests can check that changekit reports them well: down01 refuses connections, mute01 never
sends the SSH banner, hang01 hangs on every command, rekey01's host key has changed.
The demo scans the 18 servers of prod.
TXT
cd "$DEMO/ada"
git checkout -q main
cp "$FLEET/inventory.yaml" inventories/fleet.yaml
git add inventories/fleet.yaml && git commit -qm "Inventory of the demo fleet"

say "Scan group prod over SSH (one session per host, no agent): its 18 hosts"
ck scan --known-hosts "$FLEET/known_hosts" --ssh-config none --file /etc/apache2/apache2.conf group:prod

say "Drift with nothing configured: the built-in baseline, and each host against its group"
ck drift group:prod || true
cat <<'TXT'

One row per root cause, in words. "standard" rows come from the built-in baseline (wrong on
any host: a package file that fails verification, a library preloaded into every program);
"peers" rows are where a host differs from most of its group (web, db, app). web07's row also
stands for the Perl module its missing package ships: `--format json` lists such parts.
TXT

say "Propose the fix for web07 as a draft change record"
FINDING=$(ck drift --kind peers --format json group:web | "$REPO/.venv/bin/python" -c '
import json, sys
found = json.load(sys.stdin)["findings"]
print(next(f["id"] for f in found if f["host"] == "web07" and f["item"].startswith("dpkg:")))')
PROPOSED=$(ck drift --propose "$FINDING" --kind peers group:web)
echo "$PROPOSED"
FIX=$(printf '%s\n' "$PROPOSED" | sed -n 's/^filed draft \(CHG-[^:]*\):.*/\1/p')
ck change show "$FIX" | sed -n '/^Plan/,/^$/p'

say "Rita approves the fix in her clone; Ada runs it: the approved plan, on web07 only"
ck change submit "$FIX" >/dev/null
git push -q origin main
(cd "$DEMO/rita" && git checkout -q main && git pull -q origin main \
    && ck change approve "$FIX" --comment "The package its peers have." >/dev/null \
    && git push -q origin main)
git pull -q origin main
SSH_OPTS=(--known-hosts "$FLEET/known_hosts" --ssh-config none)
ck change run "$FIX" --dry-run "${SSH_OPTS[@]}"
ck change run "$FIX" "${SSH_OPTS[@]}"
cat <<'TXT'

The run was refused before Rita's approval, would be refused outside the record's window or if
anyone edited the plan after she approved it, and stops and rolls back on failure. Each step is a
commit (`git log --oneline -6`), with web07's transcript under runs/. The re-scan it ended with
shows what drift now says about web07:
TXT
git log --oneline -6
ck drift --all --kind peers web07 || true

say "Why did web07 change today? One command: the proven steps, the run, what the scans saw"
ck timeline web07 --since today

say "The auditor's report (HTML, also Markdown, JSON, CSV, JUnit): excerpts"
ck report --format html -o "$DEMO/report.html" group:prod
ck report --format md group:prod >"$DEMO/report.md"
sed -n '/^## Summary/,/^## Conformance over time/{/^## Conformance over time/!p}' "$DEMO/report.md"
echo "Deviations by host, only the hosts that have one:"
sed -n '/^## Deviations by host/,/^## Findings/p' "$DEMO/report.md" | grep -E '^\| host |^\|---|✗|✓|\| C '
echo "Changes changekit carried out on these hosts:"
sed -n '/^## Changes carried out by changekit/,$p' "$DEMO/report.md" | grep -E '^\|'
cat <<'TXT'

Conformance is the share of hosts with no open deviation. web07's deviation is resolved (✓) by
the change that ran above, and the package it installed shows as a change that record explains;
a deviation that an approved change explains, or that is waived, no longer counts against it.
TXT
echo
echo "demo workspace: $DEMO/ada   report: $DEMO/report.html"
