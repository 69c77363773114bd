"""Settings for a subcommand: the process settings with its --config and --port."""

from __future__ import annotations

import argparse

from hub.config import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in (("ccr_dir", getattr(args, "config", None)),
                                   ("port", getattr(args, "port", None))) if v is not None}
    return load_settings(**overrides)
