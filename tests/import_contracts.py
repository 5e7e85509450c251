"""Custom import-linter contract types for the rules the built-in ones cannot say.

Loaded by ``lint-imports`` (configured in pyproject.toml), which puts the working directory on
``sys.path``; the architecture test runs it from the repository root.
"""

from __future__ import annotations

import sys

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class StdlibOnlyContract(Contract):
    """Modules under ``source_modules`` import only the standard library and
    ``allowed_modules`` (and their descendants): no third-party package at all."""

    type_name = "stdlib_only"
    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        allowed = set(self.allowed_modules) | set(sys.stdlib_module_names)
        violations = []
        for importer in sorted(_descendants(graph, self.source_modules)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if imported.split(".")[0] not in allowed:
                    violations.append((importer, imported))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["violations"]:
            output.print_error(f"{importer} imports {imported}, which is not allowed here.")
            output.new_line()


class ContextIndependenceContract(Contract):
    """No module of one listed bounded context imports a module of another.

    A module's context is the package right under a layer: ``domain.<ctx>``, ``ports.<ctx>``,
    ``adapters.<technology>.<ctx>``. Contexts not listed (the shared kernel, the published
    leaderboards service) may be imported by any. Contexts that do not exist yet are simply
    empty, so the contract holds as they land.
    """

    type_name = "context_independence"
    contexts = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        contexts = set(self.contexts)
        violations = []
        for importer in sorted(graph.modules):
            source = _context_of(importer)
            if source not in contexts:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = _context_of(imported)
                if target in contexts and target != source:
                    violations.append((importer, imported))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["violations"]:
            output.print_error(f"{importer} imports {imported}, from another bounded context.")
            output.new_line()


def _descendants(graph: ImportGraph, roots: list[str]) -> set[str]:
    found: set[str] = set()
    for root in roots:
        if root in graph.modules:
            found |= {root, *graph.find_descendants(root)}
    return found


def _context_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in ("domain", "ports") and len(parts) > 1:
        return parts[1]
    if parts[0] == "adapters" and len(parts) > 2:
        return parts[2]
    return None
