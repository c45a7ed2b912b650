"""The app layers stay one-way (issue 20): `core` ← `wallet_app` ← `games_app` ← `sessions_app` ←
`rl_app` / `fingerprint_app` ← `operator_console`, and inside games_app the A2A casino below the rest,
checked by import-linter with the contracts in `.importlinter`, which excuse no back-edge."""
import ast
import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--config", str(config), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_layers_contract_is_kept():
    result = _lint(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_back_edges_are_excused_and_the_check_sees_them(tmp_path):
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    contracts = [name for name in parser.sections() if name.startswith("importlinter:contract:")]
    assert all(not parser[name].get("ignore_imports", "").strip() for name in contracts)
    # The same contracts with two layers swapped break on real imports (rl_app reads sessions_app; the slot
    # engine's A2A adapter reads the casino's rules): the checker really looks at the imports.
    for name, upper, lower in (("importlinter:contract:layers", "rl_app | fingerprint_app", "sessions_app"),
                               ("importlinter:contract:casino", None, "casino")):
        section = parser[name]
        layers = [line.strip() for line in section["layers"].splitlines() if line.strip()]
        high, low = (layers.index(upper) if upper else 0), layers.index(lower)
        layers[high], layers[low] = layers[low], layers[high]
        section["layers"] = "\n" + "\n".join(layers)
    swapped = tmp_path / "importlinter.ini"
    with swapped.open("w") as handle:
        parser.write(handle)
    result = _lint(swapped)
    assert result.returncode == 1
    assert "rl_app is not allowed to import sessions_app" in result.stdout
    assert "games_app.engine is not allowed to import games_app.casino" in result.stdout


APPS = ("core", "wallet_app", "games_app", "sessions_app", "rl_app", "fingerprint_app", "operator_console")


def _local_app_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of one of the project's apps made inside a function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):  # a relative import is one of the app's own modules
                    modules = ["." * inner.level + (inner.module or "")]
                elif isinstance(inner, ast.Import):
                    modules = [alias.name for alias in inner.names]
                else:
                    continue
                found += [(inner.lineno, module) for module in modules
                          if module.startswith(".") or module.split(".")[0] in APPS]
    return found


def test_app_modules_are_imported_at_the_top_except_in_app_configs():
    # A function-local import of an app module used to dodge an import cycle; the cycles are gone. Only
    # apps.py keeps them (it loads before models may be imported). Lazy imports of optional third-party
    # packages (pyarrow, minari, OpenTelemetry, eth_account) are not app imports and stay allowed.
    assert _local_app_imports("def f():\n    from sessions_app.services import session_act\n") == [
        (2, "sessions_app.services")]
    offenders = [f"{path.relative_to(ROOT)}:{line} {module}"
                 for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
                 if path.name != "apps.py" and "migrations" not in path.parts
                 for line, module in _local_app_imports(path.read_text())]
    assert offenders == []
