"""CI runs the TypeScript client smoke (scripts/ts_smoke.sh): generated types, tsc --strict, a
session and an A2A coinflip against a throwaway live server."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ts_smoke.sh"


def test_typescript_client_smoke_passes_against_a_live_server():
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {', '.join(missing)} is not installed: the TypeScript smoke must run in CI")
        pytest.skip(f"{', '.join(missing)} not installed: TypeScript client smoke not run")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHON"] = sys.executable
    result = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    assert "ts smoke: OK" in result.stdout
