"""Process settings: defaults, HUB_* variables over the settings file, command-line
overrides over both; a bad value stops start-up naming where it came from, the key and
what is wrong; secrets live in files named by *_file settings, never in the settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp import web

from hub.adapters import senders_from_settings
from hub.adapters.base import Notice
from hub.config import Settings, load_settings, read_secret
from hub.errors import ConfigError, Forbidden


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_* variable of the machine running the tests leaks into them."""
    for name in [n for n in os.environ if n.startswith("HUB_")]:
        monkeypatch.delenv(name)


def env(variable: str, value: str, *expected: object):
    return pytest.param(variable, value, *expected, id=f"{variable}={value}")


def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    monkeypatch.setenv("HUB_SETTINGS_FILE", str(path))
    return path


def refusal(**overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    return str(caught.value)


def test_defaults_are_a_local_development_hub() -> None:
    settings = load_settings()
    assert (settings.mode, settings.host, settings.port) == ("dev", "127.0.0.1", 8080)
    assert settings.redis_url is None  # an embedded Valkey
    assert settings.ccr_dir == Path("config/example")
    assert settings.timer_lease == 60.0


@pytest.mark.parametrize(("variable", "value", "field", "expected"), [
    env("HUB_PORT", "9090", "port", 9090),
    env("HUB_MODE", "production", "mode", "production"),
    env("HUB_REDIS_URL", "redis://db:6379/2", "redis_url", "redis://db:6379/2"),
    env("HUB_CCR_DIR", "/etc/ccr/river-county", "ccr_dir", Path("/etc/ccr/river-county")),
    env("HUB_TIMER_LEASE", "2.5", "timer_lease", 2.5),
    env("HUB_SMTP_STARTTLS", "true", "smtp_starttls", True),
    env("HUB_KEY_PREFIX", "river-1", "key_prefix", "river-1"),
    env("HUB_LOG_LEVEL", "DEBUG", "log_level", "DEBUG"),
])
def test_a_variable_overrides_the_default(monkeypatch: pytest.MonkeyPatch, variable: str,
                                          value: str, field: str, expected: object) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(load_settings(), field) == expected


def test_the_settings_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_file(tmp_path, monkeypatch, 'mode = "production"\nport = 8181\n'
                  'ccr_dir = "/srv/ccr"\nsmtp_host = "mail.example.org"\n')
    settings = load_settings()
    assert (settings.mode, settings.port) == ("production", 8181)
    assert (settings.ccr_dir, settings.smtp_host) == (Path("/srv/ccr"), "mail.example.org")


def test_a_variable_beats_the_file_and_an_override_beats_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_file(tmp_path, monkeypatch, 'mode = "production"\nport = 8181\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("HUB_PORT", "9000")
    monkeypatch.setenv("HUB_HOST", "10.0.0.5")
    settings = load_settings(host="192.0.2.1")
    assert (settings.mode, settings.port, settings.host) == ("production", 9000, "192.0.2.1")


@pytest.mark.parametrize(("variable", "value", "key", "what"), [
    env("HUB_MODE", "prod", "mode", "'dev' or 'production'"),
    env("HUB_TIMER_LEASE", "-1", "timer_lease", "greater than 0"),
    env("HUB_TIMER_LEASE", "0", "timer_lease", "greater than 0"),
    env("HUB_PORT", "http", "port", "valid integer"),
    env("HUB_PORT", "70000", "port", "less than or equal to 65535"),
    env("HUB_KEY_PREFIX", "River_County", "key_prefix", "should match pattern"),
    env("HUB_MAX_BODY_BYTES", "100", "max_body_bytes", "greater than or equal to 1024"),
    env("HUB_LOG_LEVEL", "verbose", "log_level", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    env("HUB_SMTP_STARTTLS", "perhaps", "smtp_starttls", "valid boolean"),
])
def test_a_bad_variable_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                 key: str, what: str) -> None:
    monkeypatch.setenv(variable, value)
    message = refusal()
    assert message.startswith(f"environment: {key}: ")
    assert what in message


@pytest.mark.parametrize(("text", "key", "what"), [
    ("timer_lease = -5\n", "timer_lease", "greater than 0"),
    ('mode = "staging"\n', "mode", "'dev' or 'production'"),
    ("prot = 8081\n", "prot", "Extra inputs are not permitted"),
], ids=["negative-lease", "bad-mode", "typo"])
def test_a_bad_file_value_names_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 text: str, key: str, what: str) -> None:
    path = settings_file(tmp_path, monkeypatch, text)
    message = refusal()
    assert message.startswith(f"{path}: {key}: ")
    assert what in message


def test_an_unreadable_settings_file_is_named(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = settings_file(tmp_path, monkeypatch, "port = 8080\nmode = \n")
    message = refusal()
    assert message.startswith(f"{path}: not valid TOML: ")
    assert "(at line 2, column 8)" in message
    path.unlink()
    assert refusal() == f"{path}: cannot read settings file: No such file or directory"


def test_a_bad_command_line_override_is_refused() -> None:
    message = refusal(port=0)
    assert "port: Input should be greater than or equal to 1" in message


def test_a_bad_variable_is_not_blamed_on_the_settings_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = settings_file(tmp_path, monkeypatch, 'mode = "production"\n')
    monkeypatch.setenv("HUB_PORT", "http")
    message = refusal()
    assert "port" in message
    assert str(path) not in message


SECRET_WORDS = ("password", "token", "secret", "signing_key")


def test_every_secret_setting_is_a_file_path() -> None:
    secret_fields = [n for n in Settings.model_fields if any(w in n for w in SECRET_WORDS)]
    assert {"smtp_password_file", "sms_token_file", "hub_signing_key_file"} <= set(secret_fields)
    for name in secret_fields:
        assert name.endswith("_file"), name
        assert Settings.model_fields[name].annotation == Path | None, name


def test_a_secret_is_read_from_its_file_without_the_newline(tmp_path: Path) -> None:
    path = tmp_path / "smtp-password"
    path.write_text("hunter2\n")
    assert read_secret(path) == "hunter2"
    assert read_secret(None) is None


def test_a_secret_written_into_the_settings_file_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = settings_file(tmp_path, monkeypatch, 'smtp_password = "hunter2"\n')
    message = refusal()
    assert message.startswith(f"{path}: smtp_password: Extra inputs are not permitted")
    assert "hunter2" not in message


async def test_the_sms_token_is_read_from_its_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aiohttp_server) -> None:
    """The gateway receives the file's token, without the file's trailing newline."""
    seen: list[str] = []

    async def gateway(request: web.Request) -> web.Response:
        seen.append(request.headers["Authorization"])
        return web.json_response({"id": "sms-1"})

    app = web.Application()
    app.router.add_post("/send", gateway)
    server = await aiohttp_server(app)
    token = tmp_path / "sms-token"
    token.write_text("s3cret-token\n")
    monkeypatch.setenv("HUB_SMS_GATEWAY_URL", str(server.make_url("/send")))
    monkeypatch.setenv("HUB_SMS_TOKEN_FILE", str(token))
    sms = senders_from_settings(load_settings())["sms"]
    try:
        await sms.send(Notice(key="k", to="+15555550120", subject="", text="Referral waiting"))
    finally:
        await sms.close()
    assert seen == ["Bearer s3cret-token"]


def test_a_missing_secret_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere/token: cannot read this secret file"):
        read_secret(tmp_path / "nowhere" / "token")


def test_the_longest_consent_accepted_is_a_setting(monkeypatch) -> None:
    from hub.models import Consent
    from hub.routing.ccr import load_ccr
    from hub.services.consent import ConsentService

    monkeypatch.setenv("HUB_CONSENT_MAX_DAYS", "30")
    days = load_settings().consent_max_days
    consent = Consent(agency="harbor-house", purposes=("discharge-handoff",), given_at=0,
                      method="written", documented_by="mercy-nurse-1", expires_at=45 * 86400)
    example = Path(__file__).resolve().parents[2] / "config" / "example"
    consents = ConsentService(ccr=load_ccr(example), max_days=days)
    with pytest.raises(Forbidden, match="at most 30 days") as refused:
        consents.check_release(consent, destination="harbor-house",
                               referral_type="discharge-handoff", now=60)
    assert refused.value.code == "consent_too_long"

@pytest.mark.parametrize(("given", "expected"), [
    ({"HUB_PORT": "8123"}, "http://127.0.0.1:8123"),
    ({"HUB_HOST": "0.0.0.0", "HUB_PORT": "9000"}, "http://127.0.0.1:9000"),
    ({"HUB_PORT": "8123", "HUB_PUBLIC_BASE_URL": "https://hub.example.org"},
     "https://hub.example.org"),
])
def test_the_public_address_is_where_the_hub_serves_unless_given(
        monkeypatch: pytest.MonkeyPatch, given: dict[str, str], expected: str) -> None:
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    assert load_settings().public_base_url == expected
    if "HUB_PUBLIC_BASE_URL" not in given:
        assert load_settings(port=7000).public_base_url.endswith(":7000")


def test_the_redis_password_comes_from_its_file(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    secret = tmp_path / "redis-hub.password"
    secret.write_text("p@ss/word:1\n")
    monkeypatch.setenv("HUB_REDIS_URL", "redis://hub@redis:6379/0")
    monkeypatch.setenv("HUB_REDIS_PASSWORD_FILE", str(secret))
    assert load_settings().redis_url == "redis://hub:p%40ss%2Fword%3A1@redis:6379/0"
    monkeypatch.setenv("HUB_REDIS_PASSWORD_FILE", str(tmp_path / "missing"))
    assert "missing" in refusal()
