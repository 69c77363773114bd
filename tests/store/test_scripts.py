"""The Lua scripts read by name: each opens by naming its keys and arguments, the store calls
it by those names, and a call that gives other names is refused before it reaches Redis
(a misplaced key would otherwise write into the wrong one, atomically)."""

from __future__ import annotations

import ast
import hashlib
import re
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

import pytest

import hub.store
from hub.store import Store
from hub.store.referrals import ReferralStore
from hub.store.scripts import _NAMES
from hub.store.signature import Signature
from hub.store.tallies import Tally

LUA = files("hub.store") / "lua"
STORE = Path(hub.store.__file__).parent


def source(name: str) -> str:
    return (LUA / f"{name}.lua").read_text()


def test_every_script_in_the_folder_is_loaded_and_the_prelude_is_not_a_script() -> None:
    found = {p.name[:-4] for p in LUA.iterdir() if p.name.endswith(".lua")}
    assert found - set(_NAMES) == {"_lib"}
    assert set(_NAMES) <= found


@pytest.mark.parametrize("name", _NAMES)
def test_each_script_names_its_keys_and_arguments_and_reads_them_only_by_name(name) -> None:
    text = source(name)
    signature = Signature.of(name, text)
    assert signature.keys, f"{name}.lua does not open with `local ... = unpack(KEYS)`"
    assert not re.search(r"\b(KEYS|ARGV)\[", text), f"{name}.lua reads KEYS or ARGV by place"


def _script_calls() -> list[tuple[str, str, set[str], list[ast.expr]]]:
    """Each `self._s.<script>(...)` in the store: module, script, names given, ** parts."""
    calls = []
    for path in sorted(STORE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "_s"):
                named = {k.arg for k in node.keywords if k.arg}
                spread = [k.value for k in node.keywords if k.arg is None]
                calls.append((path.name, node.func.attr, named, spread))
    return calls


def _spread_names(part: ast.expr) -> set[str]:
    """The names a `**self._tally_keys(tally)`, `**self._change_keys(referral)` or
    `**self._closing(...)` gives (the spreads the store uses)."""
    spreads = {"self._tally_keys": lambda s: s._tally_keys(Tally("harbor-house", "2026-01-01")),
               "self._change_keys": lambda s: s._change_keys(SimpleNamespace(
                   destination="harbor-house", sender_agency="mercy-hospital")),
               "self._closing": lambda s: s._closing("0" * 32, 0.0, None)}
    assert isinstance(part, ast.Call) and ast.unparse(part.func) in spreads, \
        f"teach this test the names `**{ast.unparse(part)}` gives"
    store = ReferralStore.__new__(ReferralStore)
    store._k = hub.store.Keys("t")
    return set(spreads[ast.unparse(part.func)](store))


def test_the_store_calls_each_script_by_exactly_the_names_the_script_gives() -> None:
    calls = _script_calls()
    assert {script for _, script, _, _ in calls} == set(_NAMES), "a script nobody calls"
    for module, script, named, spread in calls:
        for part in spread:
            named |= _spread_names(part)
        assert named == set(Signature.of(script, source(script)).names), (module, script)


async def test_a_name_the_script_does_not_take_is_refused_before_anything_is_written(
        store: Store) -> None:
    root, audit = store.keys.root("harbor-house"), store.keys.audit()
    with pytest.raises(TypeError, match="not taken \\['public'\\]"):
        await store.scripts.put_root(root=root, audit=audit, public=b"k", audit_event="{}")
    with pytest.raises(TypeError, match="missing \\['audit_event'\\]"):
        await store.scripts.put_root(root=root, audit=audit, public_key=b"k")
    assert await store.redis.exists(root, audit) == 0
    assert await store.scripts.put_root(root=root, audit=audit, public_key=b"k",
                                        audit_event="{}") == 1


async def test_a_list_after_the_named_keys_is_passed_on_whole(store: Store) -> None:
    """record_failure.lua counts in as many scopes as it is given after its named keys."""
    k = store.keys
    counters = [k.auth_failures("ip", "127.0.0.1", 7), k.auth_failures("token", "t1", 7)]
    highest = await store.scripts.record_failure(
        audit=k.audit(), tallies=k.tallies(), tallies_due=k.tallies_due(), counters=counters,
        ttl=60, limit=5, audit_event="{}", tally_member="{}", due_at=100)
    assert highest == 1
    assert [await store.redis.get(c) for c in counters] == [b"1", b"1"]
    assert await store.redis.xlen(k.audit()) == 1


def test_a_script_whose_names_repeat_or_whose_list_starts_out_of_place_is_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        Signature.of("twice", "local ref, audit = unpack(KEYS)\nlocal ref = unpack(ARGV)\n")
    with pytest.raises(ValueError, match=r"KEYS\[3\]"):
        Signature.of("gap", "local ref, audit = unpack(KEYS)\nlocal more = rest(KEYS, 4)\n")


async def test_redis_knows_each_script_by_the_hash_of_the_prelude_and_the_script(
        store: Store) -> None:
    prelude = (LUA / "_lib.lua").read_text()
    k = store.keys
    await store.scripts.put_root(root=k.root("harbor-house"), audit=k.audit(),
                                 public_key=b"k", audit_event="{}")
    sent = hashlib.sha1((prelude + source("put_root")).encode()).hexdigest()
    assert store.scripts.put_root.sha == sent
    assert await store.redis.script_exists(sent) == [True]
