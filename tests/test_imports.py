"""Every module imports on its own in a fresh interpreter: catches import cycles
(aiohttp's tests/test_circular_imports.py). And the layers keep their arrows: no module
imports what its layer may not (docs/architecture.md), at the top of the file or inside a
function alike."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "hub").rglob("*.py") if p.name != "__main__.py"
)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=ROOT)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every module name ``source`` (the text of ``module``) imports, with its line: plain
    and relative imports, at the top or inside a function; for ``from X import y``, both X
    and X.y (y may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


def calls(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """Calls of the builtins ``names`` (open, input...) in ``source``."""
    return [(node.lineno, node.func.id) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in names]


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@dataclass(frozen=True)
class Rule:
    layer: str  # the package whose modules the rule binds
    forbidden: tuple[str, ...]  # what they may not import (a module and everything in it)
    why: str
    allowed: tuple[str, ...] = ()  # exceptions inside ``forbidden``
    builtins: frozenset[str] = frozenset()  # builtins they may not call

    def breaches(self) -> list[str]:
        out = []
        for path in sorted((ROOT / self.layer.replace(".", "/")).rglob("*.py")):
            source, where = path.read_text(), path.relative_to(ROOT)
            found: dict[int, str] = {}  # line -> the shortest name it may not import
            for line, name in imported(source, module_name(path), path.name == "__init__.py"):
                if within(name, self.forbidden) and not within(name, self.allowed):
                    found[line] = min(found.get(line, name), name, key=len)
            out += [f"{where}:{line} imports {name}" for line, name in sorted(found.items())]
            out += [f"{where}:{line} calls {name}()" for line, name in
                    calls(source, self.builtins)]
        return out


ADAPTERS = ("hub.adapters",)  # the channel adapters
IO = ("aiohttp", "redis", "valkey", "rq", "aiosmtplib", "smtplib", "socket", "ssl", "os",
      "pathlib", "shutil", "tempfile", "io", "subprocess", "asyncio", "selectors", "http",
      "urllib", "requests", "httpx")
RULES = {
    "client -> web": Rule("hub.client", ("hub.web",), "the SDK shares hub.api with the hub, "
                          "never the server's web layer"),
    "web -> store": Rule("hub.web", ("hub.store", "redis"), "the web calls services; only "
                         "they reach the store"),
    "web -> client": Rule("hub.web", ("hub.client",), "the server never imports the SDK"),
    "fhir -> store": Rule("hub.fhir", ("hub.store", "redis", "hub.client"), "the FHIR "
                          "dialect is the web layer's: it calls services, like hub/web"),
    "bridge -> server": Rule("hub.bridge", ("hub.web", "hub.fhir", "hub.services", "hub.store",
                                            "hub.build", "redis"), "the bridge is a client: "
                             "it reaches the hub through the SDK only"),
    "services -> adapters": Rule("hub.services", ADAPTERS, "the rules know nothing of how a "
                                 "notice travels: adapters are handed in (hub/build.py)"),
    "escalation -> build": Rule("hub.escalation", ("hub.build",), "the engine is built by "
                                "hub/build.py, not the other way round"),
    "crypto -> I/O": Rule("hub.crypto", ("hub", *IO), "crypto is pure functions over bytes "
                          "and keys", allowed=("hub.crypto",),
                          builtins=frozenset({"open", "input", "exec", "eval"})),
}


@pytest.mark.parametrize("arrow", RULES)
def test_no_module_imports_across_its_layer(arrow: str) -> None:
    rule = RULES[arrow]
    found = rule.breaches()
    assert not found, f"{arrow} ({rule.why}):\n" + "\n".join(found)


def test_the_sdk_loads_nothing_of_the_server() -> None:
    """Importing hub.client (what an SDK user does) loads no web, services or store module,
    and no Redis client."""
    script = ("import sys, hub.client, hub.client.rosters, hub.client.reading; print(' '.join("
              "m for m in sys.modules if m.split('.')[:2] in (['hub', 'web'], "
              "['hub', 'services'], ['hub', 'store']) or m == 'redis'))")
    loaded = subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT,
                            capture_output=True, text=True).stdout.split()
    assert not loaded, f"importing the SDK loads {loaded}"


def test_the_rules_see_relative_and_lazy_imports() -> None:
    """The check itself: an import inside a function and a relative one are found, named
    as absolute modules."""
    source = ("from ..store import keys\nfrom . import schemas\n"
              "def f():\n    import hub.build\n    return open('x')\n")
    names = {name for _, name in imported(source, "hub.web.pages.x")}
    assert {"hub.web.store", "hub.web.store.keys", "hub.web.pages.schemas",
            "hub.build"} <= names
    assert {"hub.store"} <= {n for _, n in imported("from ..store import keys\n",
                                                    "hub.web.referrals")}
    assert calls(source, frozenset({"open"})) == [(5, "open")]
