"""Process settings: HUB_* environment variables over an optional TOML settings file
(HUB_SETTINGS_FILE). Secrets are named by file path, never written in committed config."""

from __future__ import annotations

import math
import os
import tomllib
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hub.errors import ConfigError


def _networks(value: object) -> object:
    """'10.0.0.5, 192.168.0.0/24' (the environment) or a list (a settings file)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return value
    return tuple(ip_network(str(i).strip(), strict=False) for i in items if str(i).strip())


Networks = Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode,
                     BeforeValidator(_networks)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="forbid", frozen=True)

    redis_url: str | None = Field(None, description="unset: 'hub run' starts an embedded "
                                  "Valkey; "
                                  "redis+sentinel://HOST:PORT[,...]/MASTER[/DB] names a "
                                  "primary that Sentinel manages")
    redis_sentinels: str | None = Field(None, pattern=r"^[^,\s]+(,[^,\s]+)*$",
                                        description="instead of a Sentinel URL: the "
                                        "sentinels, HOST:PORT,HOST:PORT")
    redis_master: str = Field("ccr", pattern=r"^[A-Za-z0-9._-]{1,64}$",
                              description="the name the sentinels know the primary by")
    redis_replica_acks: int | None = Field(None, ge=0, le=5, description="replicas that "
                                           "must hold a change on their AOF before it is "
                                           "answered (default 1 in production, 0 in dev; 0 "
                                           "for a single-node CCR)")
    redis_password_file: Path | None = Field(None, description="the password of the Redis "
                                             "user HUB_REDIS_URL names, from a file (the URL "
                                             "then carries none)")
    key_prefix: str = Field("ccr", pattern=r"^[a-z0-9-]{1,32}$",
                            description="every Redis key starts with this and a colon")
    redis_timeout: float = Field(3.0, gt=0, le=60, description="seconds to wait for Redis "
                                 "to answer before giving up (the API then answers 503 with "
                                 "Retry-After rather than hanging)")
    host: str = Field("127.0.0.1", description="the address the API and pages listen on")
    port: int = Field(8080, ge=1, le=65535, description="the port they listen on")
    metrics_host: str = Field("127.0.0.1", description="where /metrics (Prometheus) listens, "
                              "apart from the API: loopback unless the scraper is elsewhere")
    metrics_port: int = Field(9180, ge=0, le=65535, description="the metrics address's port "
                              "(0: no metrics address)")
    metrics_token_file: Path | None = Field(None, description="a scrape token: with it, "
                                            "/metrics is also served on the API's address to "
                                            "'Authorization: Bearer TOKEN'")
    public_base_url: str = Field("http://127.0.0.1:8080", description="the address people "
                                 "reach the hub at (links in notices); by default the host "
                                 "and port it serves on")
    embedded_redis_port: int | None = Field(None, ge=1, le=65535, description="'hub run': "
                                            "the embedded Valkey's port (default: a free one)")
    trusted_proxies: Networks = Field((), description="reverse proxies (addresses or "
                                      "networks, comma-separated) whose X-Forwarded-For names "
                                      "the client: the failed sign-in limit and the audit "
                                      "log then see the real client, not the proxy")
    mode: Literal["dev", "production"] = Field("dev", description="production also sends "
                                               "HSTS, names the session cookie "
                                               "__Host-ccr_session, waits for a replica and "
                                               "refuses to start without the hub's signing key")
    ccr_dir: Path = Field(Path("config/example"), description="the community's TOML "
                          "directory (agencies, people, referral types, policies, agreements)")
    data_dir: Path = Field(Path("var"), description="where 'hub run' keeps what it makes "
                           "(the embedded Valkey's data, the dev mail sink, the demo's "
                           "homes, a dev signing key)")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="the largest request "
                                "body accepted, bytes; a larger one is answered 413")
    client_timeout: float = Field(30.0, gt=0, le=3600, description="seconds a client has to "
                                  "send a request's headers, and again its body; a slower "
                                  "one is cut off (raise it where large attachments come "
                                  "over slow links)")
    hub_signing_key_file: Path | None = Field(None, description="the hub's own Ed25519 seed "
                                              "(64 hex digits): it signs audit checkpoints; "
                                              "production refuses to start without it, dev "
                                              "mode makes one under the data directory")
    smtp_host: str = Field("127.0.0.1", description="the mail server notices go through")
    smtp_port: int = Field(8025, description="its port")
    smtp_sender: str = Field("CCR Hub <hub@localhost>", description="the From of notices")
    smtp_username: str | None = Field(None, description="the mail server's user, if it "
                                      "asks for one")
    smtp_password_file: Path | None = Field(None, description="that user's password, from "
                                            "a file")
    smtp_starttls: bool = Field(False, description="insist on STARTTLS (it is used whenever "
                                "the server offers it in any case)")
    smtp_implicit_tls: bool = Field(False, description="TLS from the first byte (port 465)")
    smtp_ca_file: Path | None = Field(None, description="a CA bundle to trust for the mail "
                                      "server (a private CA)")
    sms_provider: Literal["webhook", "twilio", "sink"] = Field(
        "webhook", description="how text notices are sent: a webhook gateway or Twilio; "
        "sink (dev only) keeps them as files under DATA_DIR/sms/ instead, as `hub run` "
        "does when no gateway is set")
    sms_gateway_url: str | None = Field(None, description="the webhook's URL, or Twilio's "
                                        "API base (https://api.twilio.com)")
    sms_token_file: Path | None = Field(None, description="the webhook's bearer token, or "
                                        "Twilio's auth token (which also signs its reports)")
    sms_account_sid: str | None = Field(None, description="Twilio: the account's SID")
    sms_sender: str | None = Field(None, description="Twilio: the number notices come from")
    sms_report_secret_file: Path | None = Field(None, description="webhook: the HMAC secret "
                                                "that signs its delivery reports")
    voice_provider: Literal["webhook", "twilio"] = Field("webhook", description="how calls "
                                                         "are placed: a webhook gateway or "
                                                         "Twilio")
    voice_gateway_url: str | None = Field(None, description="the voice webhook's URL, or "
                                          "Twilio's API base (https://api.twilio.com)")
    voice_token_file: Path | None = Field(None, description="the voice webhook's bearer "
                                          "token, or Twilio's auth token (which also signs "
                                          "its callbacks)")
    voice_account_sid: str | None = Field(None, description="Twilio: the account's SID")
    voice_caller: str | None = Field(None, description="Twilio: the number calls come from")
    voice_report_secret_file: Path | None = Field(None, description="voice webhook: the HMAC "
                                                  "secret that signs its call reports and "
                                                  "keypresses")
    voice_ring_seconds: int = Field(30, ge=5, le=120, description="how long a call rings "
                                    "before it counts as not answered")
    vapid_private_key_file: Path | None = Field(None, description="web push: the VAPID "
                                                "private key (PEM, P-256); none: no push")
    vapid_subject: str = Field("mailto:hub@localhost", pattern=r"^(mailto:|https://)\S+$",
                               description="web push: who runs the hub, for the push "
                               "services (mailto: or https:)")
    timer_lease: float = Field(60.0, gt=0, description="seconds a worker has to finish a "
                               "claimed step or delivery before it is fired again")
    notice_limit_person: int = Field(3, ge=1, description="notices to one person on one "
                                     "channel per window; more wait for one digest")
    notice_limit_agency: int = Field(20, ge=1, description="notices to one agency's people "
                                     "per window")
    notice_window: float = Field(600.0, gt=0, description="the flood-control window, seconds")
    person_rate_limit: int = Field(300, ge=1, description="requests one person may make per "
                                   "window on authenticated routes and pages, in each hub "
                                   "process; more are answered 429 with Retry-After")
    person_rate_window: float = Field(60.0, gt=0, le=3600, description="that window, seconds")
    consent_max_days: int = Field(90, ge=1, le=366, description="the longest consent the hub "
                                  "accepts (federal rules ask for reasonably time-limited)")
    live_every: float = Field(2.0, gt=0, le=60, description="seconds between the dashboard's "
                              "checks for changes to push to open pages")
    engine_stale: float = Field(30.0, gt=0, le=3600, description="seconds without a "
                                "completed ticker cycle after which escalation counts as "
                                "stopped: /healthz/engine answers 503, the pages say so and "
                                "the operators are told")
    smart_clients_file: Path | None = Field(None, description="the SMART Backend Services "
                                            "clients of the FHIR facade: a TOML file of "
                                            "[[client]] entries (docs/fhir.md)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="the least a log line must matter to be written")

    @model_validator(mode="before")
    @classmethod
    def _redis_url(cls, values: Any) -> Any:
        """The URL every client is made from: HUB_REDIS_SENTINELS and HUB_REDIS_MASTER make
        a Sentinel URL, then HUB_REDIS_PASSWORD_FILE's password goes into it."""
        if not isinstance(values, dict):
            return values
        return _with_password(_with_sentinels(values))

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_port(cls, values: Any) -> Any:
        """Unless given, the public address is where this process serves (loopback when it
        listens on every interface), so a changed port changes every link and banner."""
        if isinstance(values, dict) and values.get("public_base_url") is None:
            host = str(values.get("host") or "127.0.0.1")
            host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            values = {**values, "public_base_url": f"http://{host}:{values.get('port', 8080)}"}
        return values

    @model_validator(mode="after")
    def _no_sink_in_production(self) -> Settings:
        if self.mode == "production" and self.sms_provider == "sink":
            raise ValueError("sms_provider 'sink' keeps texts on disk instead of sending them: "
                             "it is for dev mode only; set 'webhook' or 'twilio'")
        return self

    @property
    def replica_acks(self) -> int:
        """How many replicas confirm each change before it is answered."""
        if self.redis_replica_acks is not None:
            return self.redis_replica_acks
        return 1 if self.mode == "production" else 0

    @property
    def unavailable_retry_after(self) -> int:
        """Seconds a client should wait before retrying a 503: never less than the hub
        waits for Redis, so a retry does not arrive while Redis is still being waited on
        for the first attempt."""
        return max(1, math.ceil(self.redis_timeout))


def _default(value: object) -> str:
    if value is None or value == ():
        return ""
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def settings_table() -> str:
    """docs/operations.md's table of settings, in the model's order (python -m hub.config)."""
    rows = [f"| `HUB_{name.upper()}` | {_default(field.default)} | "
            f"{(field.description or '').replace('|', '/')} |"
            for name, field in Settings.model_fields.items()]
    return "\n".join(["| setting | default | what it does |", "|---|---|---|", *rows])


def _with_sentinels(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("redis_sentinels") and not values.get("redis_url"):
        master = values.get("redis_master") or "ccr"
        return {**values, "redis_url": f"redis+sentinel://{values['redis_sentinels']}/{master}"}
    return values


def _with_password(values: dict[str, Any]) -> dict[str, Any]:
    if not values.get("redis_password_file") or not values.get("redis_url"):
        return values
    secret = read_secret(Path(values["redis_password_file"])) or ""
    parts = urlsplit(str(values["redis_url"]))
    where = parts.netloc.rpartition("@")[2]
    user = quote(parts.username or "", safe="")
    netloc = f"{user}:{quote(secret, safe='')}@{where}"
    return {**values, "redis_url": urlunsplit(parts._replace(netloc=netloc))}


def _file_values(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read settings file: {e.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the file named by HUB_SETTINGS_FILE (if any), then HUB_* variables,
    then ``overrides``. A bad value names the key and what is wrong."""
    source = os.environ.get("HUB_SETTINGS_FILE")
    from_file = _file_values(Path(source)) if source else {}
    env_keys = {name for name in Settings.model_fields if f"HUB_{name.upper()}" in os.environ}
    values = {k: v for k, v in from_file.items() if k not in env_keys} | overrides
    try:
        return Settings(**values)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        blame = source if source and key in from_file and key not in env_keys else "environment"
        raise ConfigError(first["msg"], path=blame, key=key) from None


def read_secret(path: Path | None) -> str | None:
    """A secret from its file (kept out of committed files and the environment)."""
    if path is None:
        return None
    try:
        return path.read_text().strip()
    except OSError as e:
        raise ConfigError(f"cannot read this secret file: {e.strerror}", path=str(path)) \
            from None


if __name__ == "__main__":
    print(settings_table())
