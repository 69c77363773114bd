"""docker-compose.yml and the Dockerfile, checked as files (Docker does not run here; the
image's files are built in tests/test_image.py), and the pieces compose runs that can run
here: Redis started by config/redis/start.sh with the hub's ACL and passwords from files,
the hub and its worker under that user, and the worker's health check."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import time
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import yaml

from tests.faults.harness import free_port, server_binary

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
                                                ("worker", ["hub", "worker"]),
                                                ("bridge", ["hub", "bridge"])])
def test_hub_commands_exist(name: str, expected: list[str]) -> None:
    args = argv(service(name)["command"])
    assert args == expected
    script, subcommand = args
    assert script in console_scripts(), f"{script!r} is not in [project.scripts]"
    assert subcommand in cli_commands(), f"'hub --help' does not list {subcommand!r}"


def test_redis_is_durable_and_never_evicts() -> None:
    redis = service("redis")
    args = argv(redis["command"])
    assert args[:2] == ["sh", "/etc/redis/start.sh"]  # which ends in redis-server "$@"
    config = flags(args[2:])
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


def test_the_bridge_runs_only_at_the_hospital_with_its_secrets_in_files() -> None:
    bridge = service("bridge")
    assert bridge["profiles"] == ["hospital"]
    for key in bridge["environment"]:
        assert key.startswith("HUB_BRIDGE_")
        assert not any(w in key for w in ("PASSPHRASE", "TOKEN")) or key.endswith("_FILE")


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
    stages = [a for i, a in instructions if i == "FROM"]
    assert stages[-1].startswith("python:3.11"), "the image the hub runs in"
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


def mounts(name: str) -> dict[str, str]:
    """container path -> source, for a service's volumes (short syntax)."""
    out = {}
    for volume in service(name).get("volumes") or []:
        source, target, *_ = volume.split(":")
        out[target] = source
    return out


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_hub_services_name_their_address_and_signing_key(name: str) -> None:
    env = environment(name)
    assert urlsplit(env["HUB_PUBLIC_BASE_URL"]).port == 8080
    for key in ("HUB_HUB_SIGNING_KEY_FILE", "HUB_REDIS_PASSWORD_FILE"):
        folder, _, file = env[key].rpartition("/")
        assert mounts(name).get(folder) == "hub-keys", (key, mounts(name))
        assert f'"{file}"' in " ".join(argv(service("keys")["command"])), file


def test_redis_loads_the_hubs_acl_and_the_hub_signs_in_as_its_user() -> None:
    redis = mounts("redis")
    assert redis["/etc/redis/hub-acl.txt"] == "./config/redis/hub-acl.txt"
    assert redis["/etc/redis/start.sh"] == "./config/redis/start.sh"
    assert redis["/run/hub-keys"] == "hub-keys"
    user = next(line.split()[1] for line in (ROOT / "config" / "redis" / "hub-acl.txt")
                .read_text().splitlines() if line.startswith("user "))
    for name in HUB_SERVICES:
        assert urlsplit(environment(name)["HUB_REDIS_URL"]).username == user


def test_the_worker_has_a_health_check_the_cli_knows() -> None:
    check = service("worker")["healthcheck"]["test"]
    assert check[0] == "CMD" and check[1:] == ["hub", "worker", "--alive"]
    help_text = subprocess.run([sys.executable, "-m", "hub.cli", "worker", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60, check=True).stdout
    assert "--alive" in help_text


def test_the_mail_catcher_is_clear_of_the_dev_mail_sink_and_the_hub() -> None:
    from hub.config import Settings

    published = {int(p.split(":")[-2]) for p in service("mailcatcher")["ports"]}
    assert published.isdisjoint({Settings().smtp_port, Settings().port})
    for name in ("hub", "mailcatcher"):
        for port in service(name).get("ports") or []:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


@pytest.fixture
def compose_redis(tmp_path: Path):
    """Redis as compose starts it: config/redis/start.sh over the keys `keys` makes, with
    redis-server being the Valkey the hub embeds (no image entrypoint here)."""
    keys, bin_dir = tmp_path / "keys", tmp_path / "bin"
    keys.mkdir()
    bin_dir.mkdir()
    for name in ("redis-hub.password", "redis-admin.password"):
        (keys / name).write_text(secrets.token_hex(32) + "\n")
    (bin_dir / "redis-server").symlink_to(server_binary())
    port = free_port()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "HUB_KEYS_DIR": str(keys),
           "HUB_ACL_FILE": str(ROOT / "config" / "redis" / "hub-acl.txt"),
           "HUB_USERS_FILE": str(tmp_path / "users.acl"), "HUB_REDIS_EXEC": ""}
    args = argv(service("redis")["command"])
    proc = subprocess.Popen([args[0], str(ROOT / "config" / "redis" / "start.sh"), *args[2:],
                             "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield port, keys, tmp_path / "users.acl"
    finally:
        proc.terminate()
        proc.wait(10)


def test_start_sh_loads_the_hubs_acl_with_the_passwords_from_files(compose_redis) -> None:
    port, keys, users = compose_redis
    hub_password = (keys / "redis-hub.password").read_text().strip()
    admin = (keys / "redis-admin.password").read_text().strip()
    hub = redis.Redis(port=port, username="hub", password=hub_password)
    for _ in range(100):
        try:
            assert hub.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    assert oct(users.stat().st_mode & 0o777) == "0o600" and "#" not in users.read_text()
    hub.xadd("ccr:audit:log", {"e": "1"})
    with pytest.raises(redis.exceptions.NoPermissionError):
        hub.delete("ccr:audit:log")
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=port).ping()
    operator = redis.Redis(port=port, password=admin)
    assert operator.config_get("appendfsync")["appendfsync"] == "always"
    for client in (hub, operator):
        client.close()


def test_the_worker_is_healthy_while_it_runs_under_the_hubs_user(compose_redis) -> None:
    port, keys, _ = compose_redis
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_REDIS_URL=f"redis://hub@127.0.0.1:{port}/0",
               HUB_REDIS_PASSWORD_FILE=str(keys / "redis-hub.password"),
               HUB_CCR_DIR=str(ROOT / "config" / "example"), HUB_LOG_LEVEL="WARNING")

    def alive() -> int:
        return subprocess.run([sys.executable, "-m", "hub.cli", "worker", "--alive"], cwd=ROOT,
                              env=env, capture_output=True, timeout=60).returncode

    time.sleep(0.5)
    assert alive() == 1
    worker = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if alive() == 0:
                break
            time.sleep(0.2)
        assert alive() == 0
    finally:
        worker.terminate()
        worker.wait(20)
    assert alive() == 1


@pytest.mark.parametrize("name", HUB_SERVICES)
def test_hub_services_are_restarted_and_health_checked(name: str) -> None:
    """A process whose loop failed exits non-zero: Docker starts it again. The web is
    healthy while it and Redis answer; the worker while it is registered on the queue."""
    spec = service(name)
    assert spec.get("restart") == "unless-stopped"
    check = " ".join(argv(spec["healthcheck"]["test"]))
    endpoint = {"hub": "127.0.0.1:8080/healthz'", "worker": "hub worker --alive"}[name]
    assert endpoint in check, check
    assert spec["healthcheck"]["interval"] and spec["healthcheck"]["retries"]


def test_the_single_redis_of_compose_is_not_waited_on_for_a_replica() -> None:
    for name in HUB_SERVICES:
        assert environment(name)["HUB_REDIS_REPLICA_ACKS"] == "0"
