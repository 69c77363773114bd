"""What a Lua script is called with, read from its own first lines: each script opens by
naming its keys and its arguments,

    local ref, history, audit = unpack(KEYS)
    local expected, fields = unpack(ARGV)
    local entries = rest(ARGV, 3)        -- any number more, as a list (lua/_lib.lua)

and the store calls it by those names (``scripts.transition(ref=..., expected=...)``). The
names are written once, in the script; the KEYS and ARGV lists are built from them here, in
the script's order, so a name the script does not take, or one it takes and is not given,
is refused before anything reaches Redis."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

_NAMED = re.compile(r"^local ([\w,\s]+?) = unpack\((KEYS|ARGV)\)$", re.MULTILINE)
_REST = re.compile(r"^local (\w+) = rest\((KEYS|ARGV), (\d+)\)$", re.MULTILINE)
_RESERVED = frozenset({"keys", "args"})  # Script's own parameters (its raw form)


@dataclass(frozen=True)
class Signature:
    script: str
    keys: tuple[str, ...]
    args: tuple[str, ...]
    more_keys: str | None = None  # the name of the list that follows the named keys
    more_args: str | None = None

    @staticmethod
    def of(script: str, source: str) -> Signature:
        """The names ``source`` opens with; ValueError when they are not all distinct, or
        a list that follows does not start right after the names before it."""
        named: dict[str, tuple[str, ...]] = {}
        for names, side in _NAMED.findall(source):
            named.setdefault(side, tuple(_split(names)))  # the first: the script's opening
        sig = Signature(script, named.get("KEYS", ()), named.get("ARGV", ()),
                        **_rests(script, source, named))
        if len(sig.taken) != len(sig.names) or _RESERVED & sig.taken:
            raise ValueError(f"{script}.lua: its names must be distinct, and not keys or args:"
                             f" {sig.names}")
        return sig

    @cached_property
    def names(self) -> tuple[str, ...]:
        more = tuple(n for n in (self.more_keys, self.more_args) if n)
        return self.keys + self.args + more

    @cached_property
    def taken(self) -> frozenset[str]:
        return frozenset(self.names)

    def lists(self, named: Mapping[str, object]) -> tuple[list[object], list[object]]:
        """KEYS and ARGV, in the script's order, from the values given by name."""
        if named.keys() != self.taken:
            raise TypeError(self._mismatch(named))
        keys = [named[n] for n in self.keys]
        args = [named[n] for n in self.args]
        if self.more_keys:
            keys += _listed(named[self.more_keys])
        if self.more_args:
            args += _listed(named[self.more_args])
        return keys, args

    def _mismatch(self, named: Mapping[str, object]) -> str:
        missing = [n for n in self.names if n not in named]
        unknown = [n for n in named if n not in self.taken]
        return (f"{self.script}.lua takes {', '.join(self.names)}; missing {missing}, "
                f"not taken {unknown}")


def _split(names: str) -> list[str]:
    return [n.strip() for n in names.split(",")]


def _rests(script: str, source: str, named: dict[str, tuple[str, ...]]) -> dict[str, str]:
    rests: dict[str, str] = {}
    for name, side, start in _REST.findall(source):
        if int(start) != len(named.get(side, ())) + 1:
            raise ValueError(f"{script}.lua: {name} must start at {side}"
                             f"[{len(named.get(side, ())) + 1}], after the names")
        rests["more_keys" if side == "KEYS" else "more_args"] = name
    return rests


def _listed(values: object) -> list[object]:
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        raise TypeError(f"a list of values, not {type(values).__name__}")
    return list(values)
