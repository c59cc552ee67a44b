"""The JSON Schema catalog of every event, generated from the contracts.

``python -m taskflow.events.catalog docs/events`` writes ``<type>.v<version>.json`` (the whole
envelope with its ``data`` schema, JSON Schema 2020-12), ``index.json`` and ``README.md``.
The files are committed; a test regenerates them and fails when they drift from the models,
so the catalog is never stale and every contract change shows up in review as a schema diff.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from taskflow.events.contracts import Event, contract_version, registered_events
from taskflow.events.envelope import dataschema_for

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_UUID = {"type": "string", "format": "uuid"}


def file_name(cls: type[Event]) -> str:
    """``task.created.v1.json``."""
    return f"{cls.event_type}.v{contract_version(cls)}.json"


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ").strip()


def event_schema(cls: type[Event]) -> dict[str, Any]:
    """The JSON Schema of one event: its envelope with ``data`` pinned to the contract."""
    version = contract_version(cls)
    data_schema = cls.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = data_schema.pop("$defs", {})
    defs[cls.__name__] = data_schema
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": dataschema_for(cls.event_type, version),
        "title": f"{cls.event_type} v{version}",
        "description": _first_line(cls.__doc__),
        "type": "object",
        "additionalProperties": True,
        "required": ["specversion", "id", "source", "type", "time", "dataschema", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": _UUID,
            "source": {"type": "string", "examples": ["taskflow/tasks"]},
            "type": {"const": cls.event_type},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": ["string", "null"]},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": dataschema_for(cls.event_type, version)},
            "actorid": {"anyOf": [_UUID, {"type": "null"}]},
            "traceparent": {"type": ["string", "null"]},
            "requestid": {"type": ["string", "null"]},
            "data": {"$ref": f"#/$defs/{cls.__name__}"},
        },
        "$defs": dict(sorted(defs.items())),
    }
    if cls.sensitive_fields:
        schema["x-taskflow-sensitive-fields"] = sorted(cls.sensitive_fields)
    return schema


def _dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def render() -> dict[str, bytes]:
    """Every catalog file by name, as bytes (what :func:`write` puts on disk)."""
    files: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []
    for cls in registered_events():
        name = file_name(cls)
        files[name] = _dump(event_schema(cls))
        index.append(
            {
                "type": cls.event_type,
                "version": contract_version(cls),
                "dataschema": dataschema_for(cls.event_type, contract_version(cls)),
                "file": name,
                "class": f"{cls.__module__}.{cls.__name__}",
                "description": _first_line(cls.__doc__),
                "sensitive_fields": sorted(cls.sensitive_fields),
            }
        )
    files["index.json"] = _dump({"events": index})
    lines = [
        "# Event catalog",
        "",
        "Generated from `libs/events` by `uv run python -m taskflow.events.catalog docs/events`;",
        "do not edit by hand (a test fails when these files drift from the models).",
        "",
        "Every file is the JSON Schema (2020-12) of one CloudEvents 1.0 envelope with its `data`.",
        "Routing key on the `taskflow.events` topic exchange = `type`.",
        "",
        "| type | version | schema | description |",
        "|---|---|---|---|",
    ]
    for entry in index:
        sensitive = (
            f" Sensitive: `{'`, `'.join(entry['sensitive_fields'])}`."
            if entry["sensitive_fields"]
            else ""
        )
        lines.append(
            f"| `{entry['type']}` | {entry['version']} | [{entry['file']}]({entry['file']}) "
            f"| {entry['description']}{sensitive} |"
        )
    files["README.md"] = ("\n".join(lines) + "\n").encode()
    return files


def write(folder: Path) -> list[Path]:
    """Write the catalog into ``folder``, removing stale ``*.json`` files; return what it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    files = render()
    for stale in folder.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    written = []
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m taskflow.events.catalog <folder>``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m taskflow.events.catalog <folder>", file=sys.stderr)
        return 2
    written = write(Path(args[0]))
    print(f"wrote {len(written)} files into {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
