import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ENV"}} | env
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60)


def test_production_check_deploy_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_ENV="production",
                     SECRET_KEY="k" * 20 + "Zq9!x@Lm#4$vB7&pR2*tY6^wE1%uI8(oP3)aS5-dF0+gH", ALLOWED_HOSTS="royale.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_production_refuses_the_default_secret_key():
    result = _manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="royale.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
