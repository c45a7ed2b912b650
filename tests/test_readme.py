"""Executable documentation: every README block marked `<!-- readme-test: run -->` runs, in order,
with `bash -e` against a live demo server (gunicorn, a Celery worker on the filesystem broker,
seed_demo's data) on the test database, with the variables `.data/demo.env` gives the reader.
`curl` fails on HTTP errors here, so an example that stops working fails the test."""
import json
import os
import re
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.reliability.servers import CeleryWorker, Gunicorn, server_env, shared_database_url

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- readme-test: run -->"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def runnable_blocks(text: str) -> list[tuple[int, str]]:
    """(line of the opening fence, code) of each fenced block right after the marker."""
    blocks = []
    for match in re.finditer(re.escape(MARK) + r"\n```(?:bash|sh)\n(.*?)\n```", text, flags=re.S):
        blocks.append((text[:match.start()].count("\n") + 2, match.group(1)))
    return blocks


def test_marker_finds_the_blocks_it_should():
    text = f"intro\n{MARK}\n```bash\necho one\n```\n\n```bash\necho unmarked\n```\n{MARK}\n```bash\necho two\n```\n"
    assert runnable_blocks(text) == [(3, "echo one"), (11, "echo two")]  # the lines of the fences


def test_readme_examples_run_against_a_live_demo_server(tmp_path):
    blocks = runnable_blocks((ROOT / "README.md").read_text())
    # The reader's project directory, whose files the examples write (profiles.json, exports) into a
    # scratch directory: every top-level entry of the project, linked.
    for entry in ROOT.iterdir():
        if entry.name not in (".git", ".data"):
            (tmp_path / entry.name).symlink_to(entry)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert len(blocks) >= 1
    call_command("seed_demo", credentials_file=scratch / "credentials.json", stdout=StringIO())
    tokens = json.loads((scratch / "credentials.json").read_text())["tokens"]
    env = server_env(CELERY_BROKER_URL="filesystem://", CELERY_BROKER_FOLDER=str(scratch / "broker"))
    server = Gunicorn(env=env, workers=2)
    worker = CeleryWorker(env=env)
    try:
        reader_env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "REDIS"))}
        reader_env.update({"DATABASE_URL": shared_database_url(), "ROYALE_URL": f"http://127.0.0.1:{server.port}",
                           "ROYALE_TOKEN": tokens["demo-agent"], "AGENT_TOKEN": tokens["demo-agent"],
                           "OPERATOR_TOKEN": tokens["demo-operator"], "ADMIN_TOKEN": tokens["demo-admin"],
                           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"})
        script = ["set -euo pipefail", 'curl() { command curl --silent --show-error --fail-with-body "$@"; }']
        for line, code in blocks:
            script += [f"echo '### README.md line {line}' >&2", code, "echo"]
        result = subprocess.run(["bash", "-c", "\n".join(script)], env=reader_env, capture_output=True, text=True,
                                timeout=600, cwd=tmp_path)
        failed_at = re.findall(r"### (README.md line \d+)", result.stderr)
        assert result.returncode == 0, (f"failed in the block at {failed_at[-1] if failed_at else '?'}:\n"
                                        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
        audit = StringIO()
        call_command("audit_ledger", stdout=audit)  # exits non-zero on any mismatch
        assert "0 mismatch(es)" in audit.getvalue()
    finally:
        worker.stop()
        server.stop()
