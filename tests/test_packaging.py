"""The package ships everything a fresh `pip install .` needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    mapping = {
        "changekit": ROOT / "changekit",
        **{k: ROOT / v for k, v in config["package-dir"].items()},
    }
    found = set()
    for top, base in mapping.items():
        # a folder with an __init__.py, or with data files, is a package setuptools must be told of
        for folder in [base, *(d for d in base.rglob("*") if d.is_dir())]:
            if folder.name == "__pycache__" or not any(f.is_file() for f in folder.iterdir()):
                continue
            rel = folder.relative_to(base).parts
            found.add(".".join((top, *rel)))
    missing = found - listed
    assert not missing, (
        f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    )


def test_schemas_ship_inside_the_package():
    from changekit.yamlfile import load_schema, schema_names

    assert {"change-record", "snapshot"} <= set(schema_names())
    assert load_schema("change-record")["title"]
