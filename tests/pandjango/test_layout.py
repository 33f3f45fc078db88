"""The house's layout: no import cycles, and the shared floor never imports a section."""

from __future__ import annotations

import grimp
import pytest

pytestmark = [pytest.mark.no_db, pytest.mark.once]

FLOOR_PACKAGES = ("api", "caching", "edge", "endpoints", "legacy", "pandadb", "rawsql")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("pandjango", "sections")


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    cycles = [
        (module, imported)
        for module in sorted(graph.modules)
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    ]
    assert cycles == []


def test_no_two_packages_of_the_floor_import_each_other(graph: grimp.ImportGraph) -> None:
    packages = [f"pandjango.{name}" for name in FLOOR_PACKAGES]
    both_ways = [
        (a, b)
        for a in packages
        for b in packages
        if a < b
        and graph.chain_exists(importer=a, imported=b, as_packages=True)
        and graph.chain_exists(importer=b, imported=a, as_packages=True)
    ]
    assert both_ways == []


def test_the_floor_never_imports_a_section(graph: grimp.ImportGraph) -> None:
    assert not graph.chain_exists(importer="pandjango", imported="sections", as_packages=True)
