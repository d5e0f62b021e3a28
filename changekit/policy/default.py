"""The commented ``changekit.yaml`` that ``changekit init`` writes."""

DEFAULT_POLICY = """\
# changekit policy: who approves what, and when changes may happen.
# `changekit schema policy` prints every key this file may use.
version: 1

# People, by the email of their git identity. `handle` is their forge name,
# used by `changekit codeowners`. FILL IN `approvers`: the rules below accept
# approvals only from this group, so until it has members no change can be approved.
groups:
  approvers:
    members: []
    #  - alice@example.org
    #  - {email: bob@example.org, handle: "@bob"}
  # Who may carry out changes someone else filed (submit, schedule, start, complete,
  # cancel, ...) and the identity `changekit notices send-due` commits as: `changekit
  # check` accepts those steps only from the requester or a member of a group here.
  operators:
    members: []
    #  - carol@example.org
    #  - {email: changekit-bot@example.org}

approvals:
  # The first rule whose `when` matches a record says what it needs.
  # The requester never counts as an approver (nor their +tag addresses).
  # `from` names the groups an approver must be in; omitting it lets ANYONE
  # with commit access approve, so keep it.
  rules:
    - when: {type: [emergency]}
      require: [{count: 1, from: [approvers]}]
    - when: {risk: [high]}
      require: [{count: 2, from: [approvers]}]
    - require: [{count: 1, from: [approvers]}]
  # Standard changes filed from these templates are pre-approved.
  standard_templates: []
  # Emergency changes may start first; they must be approved within this time.
  emergency_within: 24h
  # Approving commits must be signed and verified against this file
  # (ssh-keygen "allowed signers" format):
  # signed: true
  # allowed_signers: .allowed_signers

# Recurring maintenance windows per host group (omit `groups` for every host).
windows: []
#  - name: sunday night
#    groups: [web]
#    days: [sun]
#    start: "02:00"
#    end: "06:00"
#    timezone: Europe/Berlin

# Periods with no changes (or, with outages_only, no outages). Dates are whole days.
freezes: []
#  - name: year-end closing
#    groups: [finance]
#    from: "2026-12-15"
#    to: "2027-01-15"
#    timezone: Europe/Berlin
#    outages_only: true

# Freezes may also come from .ics files in this repository:
calendars: []
#  - file: calendars/freezes.ics
#    timezone: Europe/Berlin

# Minimum notice before a change that causes an outage starts.
lead_time: 2d

# Change classes, each with its own lead time, approval rule, monthly quota and service
# days (docs/classes.md). A record belongs to the first class whose `match` it meets.
classes: []
#  - name: IMAC
#    match: {category: [install, move, add]}
#    lead_time: 3d
#    quota: {count: 10, per: customer}     # the hosts' `customer` inventory variable
#    service_days:
#      - {days: [tue], start: "09:00", end: "13:00", timezone: Europe/Berlin}
#    exception:                            # without it, over the quota is refused
#      require: [{count: 1, from: [approvers]}]
#  - name: emergency
#    match: {type: [emergency]}
"""
