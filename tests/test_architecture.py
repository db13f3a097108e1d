"""The package's shape, checked: imports point down the layers of ARCHITECTURE.md §5, no module reaches into
another package's private names, and only entry points import the app factory."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "portal"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(), str(path))


def _imports(tree: ast.Module, module: str, is_package: bool):
    """(imported module, names) for every `from … import …` in the module, relative imports resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [alias.name for alias in node.names]


def test_the_layer_contract_holds():
    """import-linter's contracts in pyproject.toml (layers, exhaustive; the two APIs independent)."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency: pip install -e '.[test]'"
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _private_imports(module: str, tree: ast.Module, is_package: bool) -> list[str]:
    """`_name`s the module imports from another module: a private name is its own module's business."""
    offences = []
    for source, names in _imports(tree, module, is_package):
        if not source.startswith("portal"):
            continue
        offences += [f"{module} imports {name} from {source}" for name in names
                     if name.startswith("_") and not name.startswith("__")]
    return offences


def test_no_module_imports_another_modules_private_names():
    offences = [offence for module, path, tree in _modules()
                for offence in _private_imports(module, tree, path.name == "__init__.py")]
    assert offences == []


def test_only_entry_points_import_the_app_factory():
    """Nothing below the entry points imports portal/__init__.py (create_app)."""
    offences = []
    for module, path, tree in _modules():
        if module in ("portal", "portal.cli") or module.startswith("portal.cli."):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "portal" and not node.level:
                if any(alias.name in ("create_app", "*") for alias in node.names):
                    offences.append(module)
            elif isinstance(node, ast.Import) and any(alias.name == "portal" for alias in node.names):
                offences.append(module)
    assert offences == []


def test_the_private_name_check_can_fail():
    """Not vacuous: a private name imported from another module is caught, however it is spelled."""
    across = ast.parse("from portal.api.affiliate.reporting import _body\n")
    assert _private_imports("portal.web.partner.views", across, False) == [
        "portal.web.partner.views imports _body from portal.api.affiliate.reporting"]
    relative = ast.parse("from ..reporting import _paging\n")
    assert _private_imports("portal.api.affiliate.sub.pixels", relative, False) == [
        "portal.api.affiliate.sub.pixels imports _paging from portal.api.affiliate.reporting"]
