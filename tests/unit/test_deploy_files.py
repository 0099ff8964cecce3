"""The deployment files agree with the app: compose.yaml's services run the Procfile's commands (and the README's
`db upgrade`), every command and the Dockerfile's CMD parse with the app's own CLI, every variable compose passes is
one config.py reads, the healthchecks' Python imports what exists, Redis persists, and the image carries what the
package looks for next to itself (templates, manifest) and never the sandboxes. Docker itself is not run here."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

import b24app
from b24app.cli import build_parser
from b24app.manifest import MANIFEST_PATH, load_manifest
from b24app.web import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Procfile values for the shell defaults it uses (${PORT:-8000}, ${WEB_CONCURRENCY:-4}).
PROCFILE = {name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", command).split()
            for name, command in (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                                  if line.strip())}


def _command(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _parses(argv: list[str]):
    """The CLI function `b24app <argv>` runs; fails the test if the app's parser refuses the line."""
    assert argv[0] == "b24app", argv
    try:
        return build_parser().parse_args(argv[1:]).func
    except SystemExit:
        pytest.fail(f"`{' '.join(argv)}` is not a command line the app's CLI accepts")


def test_compose_has_the_processes_the_databases_and_a_one_shot_migration():
    assert set(SERVICES) == {"postgres", "redis", *APP_SERVICES}
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert SERVICES[name]["depends_on"]["redis"] == {"condition": "service_healthy"}, name
    assert SERVICES["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_the_processes_run_the_procfiles_commands_and_the_readmes_migration():
    web = _command("web")
    assert web[:2] == PROCFILE["web"][:2] == ["b24app", "web"]
    assert dict(zip(web[2::2], web[3::2], strict=True)) == dict(zip(PROCFILE["web"][2::2], PROCFILE["web"][3::2],
                                                                     strict=True))
    assert _command("worker") == PROCFILE["worker"]
    assert _command("scheduler") == PROCFILE["scheduler"]
    assert _command("migrate") == ["b24app", "db", "upgrade"]
    assert "`b24app db upgrade`" in README
    functions = {name: _parses(_command(name)).__name__ for name in APP_SERVICES}
    assert functions == {"migrate": "cmd_db", "web": "cmd_web", "worker": "cmd_worker", "scheduler": "cmd_scheduler"}


def test_every_variable_compose_passes_is_one_the_app_reads():
    config = (ROOT / "b24app" / "config.py").read_text(encoding="utf-8")
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert isinstance(env, dict) and env, name
        unknown = [key for key in env if f'"{key}"' not in config]
        assert not unknown, f"{name} sets variables config.py never reads: {unknown}"
        for required in ("DATABASE_URL", "REDIS_URL", "B24APP_PUBLIC_URL", "B24APP_CLIENT_ID",
                         "B24APP_CLIENT_SECRET", "B24APP_SECRET_KEY"):
            assert required in env, (name, required)
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
    # The secrets have no default: compose refuses to start without them instead of running keyless.
    env = SERVICES["web"]["environment"]
    for secret in ("B24APP_SECRET_KEY", "B24APP_CLIENT_SECRET"):
        assert re.fullmatch(r"\$\{" + secret + r":\?[^}]+\}", env[secret]), env[secret]


def test_redis_persists_and_every_long_running_service_has_a_healthcheck():
    redis = SERVICES["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
    assert redis[redis.index("--maxmemory-policy") + 1] == "noeviction"
    assert any(v.endswith(":/data") for v in SERVICES["redis"]["volumes"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["postgres"]["volumes"])
    for name in ("postgres", "redis", "web", "worker", "scheduler"):
        assert SERVICES[name]["healthcheck"]["test"], name


@pytest.mark.parametrize("service", ["web", "worker", "scheduler"])
def test_healthcheck_python_imports_what_exists(service):
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    tree = ast.parse(test[3])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{service}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
    if service == "web":
        health = (ROOT / "b24app" / "web" / "health.py").read_text(encoding="utf-8")
        assert "/healthz" in test[3] and '@bp.get("/healthz")' in health


def test_the_image_is_slim_non_root_and_runs_a_real_command():
    stages = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.M)
    assert stages and all(s == "python:3.11-slim" for s in stages), stages
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, flags=re.M)
    assert users and users[-1] not in ("root", "0"), users
    [cmd] = re.findall(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE, flags=re.M)
    argv = json.loads(cmd)
    assert _parses(argv).__name__ == "cmd_web"
    assert argv == _command("web")


def test_the_image_carries_the_wheel_templates_and_manifest_but_never_the_sandboxes():
    # The package looks for templates/ and manifest/ in the directory that holds b24app/; the image puts them into
    # the site-packages its wheel is installed to. If they move into the package, this (and the Dockerfile) change.
    package_parent = Path(b24app.__file__).resolve().parent.parent
    assert TEMPLATES == package_parent / "templates" and MANIFEST_PATH.parent == package_parent / "manifest"
    [site] = re.findall(r"^ARG SITE_PACKAGES=(\S+)$", DOCKERFILE, flags=re.M)
    assert re.search(r"^COPY templates \$\{SITE_PACKAGES\}/templates$", DOCKERFILE, flags=re.M)
    assert re.search(r"^COPY manifest \$\{SITE_PACKAGES\}/manifest$", DOCKERFILE, flags=re.M)
    venv = re.search(r"python -m venv (\S+)", DOCKERFILE).group(1)
    assert site == f"{venv}/lib/python3.11/site-packages"
    assert "pip wheel" in DOCKERFILE and "--no-index --find-links /wheels b24app" in DOCKERFILE
    copied = re.findall(r"^COPY (?!--from)(\S+)", DOCKERFILE, flags=re.M)
    assert "sandboxes" not in " ".join(copied) and "." not in copied
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"sandboxes", "tests", ".venv", ".git", ".env"} <= ignored


def test_readme_deploy_section_names_the_manifests_urls_and_scopes():
    manifest = load_manifest()
    section = README[README.index("## Deploying for real"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    assert README.index("## Configuration") < README.index("## Deploying for real")
    for path in (manifest.install_path, manifest.handler_path, manifest.events_path):
        assert f"https://b24-1c.example.ru{path}" in section, path
    for scope in manifest.scopes:
        assert f"`{scope}`" in section, scope
    for needed in ("b24app db upgrade", "appendonly", "SetStandardODataInterfaceContent",
                   "B24APP_ONEC_ALLOWED_NETWORKS", "proxy_set_header", "client_max_body_size", "docker compose"):
        assert needed in section, needed
