"""``python -m tests.testfleet build|start|stop|status|inventory`` (run as root from the repo)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.testfleet import build, instance
from tests.testfleet.fleet import missing_requirements
from tests.testfleet.layout import get_layout

FILES = {
    "changekit": "inventory.yaml",
    "ansible-ini": "ansible.ini",
    "ansible-yaml": "ansible.yaml",
    "ssh-config": "ssh_config",
    "known-hosts": "known_hosts",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.testfleet", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build and cache the base rootfs and variant layers")
    b.add_argument("--layout", default="default", help="default or benchN (e.g. bench200)")
    sub.add_parser("prune", help="remove cached builds of older recipes no instance uses")
    s = sub.add_parser("start", help="start an instance; prints its state directory")
    s.add_argument("--layout", default="default")
    s.add_argument("--state-dir", type=Path, help="where to keep it (default: under the cache)")
    s.add_argument(
        "--owner-pid", type=int, help="a later start stops this instance once that process is gone"
    )
    for name, text in (("stop", "stop an instance (idempotent)"), ("status", "show hosts")):
        c = sub.add_parser(name, help=text)
        c.add_argument("state_dir", type=Path)
    i = sub.add_parser("inventory", help="print the path of one of the instance's files")
    i.add_argument("state_dir", type=Path)
    i.add_argument("--format", choices=sorted(FILES), default="changekit")
    i.add_argument("--cat", action="store_true", help="print the content instead")
    args = p.parse_args(argv)

    if args.cmd in ("build", "start") and (why := missing_requirements()):
        print(f"testfleet: {why}", file=sys.stderr)
        return 2
    if args.cmd == "build":
        build.build_all(get_layout(args.layout).variants())
        print(build.base_dir())
    elif args.cmd == "prune":
        for d in build.prune(instance.overlays_in_use()):
            print(f"removed {d}")
    elif args.cmd == "start":
        state = args.state_dir.resolve() if args.state_dir else None
        print(instance.start(args.layout, state, owner_pid=args.owner_pid))
    elif args.cmd == "stop":
        instance.stop(args.state_dir.resolve())
    elif args.cmd == "status":
        data = instance.status(args.state_dir.resolve())
        for name, h in data["hosts"].items():
            up = "up" if h["alive"] else ("-" if h["role"] == "down" else "DEAD")
            print(f"{name:10} {h['address']:16} {h['role']:6} {h['variant']:12} {up}")
        print(json.dumps({k: v for k, v in data.items() if k != "hosts"}), file=sys.stderr)
    else:
        path = args.state_dir.resolve() / FILES[args.format]
        print(path.read_text() if args.cat else path, end="" if args.cat else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
