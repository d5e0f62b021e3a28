"""What the test fleet looks like: hosts, groups and the real package differences between them.

Other tests import this to know what to expect (``from tests.testfleet.layout import DEFAULT``).
Every difference is made for real at build time by running dpkg/apt inside the host's overlay
(see VARIANTS); nothing fakes dpkg's status file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Roles: how a host answers on port 22.
SSH = "ssh"  # a real chrooted OpenSSH sshd
DOWN = "down"  # an address in the inventory with nothing listening (connection refused)
HANG = "hang"  # real sshd; login succeeds, but every command hangs (ForceCommand sleep)
MUTE = "mute"  # accepts TCP, never sends the SSH banner: the login itself hangs
REKEY = "rekey"  # real sshd whose host key changed after known_hosts was written

# Variant name -> shell script run as root inside the host's overlay (chroot, network on) once,
# at build time; the result is cached as an overlay layer. "base" is the plain base rootfs.
VARIANTS: dict[str, str] = {
    "base": "",
    # web07: the one web host without PDF::API2
    "web-nopdf": "apt-get purge -y libpdf-api2-perl",
    # web03: an edited Apache config file (a conffile, so dpkg --verify reports it too)
    "web-conf": (
        "sed -i 's/^Timeout 300$/Timeout 60/' /etc/apache2/apache2.conf\n"
        "printf '# tuned by hand on web03\\nServerTokens Prod\\n' >> /etc/apache2/apache2.conf"
    ),
    # web05: a package file (not a conffile) modified after install
    "web-verify": "printf '# local hotfix\\n' >> /usr/share/perl5/PDF/API2.pm",
    # db02: a different, real version of tzdata than its peers (another bookworm suite)
    "db-old": (
        "cur=$(dpkg-query -W -f='${Version}' tzdata)\n"
        "v=$(apt-cache madison tzdata | awk -v c=\"$cur\" '$3 != c {print $3}' | sort -V | head -n1)\n"
        'test -n "$v"\n'
        'apt-get install -y --allow-downgrades "tzdata=$v"'
    ),
    # app hosts: an extra Python distribution and an extra Perl module
    "app": "apt-get install -y --no-install-recommends python3-yaml libjson-perl",
    # app02: the same plus an /etc/ld.so.preload entry naming a real library
    "app-preload": (
        "apt-get install -y --no-install-recommends python3-yaml libjson-perl\n"
        "lib=$(ls /usr/lib/*-linux-gnu/libpthread.so.0 | head -n1)\n"
        'test -f "$lib"\n'
        'echo "$lib" > /etc/ld.so.preload'
    ),
}


@dataclass(frozen=True)
class HostSpec:
    name: str
    group: str
    variant: str = "base"
    role: str = SSH
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    name: str
    hosts: tuple[HostSpec, ...]
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Parent group -> child groups (nested groups in the inventories)."""

    def host(self, name: str) -> HostSpec:
        for h in self.hosts:
            if h.name == name:
                return h
        raise KeyError(name)

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for h in self.hosts:
            out.setdefault(h.group, []).append(h.name)
        return out

    def variants(self) -> set[str]:
        return {h.variant for h in self.hosts if h.role not in (DOWN, MUTE)}


def _default() -> Layout:
    web_variants = {"web03": "web-conf", "web05": "web-verify", "web07": "web-nopdf"}
    hosts = [
        HostSpec(f"web{i:02d}", "web", web_variants.get(f"web{i:02d}", "base"), tags=("frontend",))
        for i in range(1, 13)
    ]
    hosts += [HostSpec(f"db{i:02d}", "db", "db-old" if i == 2 else "base") for i in range(1, 4)]
    hosts += [
        HostSpec("app01", "app", "app"),
        HostSpec("app02", "app", "app-preload"),
        HostSpec("app03", "app", "base"),
    ]
    hosts += [
        HostSpec("down01", "trouble", role=DOWN),
        HostSpec("hang01", "trouble", role=HANG),
        HostSpec("mute01", "trouble", role=MUTE),
        HostSpec("rekey01", "trouble", role=REKEY),
    ]
    return Layout("default", tuple(hosts), parents={"prod": ("web", "db", "app")})


def bench_layout(n: int = 200) -> Layout:
    """``n`` identical hosts bench001.. in group ``bench``."""
    return Layout(f"bench{n}", tuple(HostSpec(f"bench{i:03d}", "bench") for i in range(1, n + 1)))


DEFAULT = _default()

# What the default layout's differences are, for tests to assert against.
EXPECTED = {
    "without_pdf_api2": ["web07"],
    "changed_apache_conf": ["web03"],
    "dpkg_verify_modified": {"web05": "/usr/share/perl5/PDF/API2.pm"},
    "other_tzdata_version": ["db02"],
    "ld_so_preload": ["app02"],
    "with_python3_yaml": ["app01", "app02"],
    "down": ["down01"],
    "hang_on_command": ["hang01"],
    "hang_on_login": ["mute01"],
    "host_key_changed": ["rekey01"],
}


def get_layout(name: str) -> Layout:
    if name == "default":
        return DEFAULT
    if name.startswith("bench"):
        return bench_layout(int(name[5:] or 200))
    raise ValueError(f"unknown layout {name!r}: use 'default' or 'benchN' (e.g. bench200)")
