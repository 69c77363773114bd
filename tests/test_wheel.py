"""The hub installed from its wheel, not run from the checkout: the templates live at the top
of the repository (templates/), and only the build puts them inside the package. A hub
installed by `pip install .` (or in the image) must still render a notice in each language
and a page (in English and, from the installed catalog, Spanish), reading its templates from
where it was installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.wheel import build_wheel, install_wheel, wheel_files
from tests.test_image import clone_files

ROOT = Path(__file__).resolve().parents[1]
REFERRAL = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

# Run by the installed hub: a notice (English and Spanish) and the error page, rendered by
# the same code the hub runs (its notice renderer, its pages' jinja2 set-up).
RENDER = f"""
import json, aiohttp_jinja2, hub, hub.templates
from aiohttp import web
from hub.adapters.render import NoticeFacts, render
from hub.i18n import LANGUAGES, speaking
from hub.web.pages import setup_pages

facts = NoticeFacts({REFERRAL!r}, "Harbor House", "ack", 1_800_000_000, 2, "America/Chicago")
app = web.Application()
setup_pages(app)
def page(lang):
    with speaking(lang):
        return aiohttp_jinja2.get_env(app).get_template("error.html").render(
            error={{"status": 404, "message": "no such referral"}}, who=None,
            engine_stopped=None, path="/", path_qs="/", lang=lang, languages=LANGUAGES,
            guide="/help")
print(json.dumps({{"hub": hub.__file__, "templates": list(hub.templates.__path__),
                  "notices": {{lang: vars(render(facts, lang, "https://hub.example.org"))
                              for lang in ("en", "es")}}, "page": page("en"),
                  "page_es": page("es")}}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel of a clean clone of this tree, installed into a folder of its own."""
    clone = tmp_path_factory.mktemp("clone")
    for name in clone_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    wheel = build_wheel(clone, tmp_path_factory.mktemp("dist"))
    assert "hub/templates/notices/en/email.txt" in wheel_files(wheel)
    return install_wheel(wheel, tmp_path_factory.mktemp("site"))


def run_installed(site: Path, where: Path) -> dict:
    """RENDER run by the hub in ``site``, from a folder that holds no checkout."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-P", "-c", RENDER], cwd=where, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_installed_wheel_renders_a_notice_and_a_page(installed: Path,
                                                        tmp_path: Path) -> None:
    seen = run_installed(installed, tmp_path)
    assert Path(seen["hub"]).is_relative_to(installed)  # not the checkout's hub/
    assert [Path(p).resolve() for p in seen["templates"]] == \
        [(installed / "hub" / "templates").resolve()]
    english, spanish = seen["notices"]["en"], seen["notices"]["es"]
    for notice in (english, spanish):
        assert REFERRAL[:8] in notice["subject"]
        assert f"https://hub.example.org/r/{REFERRAL}" in notice["text"] + notice["html"]
        assert f"https://hub.example.org/r/{REFERRAL}" in notice["sms"]
    assert "Harbor House" in english["html"] and english["text"] != spanish["text"]
    assert "<h1>Not found</h1>" in seen["page"] and "no such referral" in seen["page"]
    assert 'href="/static/hub.css"' in seen["page"]  # base.html, extended by error.html
    assert "<h1>No encontrado</h1>" in seen["page_es"]  # the installed catalog, compiled
