"""Schemathesis hooks for Herald: NDJSON request bodies.

The OpenAPI document models an `application/x-ndjson` body as an array of lines (as OpenAPI 3.2's
sequential media types do); Herald reads one JSON value per line.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode()
    return (json.dumps(value) + "\n").encode()
