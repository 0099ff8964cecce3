"""Every `b24app …` command line README.md shows parses as written, and every command answers `--help`.

README forms use placeholders (N, S, URL, L, P) and optional parts in brackets; they are filled with sample values
before parsing, so a documented option the parser does not declare fails here instead of on a newcomer's shell.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from b24app.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDERS = {"N": "18801", "S": "5", "URL": "http://127.0.0.1:18802/ut/", "L": "Администратор", "P": "secret"}


def readme_command_lines() -> list[str]:
    """`b24app …` lines from the README's code blocks and from inline code (tables, prose)."""
    text = README.read_text(encoding="utf-8")
    lines: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        lines += [_command_part(ln) for ln in block.splitlines() if "b24app " in ln and not ln.lstrip().startswith("#")]
    lines += [m.strip() for m in re.findall(r"`(b24app [^`]+)`", text)]
    return sorted(set(lines))


def _command_part(line: str) -> str:
    """`VAR=value b24app … # comment` → `b24app …`."""
    return "b24app " + line.split("b24app ", 1)[1].split(" #", 1)[0].strip()


def argv_of(line: str) -> list[str]:
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("...", " "))
    assert words[0] == "b24app"
    return [PLACEHOLDERS.get(w, w) for w in words[1:]]


def test_the_readme_documents_commands():
    lines = readme_command_lines()
    assert any(line.startswith("b24app sandbox-portal --port") for line in lines)
    assert any(line.startswith("b24app onec check") for line in lines)


@pytest.mark.parametrize("line", readme_command_lines())
def test_readme_command_line_parses(line: str):
    args = build_parser().parse_args(argv_of(line))
    assert callable(args.func)


def _commands() -> list[list[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    out = []
    for name, child in sub.choices.items():
        out.append([name])
        for action in child._actions:
            if getattr(action, "choices", None) and action.dest.endswith("command"):
                out += [[name, inner] for inner in action.choices]
    return out


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_answers_help(command: list[str]):
    script = Path(sys.executable).with_name("b24app")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "b24app.cli"]
    done = subprocess.run([*argv, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage: b24app" in done.stdout


def test_documented_options_reach_the_tools():
    args = build_parser().parse_args(["sandbox-1c", "--port", "18802", "--counterparties", "50"])
    assert (args.port, args.counterparties) == (18802, 50)
    args = build_parser().parse_args(["onec", "check", "--url", "http://h/ut/", "--login", "L", "--profile", "bp30"])
    assert (args.url, args.login, args.profile, args.password) == ("http://h/ut/", "L", "bp30", None)


HIDE_SANDBOXES = "import sys; sys.modules['b24sandbox'] = None; from b24app.cli import main; main(sys.argv[1:])"


@pytest.mark.parametrize(("argv", "code"), [
    (["sandbox-portal", "--port", "18801"], 2),
    (["sandbox-1c"], 2),
    (["sandbox-portal", "--help"], 0),
    (["--help"], 0),
])
def test_a_product_install_without_the_sandboxes(argv: list[str], code: int):
    """The product wheel has no `b24sandbox`: the CLI still builds, and the sandbox commands say how to get them."""
    done = subprocess.run([sys.executable, "-c", HIDE_SANDBOXES, *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    if code == 2:
        assert "development tool" in done.stderr and "pip install -e ./sandboxes" in done.stderr
    else:
        assert "usage: b24app" in done.stdout and "sandbox-" in done.stdout
