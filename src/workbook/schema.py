"""The rules in ``data/datapackage.json``, checked and made ready to apply to every cell.

The loader (:mod:`workbook.data`) reads only what this module accepts: a description with an
authoring slip (an unknown type, a bad pattern, a ``minimum`` on a date, a foreign key to a table
that does not exist ...) is refused with a message naming the slip, before any CSV file is read.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import PurePosixPath

# --------------------------------------------------------------------------- reading cells
# Strict, ASCII-only forms, so the same file loads (or fails) the same way on every Python:
# no "1_000", no Arabic-Indic digits, no "19720101" or "1972-W01-1" as dates.

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_INT64 = 2 ** 63


def _parse_integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise ValueError("a whole number written with the digits 0-9")
    digits = len(text.lstrip("+-"))
    if digits > 19 or not -_INT64 < int(text) < _INT64:  # length first: int() refuses 4,300+ digits on 3.11
        raise ValueError(f"a whole number of at most 18 digits (it has {digits})")
    return int(text)


def _parse_number(text: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise ValueError("a number written with the digits 0-9 and a point, like 1.25")
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number of a size that can be stored")
    return value


def _parse_date(text: str) -> dt.date:
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError("a date written YYYY-MM-DD")
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise ValueError("a real calendar date written YYYY-MM-DD") from None


def _parse_boolean(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise ValueError("true or false")


PARSERS = {"string": str, "integer": _parse_integer, "number": _parse_number,
           "date": _parse_date, "boolean": _parse_boolean}
CONSTRAINTS = {"required", "unique", "enum", "pattern", "minimum", "maximum"}


# --------------------------------------------------------------------------- the description

class Field:
    """One column's checked rules, ready to apply to many cells."""

    __slots__ = ("name", "kind", "parse", "required", "unique", "enum", "enum_list", "pattern",
                 "minimum", "maximum", "ordered", "plain")

    def __init__(self, **rules):
        for key in self.__slots__:
            setattr(self, key, rules.get(key))
        self.plain = self.kind == "string" and self.enum is None and self.pattern is None

    def read(self, cell: str):
        """The typed value of one cell; ValueError saying what was expected when it breaks a rule."""
        if cell == "" or cell.isspace():
            if cell:
                raise ValueError("holds only spaces: leave it empty or write a value" if not self.required
                                 else "holds only spaces, but a value is required")
            if self.required:
                raise ValueError("is empty, but a value is required")
            return None
        try:
            value = self.parse(cell)
        except ValueError as exc:
            raise ValueError(f"{_show(cell)} is not {exc}") from None
        if self.enum is not None and value not in self.enum:
            raise ValueError(f"{_show(cell)} should be one of " + ", ".join(repr(v) for v in self.enum_list))
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise ValueError(f"{_show(cell)} should be text matching the pattern {self.pattern.pattern}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{_show(cell)} should be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{_show(cell)} should be at most {self.maximum}")
        return value


def _show(cell: str) -> str:
    """A cell for a message: quoted, and cut short when long."""
    return repr(cell) if len(cell) <= 80 else repr(cell[:60]) + f"... ({len(cell)} characters)"


class Resource:
    """One table's checked description: file, fields, keys."""

    __slots__ = ("name", "path", "description", "fields", "primary_key", "foreign_keys")

    def __init__(self, **parts):
        for key in self.__slots__:
            setattr(self, key, parts.get(key))


def field_names(value, where: str) -> list[str]:
    """A field list as the spec allows it (one name or a list of names)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise Slip(where, f"should be a field name or a list of field names, not {value!r}")
    return value


class Slip(Exception):
    """An authoring slip in datapackage.json: where it is, and what is wrong."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where} {message}")


def _check_field(raw, where: str) -> Field:
    if not isinstance(raw, dict):
        raise Slip(where, f"should be an object with a 'name' and a 'type', not {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise Slip(where, "has no 'name'")
    where = f"{where.rsplit(' ', 1)[0]} {name!r}"
    kind = raw.get("type", "string")
    if kind not in PARSERS:
        raise Slip(where, f"has type {kind!r}, which the workbook cannot read; use one of "
                           + ", ".join(PARSERS))
    if raw.get("format", "default") != "default":
        raise Slip(where, f"has format {raw['format']!r}; only the default format of each type is read")
    rules = raw.get("constraints", {})
    if not isinstance(rules, dict):
        raise Slip(where, f"has 'constraints' {rules!r}; it should be an object")
    unknown = sorted(set(rules) - CONSTRAINTS)
    if unknown:
        raise Slip(where, f"has constraints {unknown} that the workbook does not check; use only "
                           + ", ".join(sorted(CONSTRAINTS)))
    for flag in ("required", "unique"):
        if not isinstance(rules.get(flag, False), bool):
            raise Slip(where, f"has {flag!r}: {rules[flag]!r}; it should be true or false")
    parse = PARSERS[kind]
    enum = enum_list = None
    if "enum" in rules:
        if not isinstance(rules["enum"], list) or not rules["enum"]:
            raise Slip(where, f"has 'enum' {rules['enum']!r}; it should be a non-empty list")
        enum_list = []
        for item in rules["enum"]:
            try:
                if kind == "string" and not isinstance(item, str):
                    raise ValueError("text")
                value = parse(item if isinstance(item, str) else json.dumps(item))
            except ValueError as exc:
                raise Slip(where, f"has {item!r} in its 'enum', which is not {exc}") from None
            if value in enum_list:
                raise Slip(where, f"lists {item!r} twice in its 'enum'")
            enum_list.append(value)
        enum = frozenset(enum_list)
    pattern = None
    if "pattern" in rules:
        if kind != "string" or not isinstance(rules["pattern"], str):
            raise Slip(where, "has a 'pattern', which applies only to text fields (a string)")
        try:
            pattern = re.compile(rules["pattern"], re.ASCII)
        except re.error as exc:
            raise Slip(where, f"has a 'pattern' that is not a valid regular expression ({exc}): "
                               f"{rules['pattern']!r}") from None
    bounds = {}
    for bound in ("minimum", "maximum"):
        if bound in rules:
            value = rules[bound]
            if kind not in ("integer", "number"):
                raise Slip(where, f"has a {bound!r}, which applies only to integer and number fields "
                                   f"(this one is {kind!r})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise Slip(where, f"has {bound!r}: {value!r}; it should be a number")
            bounds[bound] = value
    if bounds.get("minimum", -math.inf) > bounds.get("maximum", math.inf):
        raise Slip(where, f"has a minimum {bounds['minimum']} above its maximum {bounds['maximum']}")
    if not isinstance(raw.get("categoriesOrdered", False), bool):
        raise Slip(where, "has 'categoriesOrdered' that is not true or false")
    return Field(name=name, kind=kind, parse=parse, required=rules.get("required", False),
                  unique=rules.get("unique", False), enum=enum, enum_list=enum_list, pattern=pattern,
                  ordered=raw.get("categoriesOrdered", False), **bounds)


def _check_resource(raw, where: str) -> Resource:
    if not isinstance(raw, dict):
        raise Slip(where, f"should be an object with a name, a path and a schema, not {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise Slip(where, "has no 'name'")
    where = f"resource {name!r}"
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise Slip(where, "has no 'path' (the CSV file's name)")
    parts = PurePosixPath(path).parts
    if PurePosixPath(path).is_absolute() or ".." in parts or "\\" in path or ":" in path:
        raise Slip(where, f"has path {path!r}; it should be a file name inside the data folder")
    if str(raw.get("encoding", "utf-8")).lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        raise Slip(where, f"has encoding {raw['encoding']!r}; the workbook reads only UTF-8")
    if not isinstance(raw.get("description", ""), str):
        raise Slip(where, "has a 'description' that is not text")
    schema = raw.get("schema")
    if not isinstance(schema, dict):
        raise Slip(where, "has no 'schema' (an object with a 'fields' list)")
    raw_fields = schema.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise Slip(where, "has a schema with no 'fields' list")
    fields = [_check_field(f, f"{where}, field #{i}") for i, f in enumerate(raw_fields, start=1)]
    names = [f.name for f in fields]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise Slip(where, f"has two fields named {n!r}")
    key = field_names(schema["primaryKey"], f"{where}, primaryKey") if "primaryKey" in schema else []
    for k in key:
        if k not in names:
            raise Slip(f"{where}, primaryKey", f"names {k!r}, which is not one of its fields")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        raise Slip(where, "has 'foreignKeys' that is not a list")
    for i, fk in enumerate(fks, start=1):
        at = f"{where}, foreign key #{i}"
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            raise Slip(at, "should be an object with 'fields' and a 'reference'")
        own = field_names(fk.get("fields"), f"{at}, fields")
        for k in own:
            if k not in names:
                raise Slip(at, f"names {k!r}, which is not one of the fields of {name!r}")
        if not isinstance(fk["reference"].get("resource", ""), str):
            raise Slip(at, "has a reference 'resource' that is not a resource name")
        if len(field_names(fk["reference"].get("fields"), f"{at}, reference fields")) != len(own):
            raise Slip(at, "has a different number of fields on each side")
    return Resource(name=name, path=path, description=raw.get("description", ""), fields=fields,
                     primary_key=key, foreign_keys=fks)


def check_descriptor(raw) -> dict[str, Resource]:
    """The package's resources, checked; raises _Slip at the first authoring slip."""
    if not isinstance(raw, dict):
        raise Slip("the file", f"should be a JSON object with a 'resources' list, not {type(raw).__name__}")
    if not isinstance(raw.get("resources"), list) or not raw["resources"]:
        raise Slip("the file", "has no 'resources' list (one entry per table)")
    specs: dict[str, Resource] = {}
    for i, res in enumerate(raw["resources"], start=1):
        spec = _check_resource(res, f"resource #{i}")
        if spec.name in specs:
            raise Slip(f"resource {spec.name!r}", "appears twice")
        if any(s.path == spec.path for s in specs.values()):
            raise Slip(f"resource {spec.name!r}", f"uses the file {spec.path!r} of another resource")
        specs[spec.name] = spec
    for spec in specs.values():
        for i, fk in enumerate(spec.foreign_keys, start=1):
            target = fk["reference"].get("resource", "") or spec.name
            at = f"resource {spec.name!r}, foreign key #{i}"
            if target not in specs:
                raise Slip(at, f"refers to resource {target!r}, which does not exist; the resources are "
                                + ", ".join(specs))
            target_names = [f.name for f in specs[target].fields]
            for k in field_names(fk["reference"]["fields"], at):
                if k not in target_names:
                    raise Slip(at, f"refers to field {k!r}, which {target!r} does not have")
    return specs
