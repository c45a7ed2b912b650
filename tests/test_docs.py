"""Documents the code and the README point to exist, and the README's commands are not macOS-only."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"(?<![\w/.-])((?:docs|clients/typescript|clients/python)/[\w./-]*\.md)\b")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.ts", "*.sh", "*.toml"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if "node_modules" not in name]


def test_every_cited_document_exists():
    cited = {}
    for path in _tracked_text_files():
        for name in CITED.findall(path.read_text(errors="replace")):
            cited.setdefault(name, path.relative_to(ROOT))
    assert {"docs/rl.md", "docs/games.md", "docs/fingerprinting.md"} <= set(cited)
    missing = {name: str(where) for name, where in cited.items() if not (ROOT / name).is_file()}
    assert not missing, missing
    assert (ROOT / "clients/typescript/README.md").is_file()


def test_readme_commands_are_not_macos_only():
    commands = re.findall(r"```(?:bash|sh)\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line.strip() for block in commands for line in block.splitlines()]
    assert not [line for line in lines if re.match(r"(open|pbcopy|pbpaste|brew|launchctl)\b", line)]
