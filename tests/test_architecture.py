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


# --- the partner-facing modules touch data only through the façade's interfaces (portal.affiliate.backend) --

PARTNER_FACING = ("portal.web.partner", "portal.api.affiliate", "portal.affiliate")
# The built-in SQL implementations of backend.LocalAccounts and backend.AffiliateBackend: the only modules of
# the façade that may read the database.
SQL_BACKEND = frozenset({"portal.affiliate.sql_accounts", "portal.affiliate.sql_backend", "portal.affiliate.sql_billing",
                         "portal.affiliate.sql_offers", "portal.affiliate.sql_reports"})
# The use cases (services) write the database: the partner-facing modules reach them through the façade too.
DATA_MODULES = ("portal.queries", "portal.models", "portal.extensions.db", "portal.services")
# The façade's one reader of the app (its config) is the factory that builds scopes for both doors.
APP_READERS = frozenset({"portal.affiliate.factory"})
APP_MODULES = ("flask.current_app", "portal.extensions")


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _imported_names(tree: ast.Module, module: str, is_package: bool, forbidden: tuple[str, ...]):
    """The forbidden modules or names a module imports, dotted in full (`from portal import models` is
    portal.models; `from portal.queries import accounts` is portal.queries)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if _within(alias.name, forbidden))
    for base, names in _imports(tree, module, is_package):
        if _within(base, forbidden):
            yield base
        else:
            yield from (f"{base}.{name}" for name in names if _within(f"{base}.{name}", forbidden))


def _data_access(module: str, tree: ast.Module, is_package: bool) -> list[str]:
    """What a partner-facing module imports that is the database's or the app's, not the façade's."""
    if not _within(module, PARTNER_FACING) or module in SQL_BACKEND:
        return []
    forbidden = DATA_MODULES
    if _within(module, ("portal.affiliate",)) and module not in APP_READERS:
        forbidden = DATA_MODULES + APP_MODULES
    return [f"{module} imports {name}" for name in sorted(set(_imported_names(tree, module, is_package, forbidden)))]


def test_partner_facing_modules_reach_data_only_through_the_facade():
    """The two partner doors and the façade import no queries, models, db or services (and the façade, but
    for its factory, not the app or its extensions): an upstream backend can then replace the SQL one."""
    offences = [offence for module, path, tree in _modules()
                for offence in _data_access(module, tree, path.name == "__init__.py")]
    assert offences == []
    facade = {name for name, _, _ in _modules() if _within(name, ("portal.affiliate",))}
    assert SQL_BACKEND | APP_READERS <= facade  # the exceptions name modules that exist


def test_the_sql_backend_is_exactly_the_sql_modules():
    """A new module of the SQL backend is named sql_*.py and listed; nothing else is excused."""
    named = {name for name, path, _ in _modules() if _within(name, ("portal.affiliate",))
             and path.name.startswith("sql_")}
    assert named == SQL_BACKEND


def test_the_data_access_check_can_fail():
    """Not vacuous: each way of spelling a forbidden import is caught, and only the named modules are excused."""
    def caught(module: str, source: str, is_package: bool = False) -> list[str]:
        return _data_access(module, ast.parse(source), is_package)

    assert caught("portal.web.partner.team", "from portal.queries import accounts\n") == [
        "portal.web.partner.team imports portal.queries"]
    assert caught("portal.api.affiliate.blueprint", "from portal.extensions import csrf, db\n") == [
        "portal.api.affiliate.blueprint imports portal.extensions.db"]
    assert caught("portal.api.affiliate.auth", "import portal.models.accounts\n") == [
        "portal.api.affiliate.auth imports portal.models.accounts"]
    assert caught("portal.web.partner.notices", "def f():\n    from portal import models\n") == [
        "portal.web.partner.notices imports portal.models"]
    assert caught("portal.affiliate.upstream.client", "from ...queries.settings import network_settings\n") == [
        "portal.affiliate.upstream.client imports portal.queries.settings"]
    assert caught("portal.web.partner.team", "from portal.services import invitations, team\n") == [
        "portal.web.partner.team imports portal.services"]
    assert caught("portal.api.affiliate.auth", "from portal.services.keys import find_credential\n") == [
        "portal.api.affiliate.auth imports portal.services.keys"]
    assert caught("portal.affiliate.postbacks", "from flask import current_app\n") == [
        "portal.affiliate.postbacks imports flask.current_app"]
    assert caught("portal.affiliate.postbacks", "from portal.extensions import limiter\n") == [
        "portal.affiliate.postbacks imports portal.extensions"]
    # Excused: the SQL backend by name, the factory for the app only, the doors for the app's services.
    assert caught("portal.affiliate.sql_backend", "from portal.queries import clicks\n") == []
    assert caught("portal.affiliate.sql_accounts", "from portal.services import team\n") == []
    assert caught("portal.affiliate.factory", "from flask import current_app\n") == []
    assert caught("portal.affiliate.factory", "from portal.models import Partner\n") == [
        "portal.affiliate.factory imports portal.models"]
    assert caught("portal.api.affiliate.budget", "from portal.extensions import limiter\n") == []
    assert caught("portal.web.staff.partners", "from portal.queries import accounts\n") == []
