"""The bridge's settings: HUB_BRIDGE_* variables, in the hub's settings model style
(pydantic-settings; secrets named by file, never written in config)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_BRIDGE_", extra="forbid", frozen=True)

    hub_url: str = Field(description="the hub's address, e.g. https://hub.ccr.example")
    home: Path = Field(description="the device's folder as `hub device init` and `hub "
                       "trust` write it: device.key (encrypted), device.cert, trust.json "
                       "(pinned roots, public)")
    token_file: Path = Field(description="the API token of the person the device is "
                             "certified for (an EHR integration person of the agency)")
    passphrase_file: Path = Field(description="unlocks device.key")
    host: str = Field("127.0.0.1", description="where the EHR reaches the bridge")
    port: int = Field(8095, ge=1, le=65535)
    ehr_token_file: Path | None = Field(None, description="a bearer token the EHR must send "
                                        "(none: any caller that reaches the address)")
    ehr_base_url: str | None = Field(None, description="the EHR's FHIR base: each status "
                                     "change is written back there as a Task update "
                                     "(PUT {base}/Task/{id}); none: the EHR polls the bridge")
    poll_every: float = Field(15.0, gt=0, le=3600, description="seconds between the "
                              "bridge's looks at the hub's Tasks")
    log_level: str = "INFO"
