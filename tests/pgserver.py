"""A throwaway PostgreSQL server for tests and benchmarks: Debian's ``postgresql`` binaries,
a cluster made with ``initdb`` in a temporary directory, listening only on a unix socket
there (no port to collide with another run), removed when stopped.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user the
Debian package creates. ``python -m tests.pgserver`` prints why a server cannot start here.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "apt-get install postgresql (scripts/setup.sh does it as root)"


def bindir() -> Path | None:
    """The newest installed server's bin directory, or ``None``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which and shutil.which("postgres") else None


def missing_requirements() -> str | None:
    """Why a throwaway server cannot start here, or ``None``."""
    if bindir() is None:
        return f"PostgreSQL server not installed ({INSTALL_HINT})"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to own the cluster (initdb refuses root)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg not installed (pip install -e '.[test]')"
    return None


@dataclass
class Server:
    root: Path
    bindir: Path
    user: str

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port=5432 user={self.user} dbname={dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:  # initdb and postgres refuse root
            cmd = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)


def start(*, settings: dict[str, str] | None = None) -> Server:
    """Create and start a cluster; ``settings`` are extra ``postgresql.conf`` lines."""
    why = missing_requirements()
    if why:
        raise RuntimeError(why)
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    root = Path(tempfile.mkdtemp(prefix="changekit-pg-"))
    if os.geteuid() == 0:
        os.chown(root, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    server = Server(root, bindir() or Path(), user)
    try:
        _as(server, ["mkdir", "-p", str(server.socket_dir)])
        server._run(
            "initdb", "-D", str(root / "data"), "-U", user, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        conf = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{server.socket_dir}'",
            "fsync": "off",  # a throwaway cluster: durability is not what the tests check
            "max_connections": "50",
            **(settings or {}),
        }
        with open(root / "data" / "postgresql.auto.conf", "a") as fh:
            fh.writelines(f"{k} = {v}\n" for k, v in conf.items())
        server._run(
            "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-t", "60",
            "start",
        )  # fmt: skip
    except (subprocess.CalledProcessError, OSError) as exc:
        log = root / "server.log"
        detail = getattr(exc, "stderr", "") or (log.read_text()[-2000:] if log.exists() else "")
        server.stop()
        raise RuntimeError(f"could not start a throwaway PostgreSQL: {exc}\n{detail}") from exc
    return server


def _as(server: Server, cmd: list[str]) -> None:
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={server.user}", f"--regid={server.user}", "--init-groups", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


if __name__ == "__main__":
    print(missing_requirements() or "a throwaway PostgreSQL server can start here")
