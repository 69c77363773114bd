"""A referral type's form: the content fields it asks for, as the CCR configures them
(referral_types.toml, following the Safety Net database-vendor checklist: any field can be
hidden, renamed or made optional) and as one JSON Schema says them to every client.

A form starts from a base (the discharge handoff's fields, or one field of free text) and
changes it field by field, each named by its dotted path (``survivor.date_of_birth``):

- ``hidden``: the field is not asked for, and a document that carries it is refused;
- ``label``: what the field is called on forms and when read (its schema ``title``); its
  JSON name does not change, so every receiver reads it the same way;
- ``optional``: it may be left out;
- ``narrative``: it is free text that the receiving agency may purge while the codes stay
  (each base names its own: the handoff's ``summary``, the free text's ``text``).

``form_schema`` writes the schema; ``model_from_schema`` reads one back into a pydantic
model, so the SDK and the CLI check a document exactly as the browser does, from the schema
the hub serves. A type with no form configured keeps its schema as it always was."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .contents import Content, json_schema

Base = Literal["discharge-handoff", "text"]
NARRATIVE = "x-narrative"  # a schema keyword (an annotation): free text that may be purged
LABELLED = "x-label"  # annotation: the CCR named this field (its title is the form's label)
FORM = "x-form"  # annotation at the top: {"base": ...}, the type has a form of its own
BASE_NARRATIVE: dict[str, tuple[str, ...]] = {"discharge-handoff": ("summary",),
                                              "text": ("text",)}


class FieldRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hidden: bool = Field(False, description="not asked for; a document with it is refused")
    label: str | None = Field(None, min_length=1, max_length=80,
                              description="what the field is called on forms and when read")
    optional: bool = Field(False, description="it may be left out")
    narrative: bool = Field(False, description="free text the receiving agency may purge")


class Form(BaseModel):
    """What a referral type's content holds: a base and the changes to its fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: Base | None = Field(None, description="the fields it starts from: 'discharge-handoff'"
                              " or 'text' (default: the handoff's for discharge-handoff, "
                              "free text for any other type)")
    fields: dict[str, FieldRule] = Field(default_factory=dict)

    def base_for(self, kind: str) -> Base:
        return self.base or ("discharge-handoff" if kind == "discharge-handoff" else "text")

    @property
    def configured(self) -> bool:
        return self.base is not None or bool(self.fields)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every ``$ref`` replaced by a copy of what it names, so that a rule on
    ``survivor.name`` changes that field only."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[1]]), defs)
        inlined = {k: _inline(v, defs) for k, v in node.items()}
        for name, field in node.get("properties", {}).items():
            if "$ref" in field:  # named by the field, as pydantic names any other
                inlined["properties"][name]["title"] = name.replace("_", " ").title()
        return inlined
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _locate(schema: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The object schema holding the field at ``path``, and the field's name in it."""
    *parents, name = path.split(".")
    at = schema
    for part in parents:
        at = at.get("properties", {}).get(part, {})
        at = next((a for a in at.get("anyOf", ()) if a.get("type") == "object"), at)
    if name not in at.get("properties", {}) or name == "kind":
        raise ValueError(f"no field '{path}' to change (the fields are in "
                         "docs/clients.md, 'Referral types and their forms')")
    return at, name


def _apply(schema: dict[str, Any], path: str, rule: FieldRule) -> None:
    holder, name = _locate(schema, path)
    field = holder["properties"][name]
    if rule.hidden:
        del holder["properties"][name]
        holder["required"] = [r for r in holder.get("required", ()) if r != name]
        return
    if rule.label:
        field["title"], field[LABELLED] = rule.label, True
    if rule.optional and name in holder.get("required", ()):
        holder["required"] = [r for r in holder["required"] if r != name]
    if rule.narrative:
        field[NARRATIVE] = True


def form_schema(kind: str, form: Form | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a referral type's documents: its base's, changed by its
    form's rules (a bad path raises ValueError naming it)."""
    if form is None or not form.configured:
        return json_schema(kind)
    base = form.base_for(kind)
    schema = json_schema(base if base == "discharge-handoff" else "text")  # free text's
    schema = _inline({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    schema["properties"]["kind"] = {"const": kind, "title": "Kind",
                                    "description": "this referral type's code"}
    schema["title"], schema[FORM] = kind, {"base": base}
    for name in BASE_NARRATIVE[base]:
        schema["properties"][name][NARRATIVE] = True
    for path, rule in form.fields.items():
        _apply(schema, path, rule)
    return schema


def narrative_paths(schema: dict[str, Any]) -> list[str]:
    """The dotted paths of the narrative: those the schema marks, or for a type without a
    form of its own (its schema as it always was), its base's."""
    return _marked(schema) or list(BASE_NARRATIVE["discharge-handoff" if schema.get(
        "properties", {}).get("kind", {}).get("default") == "discharge-handoff" else "text"])


def _marked(schema: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for name, field in schema.get("properties", {}).items():
        if field.get(NARRATIVE):
            found.append(prefix + name)
        inner = next((a for a in field.get("anyOf", ()) if a.get("type") == "object"), field)
        if inner.get("type") == "object" and "$ref" not in inner:
            found += _marked(inner, f"{prefix}{name}.")
    return found


# -- a schema read back into a model -------------------------------------------------------

_SCALARS: dict[str, type] = {"string": str, "integer": int, "boolean": bool, "number": float}


def _type(node: dict[str, Any], defs: dict[str, Any], name: str) -> Any:
    if "$ref" in node:
        target = node["$ref"].rsplit("/", 1)[1]
        return _type(defs[target], defs, target)
    if "anyOf" in node:
        kinds = [a for a in node["anyOf"] if a.get("type") != "null"]
        inner = _type(kinds[0], defs, name)
        return inner | None if len(kinds) < len(node["anyOf"]) else inner
    if "const" in node:
        return Literal[node["const"]]
    if "enum" in node:
        return Literal[tuple(node["enum"])]
    kind = node.get("type")
    if kind == "array":
        return tuple[_type(node.get("items", {}), defs, name), ...]  # type: ignore[misc]
    if kind == "object":
        return model_from_schema(node, defs, name)
    return _SCALARS.get(kind, Any)  # type: ignore[arg-type]


def _constraints(node: dict[str, Any]) -> dict[str, Any]:
    found = {"pattern": node.get("pattern"), "min_length": node.get("minLength",
                                                                    node.get("minItems")),
             "max_length": node.get("maxLength", node.get("maxItems")), "ge": node.get("minimum")}
    return {k: v for k, v in found.items() if v is not None}


def model_from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None,
                      name: str | None = None) -> type[Content]:
    """A frozen pydantic model (extra fields refused) that checks documents as ``schema``
    says: the same fields in the same order, required, defaults, literals and limits."""
    defs = schema.get("$defs", {}) if defs is None else defs
    required = set(schema.get("required", ()))
    fields: dict[str, Any] = {}
    for field_name, node in schema.get("properties", {}).items():
        annotation = _type(node, defs, field_name.title().replace("_", ""))
        default: Any = ... if field_name in required else node.get("default")
        if field_name == "kind" and "const" in node:
            default = node["const"]
        if default is None and field_name not in required:
            annotation = annotation | None
        if isinstance(default, list):
            default = tuple(default)
        fields[field_name] = (annotation, Field(default, title=node.get("title"),
                                                **_constraints(node)))
    model_name = (name or schema.get("title") or "Document").replace("-", "_")
    return create_model(model_name, __base__=Content, **fields)
