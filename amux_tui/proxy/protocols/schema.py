"""JSON Schema <-> Gemini's OpenAPI-subset ``Schema`` for function parameters.

Gemini's ``parameters`` accepts a fixed set of keys and rejects the rest with a 400
(``$schema``, ``additionalProperties``, ``$ref``, ``const``, most ``format`` values...),
which every zod/pydantic-generated tool schema contains. ``to_gemini`` inlines ``$ref``
(cycles cut), rewrites what has a Gemini spelling (``const`` -> ``enum``, ``oneOf`` ->
``anyOf``, ``["string", "null"]`` and ``anyOf [X, {"type": "null"}]`` -> ``nullable``) and removes the rest, listing what it
removed. ``from_gemini`` turns Gemini's upper-case types (and its ``ref``/``defs``) back into JSON Schema.
"""

from __future__ import annotations

from typing import Any

_KEEP = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
        "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
        "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    }
)  # fmt: skip
_FORMATS = {"STRING": {"enum", "date-time"}, "INTEGER": {"int32", "int64"}, "NUMBER": {"float", "double"}}
_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_MAX_DEPTH = 32


class _Cleaner:
    def __init__(self, root: dict) -> None:
        self.root = root
        self.removed: set[str] = set()

    def clean(self, schema: Any, depth: int, resolving: frozenset[str]) -> dict:
        if not isinstance(schema, dict):
            return {}
        if depth > _MAX_DEPTH:
            self.removed.add("nesting deeper than 32 levels")
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._resolve(ref)
            if target is None or ref in resolving:
                self.removed.add("$ref" if target is None else "recursive $ref")
                return {"type": "OBJECT"} if target is not None else {}
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.clean(merged, depth + 1, resolving | {ref})
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in ("properties",):
                props = self._properties(value, depth, resolving)
                if props:
                    out["properties"] = props
            elif key == "items":
                out["items"] = self.clean(value, depth + 1, resolving) if isinstance(value, dict) else {}
            elif key in ("anyOf", "oneOf"):
                if key == "oneOf":
                    self.removed.add("oneOf (sent as anyOf)")
                if isinstance(value, list):
                    out["anyOf"] = [self.clean(v, depth + 1, resolving) for v in value if isinstance(v, dict)]
            elif key == "allOf" and isinstance(value, list):
                for part in value:
                    for k, v in self.clean(part, depth + 1, resolving).items():
                        out.setdefault(k, v)
                self.removed.add("allOf (merged)")
            elif key == "const":
                out["enum"] = [value]
            elif key == "type":
                self._type(value, out)
            elif key in _KEEP:
                out[key] = value
            else:
                self.removed.add(key)
        self._tidy(out)
        return out

    def _properties(self, value: Any, depth: int, resolving: frozenset[str]) -> dict:
        if not isinstance(value, dict):
            return {}
        return {name: self.clean(sub, depth + 1, resolving) for name, sub in value.items()}

    def _type(self, value: Any, out: dict) -> None:
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        names = [n.lower() for n in names if isinstance(n, str) and n.lower() in _TYPES]
        if "null" in names:
            out["nullable"] = True
            names = [n for n in names if n != "null"]
        if len(names) == 1:
            out["type"] = names[0].upper()
        elif len(names) > 1:
            out["anyOf"] = [{"type": n.upper()} for n in names]

    def _tidy(self, out: dict) -> None:
        branches = out.get("anyOf")
        if isinstance(branches, list) and {"nullable": True} in branches:
            self._fold_null_branch(out, branches)
        fmt = out.get("format")
        if fmt is not None and not (isinstance(fmt, str) and fmt in _FORMATS.get(out.get("type", ""), ())):
            del out["format"]
            self.removed.add(f"format '{fmt}'")
        enum = out.get("enum")
        if enum is not None:
            if not isinstance(enum, list) or not all(isinstance(v, str) for v in enum):
                del out["enum"]
                self.removed.add("non-string enum")
            elif "type" not in out:
                out["type"] = "STRING"
        required = out.get("required")
        if required is not None:
            props = out.get("properties", {})
            kept = [r for r in required if isinstance(r, str) and r in props] if isinstance(required, list) else []
            if kept:
                out["required"] = kept
            else:
                del out["required"]
        if "properties" in out and "type" not in out:
            out["type"] = "OBJECT"

    @staticmethod
    def _fold_null_branch(out: dict, branches: list) -> None:
        """``anyOf [X, {"type": "null"}]`` (pydantic's ``X | None``) is X with ``nullable``:
        Gemini rejects a branch that is nothing but ``nullable``."""
        real = [branch for branch in branches if branch != {"nullable": True}]
        if len(real) == 1:
            del out["anyOf"]
            for key, value in real[0].items():
                out.setdefault(key, value)
            out["nullable"] = True
        elif real:
            out["anyOf"] = [{**branch, "nullable": True} for branch in real]
        else:
            del out["anyOf"]
            out["nullable"] = True

    def _resolve(self, ref: str) -> dict | None:
        if not ref.startswith("#/"):
            return None
        node: Any = self.root
        for step in ref[2:].split("/"):
            step = step.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
        return node if isinstance(node, dict) else None


def to_gemini(schema: dict | None) -> tuple[dict | None, list[str]]:
    """(Gemini ``parameters`` or None when there is nothing to declare, removed keys)."""
    if not isinstance(schema, dict):
        return None, []
    cleaner = _Cleaner(schema)
    out = cleaner.clean(schema, 0, frozenset())
    removed = sorted(cleaner.removed - {"$defs", "definitions"})
    if not out.get("properties") and not out.get("anyOf"):
        return None, removed  # Gemini rejects an OBJECT with empty properties
    return out, removed


def from_gemini(schema: Any, depth: int = 0) -> Any:
    """Gemini ``Schema`` (upper-case types, ``nullable``) as plain JSON Schema."""
    if depth > _MAX_DEPTH:
        return {}
    if isinstance(schema, list):
        return [from_gemini(item, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key in ("properties", "defs") and isinstance(value, dict):  # Gemini's defs are JSON Schema's $defs
            out["$defs" if key == "defs" else key] = {k: from_gemini(v, depth + 1) for k, v in value.items()}
        elif key == "ref" and isinstance(value, str):
            out["$ref"] = "#/$defs/" + value.removeprefix("#/defs/") if value.startswith("#/defs/") else value
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"):
            out[key] = from_gemini(value, depth + 1)
        elif key == "nullable":
            continue
        else:
            out[key] = value
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out
