"""The plugin-author guide documents every hook with its exact signature; every hook is tested."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import emkit.hookspecs
import medcards.hookspecs

ROOT = Path(__file__).parents[1]
GUIDE = ROOT / "docs" / "plugin-authors.md"


def _hookspecs():
    for module in (emkit.hookspecs, medcards.hookspecs):
        for name, func in vars(module).items():
            if inspect.isfunction(func) and "_register_" in name:
                yield name, func


def _documented():
    headings = re.findall(r"^### (\w+)\((.*)\)$", GUIDE.read_text(encoding="utf-8"), re.M)
    return {name: [a.strip() for a in args.split(",") if a.strip()] for name, args in headings}


def test_every_hook_is_documented_with_its_signature():
    documented = _documented()
    for name, func in _hookspecs():
        assert name in documented, f"hook {name} is not documented in {GUIDE.name}"
        params = list(inspect.signature(func).parameters)
        assert documented[name] == params, f"{name}: documented {documented[name]}, real {params}"


def test_no_stale_hook_documentation():
    real = {name for name, _ in _hookspecs()}
    stale = set(_documented()) - real
    assert not stale, f"documented hooks that do not exist: {stale}"


def test_every_hook_has_a_test():
    sources = [p.read_text(encoding="utf-8") for p in ROOT.glob("tests/**/*.py")]
    sources += [p.read_text(encoding="utf-8") for p in ROOT.glob("plugins/*/tests/**/*.py")]
    sources += [p.read_text(encoding="utf-8") for p in ROOT.glob("examples/**/tests/*.py")]
    for name, _ in _hookspecs():
        hits = [s for s in sources if name in s and "def test_" in s]
        hits = [s for s in hits if "_hookspecs()" not in s]
        assert hits, f"no test mentions hook {name}"


def test_the_architecture_page_lists_the_public_modules_of_the_contract():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `([\w.]+)` \|", page, re.M))
    assert table == set(contract["public_modules"])
