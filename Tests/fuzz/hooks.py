"""Schemathesis hooks for Herald: NDJSON request bodies.

The OpenAPI document models an `application/x-ndjson` body as an array of lines (as OpenAPI 3.2's
sequential media types do); Herald reads one JSON value per line.
"""
import json

import schemathesis


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    """Fuzz `EventInput` as a slightly stricter schema than the one served.

    Schemathesis 4.32.5 turns each request body schema into a canonical form before generating
    from it, within a budget; the served `EventInput` (a union with a branch per built-in type)
    sits at the edge of that budget, and the `timestamp` alias or the reflection/thought
    alternatives (`done`/`gaps`/`newTasks`, `text`) tip it over: the operation then reports
    "Schema Error" and is not fuzzed at all. Without those three additions the body is generated
    again. The fuzzer then sends a subset of what the server accepts (every such event is
    still valid), so no check is weakened; `OpenAPITests` holds the served document to the
    server's rules, and Swift tests cover the alias and the alternatives.
    """
    schemas = raw_schema.get("components", {}).get("schemas", {})
    # A project's own events (`ProjectEventInput`) are `EventInput` without `run`: the same union.
    for event in (schemas.get("EventInput"), schemas.get("ProjectEventInput")):
        if not event:
            continue
        event.get("properties", {}).pop("timestamp", None)
        for branch in event.get("anyOf", []):
            if branch.get("title") in ("reflection", "thought"):
                branch["properties"]["data"] = {"type": "object", "required": ["content"], "properties": {"content": {"type": "string"}}}


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode()
    return (json.dumps(value) + "\n").encode()


@schemathesis.hook
def filter_failure(ctx, failure, case, response):
    """Partial ingest (`POST /v1/events?partial=true`) answers 200 and names each invalid event in
    `rejected` instead of refusing the request: that is its documented contract, so a
    schema-violating body answered that way is not "accepted". Any other failure still counts."""
    if getattr(failure, "code", "") != "ST201" or response.status_code != 200:
        return True
    if str((case.query or {}).get("partial", "")).lower() not in ("true", "1"):
        return True
    try:
        return not response.json().get("rejected")
    except ValueError:
        return True
