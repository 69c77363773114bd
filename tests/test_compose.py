"""docker-compose.yml and the Dockerfile, checked as files: Docker does not run here."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
HUB_SERVICES = ("hub", "worker")


@cache
def compose() -> dict:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def service(name: str) -> dict:
    return compose()["services"][name]


def argv(command: str | list[str]) -> list[str]:
    """A compose command as the argument list the container gets."""
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def flags(args: list[str]) -> dict[str, str]:
    """`--name value` pairs; a flag with no value before the next flag maps to ""."""
    pairs: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            has_value = i + 1 < len(args) and not args[i + 1].startswith("--")
            pairs[arg[2:]] = args[i + 1] if has_value else ""
            i += 2 if has_value else 1
        else:
            i += 1
    return pairs


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


@cache
def console_scripts() -> dict[str, str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return pyproject["project"]["scripts"]


@cache
def cli_commands() -> set[str]:
    """The subcommands `hub --help` lists: the first word of each line indented by exactly
    four spaces (deeper lines continue a description)."""
    result = subprocess.run([sys.executable, "-m", "hub.cli", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    return {line.split()[0] for line in result.stdout.splitlines()
            if line.startswith("    ") and not line.startswith("     ")}


def test_compose_parses_and_has_the_services() -> None:
    services = compose()["services"]
    assert {"hub", "worker", "redis", "mailcatcher"} <= set(services)


@pytest.mark.parametrize(("name", "expected"), [("hub", ["hub", "serve"]),
                                                ("worker", ["hub", "worker"])])
def test_hub_commands_exist(name: str, expected: list[str]) -> None:
    args = argv(service(name)["command"])
    assert args == expected
    script, subcommand = args
    assert script in console_scripts(), f"{script!r} is not in [project.scripts]"
    assert subcommand in cli_commands(), f"'hub --help' does not list {subcommand!r}"


def test_redis_is_durable_and_never_evicts() -> None:
    redis = service("redis")
    args = argv(redis["command"])
    assert args[0] == "redis-server"
    config = flags(args[1:])
    assert config.get("appendonly") == "yes"
    assert config.get("appendfsync") == "always"
    assert config.get("maxmemory-policy") == "noeviction"
    assert redis["image"].startswith("redis:")


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_hub_services_use_the_compose_redis(name: str) -> None:
    env = environment(name)
    url = urlsplit(env["HUB_REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == "redis"
    assert url.hostname in compose()["services"]
    depends = service(name).get("depends_on") or {}
    assert "redis" in depends


def test_hub_runs_in_production_mode() -> None:
    assert environment("hub")["HUB_MODE"] == "production"
    assert environment("worker")["HUB_MODE"] == "production"


def test_no_secrets_in_compose() -> None:
    for name in HUB_SERVICES:
        for key in environment(name):
            assert not any(word in key for word in ("PASSWORD", "TOKEN", "SECRET")) \
                or key.endswith("_FILE"), f"{name}: {key} belongs in a file, not compose"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [(word.upper(), rest.strip()) for word, _, rest in (s.partition(" ") for s in joined)]


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def test_dockerfile_runs_hub() -> None:
    assert DOCKERFILE.is_file()
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11")
    entry = [exec_form(a) for i, a in instructions if i in ("ENTRYPOINT", "CMD")]
    assert entry, "Dockerfile has no CMD or ENTRYPOINT"
    assert entry[0][0] in console_scripts()
    users = [a for i, a in instructions if i == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"


def test_hub_service_is_built_from_the_dockerfile() -> None:
    for name in HUB_SERVICES:
        build = service(name).get("build")
        assert build, f"{name} has no build section"
        if isinstance(build, str):
            build = {"context": build}
        path = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert path.resolve() == DOCKERFILE


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_hub_services_are_restarted_and_health_checked(name: str) -> None:
    """A process whose loop failed exits non-zero: Docker starts it again. The web is
    healthy while it and Redis answer; the worker while escalation runs."""
    spec = service(name)
    assert spec.get("restart") == "unless-stopped"
    check = " ".join(argv(spec["healthcheck"]["test"]))
    endpoint = {"hub": "127.0.0.1:8080/healthz'", "worker": "hub:8080/healthz/engine'"}[name]
    assert endpoint in check, check
    assert spec["healthcheck"]["interval"] and spec["healthcheck"]["retries"]


def test_the_single_redis_of_compose_is_not_waited_on_for_a_replica() -> None:
    for name in HUB_SERVICES:
        assert environment(name)["HUB_REDIS_REPLICA_ACKS"] == "0"
