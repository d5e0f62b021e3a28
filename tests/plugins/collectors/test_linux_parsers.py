"""Linux collector parsers, from real command output recorded under tests/fixtures/collectors/."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from changekit_plugins.collectors.dpkg import DpkgCollector
from changekit_plugins.collectors.files import FilesCollector
from changekit_plugins.collectors.integrity import IntegrityCollector
from changekit_plugins.collectors.os_release import OsCollector
from changekit_plugins.collectors.perl import PerlCollector, version_of
from changekit_plugins.collectors.preload import PreloadCollector
from changekit_plugins.collectors.python import PythonCollector
from changekit_plugins.collectors.services import ServicesCollector

from tests.needs import unavailable

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "collectors"


def fixture(collector: str, name: str) -> str:
    return (FIXTURES / collector / name).read_text()


def test_os_release_kernel_arch_hostname():
    data = OsCollector().parse(fixture("os", "debian12-vm.txt"), {})
    assert (data["id"], data["version_id"], data["family"], data["arch"]) == (
        "debian",
        "12",
        "debian",
        "x86_64",
    )
    assert data["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"
    assert data["kernel"] and data["hostname"]


def test_dpkg_packages_with_version_arch_status():
    out = fixture("dpkg", "debian12-vm.txt")
    data = DpkgCollector().parse(out, {})
    assert data["adduser"] == {"version": "3.134", "arch": "all", "status": "installed"}
    # every installed line of the real output is there
    installed = [ln for ln in out.splitlines() if ln.split("\t")[3][1] == "i"]
    assert len(data) >= len(installed) > 100


def test_dpkg_skips_removed_packages_and_keys_second_arch():
    out = "libc6\t2.36-9\tamd64\tii \nlibc6\t2.36-9\ti386\tii \nold\t1.0\tall\trc \n"
    data = DpkgCollector().parse(out, {})
    assert set(data) == {"libc6", "libc6:i386"}


def test_perl_modules_with_versions_read_textually():
    data = PerlCollector().parse(fixture("perl", "debian12-vm.txt"), {})
    assert len(data) > 500
    assert data["JSON::PP"]["version"] == "4.07"
    assert data["Storable"]["path"].endswith("/Storable.pm")
    # @INC order: the first directory holding a module wins
    assert data["Carp"]["path"].startswith("/usr/lib/x86_64-linux-gnu/perl-base/")


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ("our $VERSION = '1.23';", "1.23"),
        ('$VERSION = "2.044"; # VERSION', "2.044"),
        ("our $VERSION = 0.2311;", "0.2311"),
        ("package Foo::Bar 1.002;", "1.002"),
        ("package Foo::Bar v2.3.4 {", "v2.3.4"),
        ("use version; our $VERSION = qv('1.2.3');", "1.2.3"),
        ("$Foo::VERSION = version->declare('v0.9.1');", "v0.9.1"),
        ("$VERSION = sprintf('%d.%02d', q$Revision: 1.2 $ =~ /(\\d+)/g);", "1.02"),
        ('    $VERSION = sprintf "%d.%02d", q$Revision: 3.17 $ =~ /(\\d+)/g;', "3.17"),
        ("$VERSION = do { my @r = (q$Name$ =~ /x/); };", "undef"),
    ],
)
def test_perl_version_lines(line, version):
    assert version_of(line) == version


def test_perl_textual_versions_match_what_perl_reports():
    """For core modules that load cleanly, the textual version is the one perl itself sees."""
    mods = [
        "JSON::PP",
        "Storable",
        "Data::Dumper",
        "File::Temp",
        "Exporter",
        "Carp",
        "Scalar::Util",
        "Getopt::Long",
        "File::Spec",
        "Time::Local",
        "Digest::SHA",
        "Encode",
        "POSIX",
        "Test::More",
    ]
    collector = PerlCollector()
    out = subprocess.run(
        ["sh", "-c", collector.script({})], capture_output=True, text=True, check=True
    ).stdout
    data = collector.parse(out, {})
    code = 'for my $m (@ARGV) { eval "require $m" or die $@; no strict "refs"; print $m, " ", ${"${m}::VERSION"}, "\\n" }'
    real = subprocess.run(
        ["perl", "-e", code, *mods], capture_output=True, text=True, check=True
    ).stdout
    for line in real.splitlines():
        name, version = line.split()
        assert data[name]["version"] == version, name


def test_perl_named_modules_are_asked_and_quoted():
    collector = PerlCollector()
    ctx = {"modules": {"perl": ["JSON::PP", "No::Such::Module", "x; touch /tmp/ck_perl_injected"]}}
    script = collector.script(ctx)
    assert "ck_perl_injected" not in script  # an invalid module name is dropped, not run
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert "N JSON::PP\t4.07\t" in out and "N No::Such::Module\t!missing" in out
    data = collector.parse(out, ctx)
    assert "No::Such::Module" not in data


def test_perl_a_directory_listed_twice_counts_where_it_first_came():
    out = (
        "P 5.036000\nD /a\nD /b\nF /b/X.pm\nV /b/X.pm\tour $VERSION = '1';\n"
        "D /a\nF /a/X.pm\nV /a/X.pm\tour $VERSION = '2';\nM files 2\n"
    )
    assert PerlCollector().parse(out, {})["X"] == {"version": "2", "path": "/a/X.pm"}


@pytest.mark.parametrize("cut", ["F /usr/share/perl/5.36/Time/Local.pm", "M files 867"])
def test_perl_a_walk_cut_short_is_garbage_not_a_smaller_host(cut):
    """A walk killed half-way prints no count at its end (or not the count of what it listed)."""
    out = fixture("perl", "fleet-web07.txt")
    assert len(PerlCollector().parse(out, {})) > 800
    with pytest.raises(ValueError, match="the module walk was cut short"):
        PerlCollector().parse(out[: out.index(cut)], {})
    head, tail = out.split("M files 867\n")
    with pytest.raises(ValueError, match="867 files listed, '868' counted"):
        PerlCollector().parse(head + "M files 868\n" + tail, {})


def test_python_distributions_match_importlib_metadata():
    data = PythonCollector().parse(fixture("python", "debian12-vm.txt"), {})
    assert data["pyyaml"]["name"] == "PyYAML" and data["pyyaml"]["version"] == "6.0"
    assert all(v["path"].startswith("/usr/") for v in data.values())


def test_python_collector_agrees_with_the_system_interpreter():
    if not Path("/usr/bin/python3").exists():
        unavailable("the system python3 (/usr/bin/python3) to compare the python collector with")
    collector = PythonCollector()
    out = subprocess.run(
        ["sh", "-c", collector.script({})], capture_output=True, text=True, check=True, cwd="/"
    )
    data = collector.parse(out.stdout, {})
    code = "import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata['Name'], d.version)"
    real = subprocess.run(
        ["/usr/bin/python3", "-I", "-c", code], capture_output=True, text=True, cwd="/"
    ).stdout
    from changekit_plugins.collectors.python import normalize

    expected = {normalize(ln.split()[0]): ln.split()[1] for ln in real.splitlines()}
    assert {k: v["version"] for k, v in data.items() if k in expected} == expected


def test_integrity_dpkg_verify_lines():
    data = IntegrityCollector().parse(fixture("integrity", "debian12-vm.txt"), {})
    assert data["/etc/debuginfod/elfutils.urls"] == {
        "manager": "dpkg",
        "flags": "missing",
        "config": True,
        "missing": True,
    }
    digest = [p for p, v in data.items() if v["flags"] == "??5??????"]
    assert digest


def test_integrity_rpm_verify_lines():
    out = "T rpm\nS.5....T.  c /etc/ssh/sshd_config\nmissing     /usr/share/doc/x\n.M.......    /usr/bin/y\n"
    data = IntegrityCollector().parse(out, {})
    assert data["/etc/ssh/sshd_config"]["config"] and data["/usr/share/doc/x"]["missing"]
    assert data["/usr/bin/y"]["flags"] == ".M......."


def test_preload_file_and_environment():
    out = "P\nL /usr/lib/x86_64-linux-gnu/libpthread.so.0 # test\nL \nE /etc/environment:3:LD_LIBRARY_PATH=/opt/x\nE /etc/profile.d/a.sh:1:# LD_PRELOAD=commented\n"
    data = PreloadCollector().parse(out, {})
    assert data["ld_so_preload"] == ["/usr/lib/x86_64-linux-gnu/libpthread.so.0"]
    assert data["environment"] == [
        {
            "file": "/etc/environment",
            "line": 3,
            "variable": "LD_LIBRARY_PATH",
            "text": "LD_LIBRARY_PATH=/opt/x",
        }
    ]
    assert (
        PreloadCollector().parse(fixture("preload", "debian12-vm.txt"), {})["ld_so_preload_exists"]
        is False
    )


def test_services_systemd_and_sysv():
    data = ServicesCollector().parse(fixture("services", "debian12-vm-systemd.txt"), {})
    assert data["manager"] == "systemd"
    assert data["services"]["apt-daily.service"] == {"state": "static", "preset": "-"}
    sysv = ServicesCollector().parse("T sysv\nS ssh enabled\nS apache2 disabled\n", {})
    assert sysv == {
        "manager": "sysv",
        "services": {"apache2": {"state": "disabled"}, "ssh": {"state": "enabled"}},
    }


def test_files_by_index_so_hostile_paths_cannot_confuse_the_parser():
    ctx = {
        "files": [
            "/etc/passwd",
            "/etc/nope",
            "/etc",
            "relative",
            "/tmp/x; touch /tmp/INJ\n$(touch /tmp/INJ)",
        ]
    }
    data = FilesCollector().parse(fixture("files", "debian12-vm.txt"), ctx)
    assert data["/etc/passwd"]["mode"] == "0644" and len(data["/etc/passwd"]["sha256"]) == 64
    assert data["/etc/nope"] == {"missing": True}
    assert data["/etc"]["type"] == "directory" and "sha256" not in data["/etc"]
    assert "error" in data["relative"]
    assert data[ctx["files"][4]] == {"missing": True}


@pytest.mark.parametrize(
    "collector",
    [
        OsCollector(),
        DpkgCollector(),
        PerlCollector(),
        PythonCollector(),
        IntegrityCollector(),
        PreloadCollector(),
        ServicesCollector(),
        FilesCollector(),
    ],
    ids=lambda c: c.name,
)
def test_garbage_is_a_value_error(collector):
    with pytest.raises(ValueError):
        collector.parse(
            "\x00garbage\nlines that no tool prints: 42 ~~\n", {"files": ["/etc/passwd"]}
        )


# -- recorded on the test fleet's hosts (tests/testfleet), each with its planted difference --


def test_fleet_outputs_show_the_planted_differences():
    assert ServicesCollector().parse(fixture("services", "fleet-web01-sysv.txt"), {})["services"][
        "apache2"
    ] == {"state": "enabled"}
    preload = PreloadCollector().parse(fixture("preload", "fleet-app02.txt"), {})
    assert preload["ld_so_preload"] == ["/usr/lib/x86_64-linux-gnu/libpthread.so.0"]
    web03 = IntegrityCollector().parse(fixture("integrity", "fleet-web03.txt"), {})
    assert web03 == {
        "/etc/apache2/apache2.conf": {
            "manager": "dpkg",
            "flags": "??5??????",
            "config": True,
            "missing": False,
        }
    }
    web05 = IntegrityCollector().parse(fixture("integrity", "fleet-web05.txt"), {})
    assert web05["/usr/share/perl5/PDF/API2.pm"]["config"] is False
    db02 = DpkgCollector().parse(fixture("dpkg", "fleet-db02.txt"), {})
    assert db02["tzdata"]["version"] and db02["libpdf-api2-perl"]["status"] == "installed"
    web07 = PerlCollector().parse(fixture("perl", "fleet-web07.txt"), {})
    assert "PDF::API2" not in web07 and web07["JSON::PP"]["version"]
    app01 = PythonCollector().parse(fixture("python", "fleet-app01.txt"), {})
    assert app01["pyyaml"]["name"] == "PyYAML"
    assert OsCollector().parse(fixture("os", "fleet-web01.txt"), {})["hostname"] == "web01"
    ctx = {"files": ["/etc/apache2/apache2.conf", "/etc/shadow", "/nonexistent"]}
    files = FilesCollector().parse(fixture("files", "fleet-web03.txt"), ctx)
    assert files["/etc/shadow"]["group"] == "shadow" and files["/etc/shadow"]["mode"] == "0640"
    assert files["/nonexistent"] == {"missing": True}


def test_integrity_hashes_only_edited_conffiles():
    digest = "c511c1757400bb3f2deb946aeb4ec5b798c59fdbef05155259bc15130d08a652"
    out = (
        "T dpkg\n??5?????? c /etc/apache2/apache2.conf\n??5??????   /bin/gunzip\n"
        "T dpkg-owner\napache2: /etc/apache2/apache2.conf\ngzip: /bin/gunzip\n"
        f"T conffile-sha256\n{digest}  /etc/apache2/apache2.conf\n{'0' * 64}  /bin/gunzip\n"
        "\\0123  /etc/odd\\nname\n"
    )
    data = IntegrityCollector().parse(out, {})
    assert data["/etc/apache2/apache2.conf"]["sha256"] == digest
    assert data["/etc/apache2/apache2.conf"]["package"] == "apache2"
    assert "sha256" not in data["/bin/gunzip"]  # not a conffile: verification says enough


def test_perl_escaped_names_and_lines_and_how_the_walk_ran():
    """Paths and lines come escaped (a newline or tab in a name cannot forge a line)."""
    out = (
        "P 5.036000\nD /usr/share/perl5\n"
        "F /usr/share/perl5/Ck/New\\x0aLine.pm\n"
        "V /usr/share/perl5/Ck/New\\x0aLine.pm\tour $VERSION = '1.02'; # \\x5c \\x09\n"
        "F /usr/share/perl5/Ck/Tab\\x09bed.pm\n"
        "M mode incremental\nM files 2\nM read 1\nM carried 1\nM baseline " + "a" * 64 + "\n"
    )
    collector = PerlCollector()
    data = collector.parse(out, {})
    assert data == {
        "Ck::New\nLine": {"version": "1.02", "path": "/usr/share/perl5/Ck/New\nLine.pm"},
        "Ck::Tab\tbed": {"version": "undef", "path": "/usr/share/perl5/Ck/Tab\tbed.pm"},
    }
    previous = {"perl": {"baseline": "b" * 64, "full_at": "2026-12-06T00:00:00+00:00"}}
    info = collector.run_info(out, {"previous_runs": previous})
    assert info == {
        "mode": "incremental", "files": 2, "read": 1, "carried": 1, "baseline": "a" * 64,
        "full_at": "2026-12-06T00:00:00+00:00",
    }  # fmt: skip
    with pytest.raises(ValueError, match="not listed"):
        collector.parse("P 5.036000\nD /x\nV /x/Y.pm\tour $VERSION = 1;\n", {})


def test_perl_script_plans_from_the_recorded_cache_digest():
    """The digest the last stored snapshot recorded goes to the host, quoted; none: a full walk."""
    collector = PerlCollector()
    assert "ck_mode=full;" in collector.script({})
    previous = {"perl": {"baseline": "c" * 64, "full_at": "2099-01-01T00:00:00+00:00"}}
    script = collector.script({"previous_runs": previous})
    assert f"ck_mode=incremental; ck_want={'c' * 64};" in script
    forced = collector.script({"previous_runs": previous, "full_verify": True})
    assert "ck_mode=full;" in forced
