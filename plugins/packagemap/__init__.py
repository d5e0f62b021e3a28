"""Built-in ``package_for_module``: a Perl or Python module -> the OS package that ships it.

Follows the distributions' naming policies: Debian's Perl policy (``PDF::API2`` ->
``libpdf-api2-perl``) and Python policy (``requests`` -> ``python3-requests``, named
after the import name), Fedora/RHEL's (``perl-PDF-API2``, ``python3-requests``). It is
``trylast`` so a site plugin that knows better (a local repository) wins.
"""

from __future__ import annotations

import re

from changekit.api import hookimpl

# Python distributions whose import name (what Debian names the package after) differs.
DEBIAN_PYTHON = {
    "pyyaml": "yaml",
    "pillow": "pil",
    "beautifulsoup4": "bs4",
    "python-dateutil": "dateutil",
    "scikit-learn": "sklearn",
    "attrs": "attr",
    "pyopenssl": "openssl",
    "pyjwt": "jwt",
    "pygobject": "gi",
    "dnspython": "dnspython",
    "msgpack-python": "msgpack",
}
REDHAT_PYTHON = {"pyyaml": "pyyaml", "pillow": "pillow", "python-dateutil": "dateutil"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def debian_package(ecosystem: str, module: str) -> str | None:
    if ecosystem == "perl":
        return "lib" + module.lower().replace("::", "-").replace("_", "-") + "-perl"
    if ecosystem == "python":
        name = _normal(module)
        return "python3-" + DEBIAN_PYTHON.get(name, name)
    return None


def redhat_package(ecosystem: str, module: str) -> str | None:
    if ecosystem == "perl":
        return "perl-" + module.replace("::", "-")
    if ecosystem == "python":
        name = _normal(module)
        return "python3-" + REDHAT_PYTHON.get(name, name)
    return None


@hookimpl(trylast=True)
def package_for_module(ecosystem: str, module: str, os_family: str) -> str | None:
    if os_family == "debian":
        return debian_package(ecosystem, module)
    if os_family == "redhat":
        return redhat_package(ecosystem, module)
    return None
