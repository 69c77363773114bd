"""The hub as `pip install .` makes it: a wheel built from a project folder (a copy, never
the checkout itself, which the build would litter with build/ and *.egg-info) with the
setuptools this environment pins (no network), and installed into a folder of its own."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def build_wheel(project: Path, out: Path) -> Path:
    """The wheel of ``project`` (a copy: the build writes into it), in ``out``."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--quiet", "--wheel-dir", str(out), str(project)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob("*.whl")
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    """What installing ``wheel`` puts in site-packages (its metadata left out)."""
    with zipfile.ZipFile(wheel) as z:
        return {n for n in z.namelist() if ".dist-info/" not in n}


def install_wheel(wheel: Path, target: Path) -> Path:
    """``wheel`` installed by pip into ``target`` (its dependencies are this environment's)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--quiet", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return target
