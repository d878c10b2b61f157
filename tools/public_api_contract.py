"""An import-linter contract type: code outside the SDK uses only its public modules.

``make lint`` runs ``lint-imports`` with the contract configured in ``pyproject.toml``
(``[tool.importlinter]``). The packages in ``guarded_packages`` (``_sdk``, ``emkit``,
``medcards``) may be imported from outside only through ``public_modules``: importing any other
module of theirs, or a name from one, breaks the contract.

Two kinds of importer are checked:

- ``source_modules``: installed packages (the first-party plugins, the template plugin), read
  from import-linter's graph;
- ``source_paths``: folders of scripts that are not packages (examples, benches, plugin test
  suites), given as glob patterns relative to the current folder and read with :mod:`ast`.
"""

from __future__ import annotations

import ast
import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True, order=True)
class Violation:
    """One import of a non-public module."""

    importer: str
    imported: str
    line: int


class PublicApiContract(Contract):
    """Importers outside ``guarded_packages`` import only ``public_modules`` from them."""

    type_name = "public_api"

    guarded_packages = fields.ListField(subfield=fields.StringField())
    public_modules = fields.ListField(subfield=fields.StringField())
    source_modules = fields.ListField(subfield=fields.StringField(), required=False)
    source_paths = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Collect every direct import of a guarded, non-public module."""
        violations = sorted({*self._graph_violations(graph), *self._script_violations()})
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per illegal import: importer, line and the module it reached into."""
        public = ", ".join(sorted(self._public))
        output.print_error(f"Only these modules are public: {public}.", bold=False)
        output.new_line()
        for v in check.metadata["violations"]:
            output.print_error(f"- {v.importer}:{v.line} imports {v.imported}", bold=False)
        output.new_line()

    def _option(self, name: str) -> list[str]:
        """A list option as strings (an optional one that is not set is empty)."""
        values: list[object] = getattr(self, name) or []
        return [str(value) for value in values]

    @property
    def _public(self) -> set[str]:
        return set(self._option("public_modules"))

    def _is_private(self, module: str) -> bool:
        root = module.split(".")[0]
        return root in self._option("guarded_packages") and module not in self._public

    def _graph_violations(self, graph: ImportGraph) -> Iterator[Violation]:
        for source in self._option("source_modules"):
            importers = {source} | graph.find_descendants(source)
            for importer in importers:
                for imported in graph.find_modules_directly_imported_by(importer):
                    if not self._is_private(imported):
                        continue
                    for detail in graph.get_import_details(importer=importer, imported=imported):
                        yield Violation(importer, imported, int(detail["line_number"]))

    def _script_violations(self) -> Iterator[Violation]:
        for pattern in self._option("source_paths"):
            for folder in sorted(glob.glob(pattern)):
                for path in sorted(Path(folder).rglob("*.py")):
                    yield from self._file_violations(path)

    def _file_violations(self, path: Path) -> Iterator[Violation]:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # ``from emkit import evaluation`` reaches the submodule ``emkit.evaluation``.
                submodules = (f"{node.module}.{alias.name}" for alias in node.names)
                modules = [node.module, *(m for m in submodules if self._is_private(m))]
                modules = [m for m in modules if m == node.module or _is_module(m)]
            else:
                continue
            for module in modules:
                if self._is_private(module):
                    yield Violation(str(path), module, node.lineno)


def _is_module(name: str) -> bool:
    """Whether ``name`` is an importable module (rather than an attribute of one)."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
