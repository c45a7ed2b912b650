"""The app layers stay one-way (issue 20): `core` ← `wallet_app` ← `games_app` ← `sessions_app` ←
`rl_app` / `fingerprint_app` ← `operator_console`, checked by import-linter with the contract in
`.importlinter`, whose list of known back-edges is empty and stays so."""
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


def test_known_back_edges_are_few_and_the_check_sees_them(tmp_path):
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    section = parser["importlinter:contract:layers"]
    ignored = [line for line in section["ignore_imports"].splitlines() if line.strip()]
    assert len(ignored) == 0
    # The same contract with sessions_app put above rl_app breaks on rl_app's real imports of sessions_app:
    # the checker really looks at the imports.
    del section["ignore_imports"]
    layers = [line.strip() for line in section["layers"].splitlines() if line.strip()]
    upper, lower = layers.index("rl_app | fingerprint_app"), layers.index("sessions_app")
    layers[upper], layers[lower] = layers[lower], layers[upper]
    section["layers"] = "\n" + "\n".join(layers)
    swapped = tmp_path / "importlinter.ini"
    with swapped.open("w") as handle:
        parser.write(handle)
    result = _lint(swapped)
    assert result.returncode == 1 and "rl_app is not allowed to import sessions_app" in result.stdout
