"""The image's files, built from a clean clone as the Dockerfile builds them: its build
context (what .dockerignore leaves of the files a clone has: no node_modules, no built
app.js, no local tokens), its node stage run here (the bundle the pages load), and what the
final stage's `pip install .` puts in site-packages (the wheel setuptools builds from the
stage's files). The pages' script, the templates (from the top-level templates/, inside the
package as hub/templates/) and the Lua scripts must all be there. Where a Docker daemon
answers, `docker build` runs on the same context; here none does, and that test says so."""

from __future__ import annotations

import fnmatch
import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.wheel import build_wheel, wheel_files

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "web" / "node_modules"


def clone_files() -> list[str]:
    """The files a fresh clone of this tree has (tracked, or new and not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in listed.splitlines() if (ROOT / f).is_file()]


def ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore's rule: a pattern excludes the path or any folder it is in."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            name = prefix.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(prefix, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatchcase(name, bare)):
                return True
    return False


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    where = tmp_path_factory.mktemp("context")
    for name in clone_files():
        if not ignored(name, patterns):
            target = where / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    return where


def instructions() -> list[tuple[str, str]]:
    from tests.test_compose import dockerfile_instructions

    return dockerfile_instructions()


@dataclass
class Stage:
    """One FROM of the Dockerfile, its filesystem under ``root``."""

    name: str
    root: Path
    workdir: str = "/"
    made: list[str] = field(default_factory=list)

    def at(self, path: str) -> Path:
        absolute = path if path.startswith("/") else f"{self.workdir.rstrip('/')}/{path}"
        return self.root / absolute.lstrip("/")


def run_copy(stage: Stage, args: str, context: Path, stages: dict[str, Stage]) -> None:
    """Docker's COPY: a folder's contents go to the destination; a file goes into it when
    it is a folder (a trailing '/', several sources, or one already there), else becomes it."""
    words = shlex.split(args)
    origin = stages[words.pop(0).removeprefix("--from=")].root \
        if words[0].startswith("--from=") else context
    *sources, dest = words
    target = stage.at(dest)
    into = dest.endswith("/") or len(sources) > 1 or target.is_dir()
    for source in sources:
        found = origin / source.lstrip("/")
        assert found.exists(), f"COPY {source}: no such file where it copies from"
        if found.is_dir():
            shutil.copytree(found, target, dirs_exist_ok=True)
        else:
            (target if into else target.parent).mkdir(parents=True, exist_ok=True)
            shutil.copy2(found, target / found.name if into else target)


def run_step(stage: Stage, command: str) -> None:
    """The RUN steps this Dockerfile has, done here (a new kind must be taught to this test)."""
    for step in (s.strip() for s in command.split("&&")):
        words = shlex.split(step)
        if words[:2] == ["npm", "ci"]:  # the packages of web/package-lock.json, as installed
            if not NODE_MODULES.is_dir():
                pytest.skip("web/node_modules is missing (make web)")
            stage.at("node_modules").symlink_to(NODE_MODULES)
        elif words[:2] == ["node", "build.mjs"]:
            node = shutil.which("node")
            if node is None:
                pytest.skip("node is not installed")
            out = [str(stage.at(w)) if w.startswith("/") else w for w in words[2:]]
            subprocess.run([node, "build.mjs", *out], cwd=stage.at("."), check=True,
                           capture_output=True, timeout=300)
        elif words[:3] == ["pip", "install", "."]:
            stage.made.append(stage.workdir)
        elif words[0] in ("useradd", "chown"):
            continue  # users and owners: nothing to check in a file set
        elif words[:2] == ["mkdir", "-p"]:
            for folder in words[2:]:
                stage.at(folder).mkdir(parents=True, exist_ok=True)
        else:
            raise AssertionError(f"tests/test_image.py cannot run 'RUN {step}': teach it")


@pytest.fixture(scope="module")
def image(context: Path, tmp_path_factory) -> Stage:
    """Every stage of the Dockerfile, run over the build context; the last one."""
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for word, args in instructions():
        if word == "FROM":
            name = args.split(" AS ")[-1].strip() if " AS " in args.upper() else args
            stage = stages[name] = Stage(name, tmp_path_factory.mktemp("stage"))
        elif word == "WORKDIR":
            stage.workdir = args
            stage.at(".").mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            run_copy(stage, args, context, stages)
        elif word == "RUN":
            run_step(stage, args)
    return stage


def installed(project: Path, out: Path) -> set[str]:
    """What `pip install .` of ``project`` puts in site-packages: the files of the wheel
    it builds (setup.py and pyproject.toml's package rules, applied by setuptools itself)."""
    return wheel_files(build_wheel(project, out))


def test_the_build_context_is_a_clean_clone_without_local_state(context: Path) -> None:
    names = {str(p.relative_to(context)) for p in context.rglob("*") if p.is_file()}
    assert "web/src/app.js" in names and "web/package-lock.json" in names
    assert not [n for n in names if n.startswith(("var/", ".venv/", "web/node_modules/",
                                                  ".git/", "tests/"))]
    assert "hub/web/static/app.js" not in names  # built in the image, never copied in


def test_the_image_has_the_pages_script_built_from_web_src(image: Stage,
                                                           tmp_path: Path) -> None:
    assert image.made, "the final stage installs the hub with pip"
    project = image.at(image.made[0])
    files = installed(project, tmp_path)
    for wanted in ("hub/web/static/app.js", "hub/web/static/dashboard.js",
                   "hub/web/static/hub.css", "hub/templates/pages/device.html",
                   "hub/templates/notices/en/email.txt", "hub/store/lua/transition.lua",
                   "hub/api/contents.py", "hub/cli/__init__.py"):
        assert wanted in files, wanted
    script = (project / "hub/web/static/app.js").read_text()
    assert len(script) > 100_000  # libsodium and the pages, bundled
    assert "ccr-pins/1" in script and "ccrhub envelope v1" in script
    assert (project / "config/example/agencies.toml").is_file()


def test_docker_builds_the_image_where_a_daemon_answers(context: Path) -> None:
    docker = shutil.which("docker")
    answered = docker and subprocess.run([docker, "info"], capture_output=True,
                                         timeout=30).returncode == 0
    if not answered:
        pytest.skip("no Docker daemon answers here (`docker info` fails): the file-set tests "
                    "above build the image's files instead")
    subprocess.run([docker, "build", "--quiet", "-t", "ccr-hub:test", str(context)],
                   check=True, timeout=1800)
    listing = subprocess.run([docker, "run", "--rm", "ccr-hub:test", "python", "-c",
                              "import hub, json, pathlib; print(json.dumps(sorted(p.name for p in "
                              "(pathlib.Path(hub.__file__).parent / 'web' / 'static')"
                              ".iterdir())))"], capture_output=True, text=True, check=True,
                             timeout=300)
    assert "app.js" in json.loads(listing.stdout)
