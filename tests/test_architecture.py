"""The layer rules and code quality gates, enforced by the test command itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from grimp import ImportGraph

from tests.import_contracts import ContextIndependenceContract, StdlibOnlyContract

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ("lint-imports", "--no-cache"),
        ("mypy",),
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
    ],
    ids=["import-linter", "mypy-strict", "ruff-check", "ruff-format"],
)
def test_gate_passes(command: tuple[str, ...]) -> None:
    result = run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def graph(*imports: tuple[str, str]) -> ImportGraph:
    g = ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                g.add_module(".".join(parts[:depth]))
        g.add_import(importer=importer, imported=imported)
    return g


def stdlib_only() -> StdlibOnlyContract:
    options = {"source_modules": ["domain", "ports"], "allowed_modules": ["domain", "ports"]}
    return StdlibOnlyContract("stdlib only", {}, options)


def test_stdlib_only_contract_refuses_third_party_and_outer_layers() -> None:
    for bad in ["httpx", "pydantic", "adapters.memory.stocks", "entrypoints.settings"]:
        check = stdlib_only().check(graph(("domain.stocks.model", bad)), verbose=False)
        assert not check.kept, bad
    for good in ["decimal", "ports.stocks", "domain.shared.money"]:
        check = stdlib_only().check(graph(("domain.stocks.service", good)), verbose=False)
        assert check.kept, good


def test_context_independence_contract_refuses_cross_context_imports() -> None:
    contract = ContextIndependenceContract(
        "independent", {}, {"contexts": ["stocks", "orders", "races", "trivia"]}
    )
    for importer, imported in [
        ("domain.orders.service", "domain.stocks.model"),
        ("ports.trivia", "ports.races"),
        ("adapters.dynamodb.races", "adapters.memory.trivia"),
    ]:
        assert not contract.check(graph((importer, imported)), verbose=False).kept
    for importer, imported in [
        ("domain.races.service", "domain.leaderboards.model"),  # the published service
        ("domain.stocks.model", "domain.shared.money"),  # the shared kernel
        ("adapters.dynamodb.stocks", "domain.stocks.model"),
    ]:
        assert contract.check(graph((importer, imported)), verbose=False).kept


def test_the_adapter_import_contract_covers_every_entrypoint_module() -> None:
    """A new entrypoint module is either under the contract or part of the composition."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["name"].startswith("Outside adapters")]
    composing = {"composition", "provisioning"}
    modules = {
        p.stem for p in (ROOT / "src" / "entrypoints").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem != "__init__"
    }  # fmt: skip
    assert {m.removeprefix("entrypoints.") for m in contract["source_modules"]} == (
        modules - composing
    )


def test_no_entrypoint_module_is_over_300_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "src" / "entrypoints").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 300
    }
    assert long == {}
