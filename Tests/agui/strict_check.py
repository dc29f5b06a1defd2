"""Strict per-event check of an AG-UI stream against the ag-ui-protocol 1.0.0 models.

usage: strict_check.py FILE   (JSON lines, or an SSE capture: data:/id:/event:/comment lines)

Per event:
 1. TypeAdapter(Event).validate_json(raw, strict=True, by_alias=True, by_name=False)
    - discriminated union on "type"; strict = no str->int / float->int coercion;
      by_name=False = snake_case keys are NOT accepted as the field.
 2. reject unknown keys anywhere in the model tree (the SDK models use extra='allow',
    so they are kept in model_extra instead of failing). RFC 6902 operation objects are
    exempt (they are open by design); dict-typed values (metadata, snapshot, activity
    content, value, ...) are data, not models, and are not walked.
 3. round-trip: json.loads(raw) must equal the model dumped with by_alias=True,
    exclude_unset=True -> catches explicit nulls on optional fields (the SDK accepts
    null and then omits it) and any other normalisation.
"""
import json, sys
from pydantic import BaseModel, TypeAdapter, ValidationError
from ag_ui.core import Event
import ag_ui._generated.models as M

EVENT = TypeAdapter(Event)
OPEN = (M.AddOperation, M.RemoveOperation, M.ReplaceOperation, M.MoveOperation, M.CopyOperation, M.TestOperation)

def extras(obj, path=""):
    out = []
    if isinstance(obj, BaseModel):
        if not isinstance(obj, OPEN) and obj.model_extra:
            out += [f"{path}/{k}" for k in obj.model_extra]
        for name in type(obj).model_fields:
            f = type(obj).model_fields[name]
            out += extras(getattr(obj, name), f"{path}/{f.alias or name}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += extras(v, f"{path}/{i}")
    return out

def check(raw):
    try:
        ev = EVENT.validate_json(raw, strict=True, by_alias=True, by_name=False)
    except ValidationError as e:
        return None, [f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()]
    problems = [f"unknown field {p}" for p in extras(ev)]
    back = json.loads(EVENT.dump_json(ev, by_alias=True, exclude_unset=True))
    if not problems and back != json.loads(raw):
        problems.append(f"does not round-trip: sent {raw.strip()} ; model gives {json.dumps(back, separators=(',',':'))}")
    return ev, problems

def payloads(text):
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if first.startswith("{"):
        for line in text.splitlines():
            if line.strip():
                yield None, line
        return
    data, last_id = [], None
    for line in text.replace("\r\n", "\n").split("\n"):
        if line == "":
            if data:
                yield last_id, "\n".join(data)
            data = []
        elif line.startswith(":"):
            continue
        else:
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data": data.append(v)
            elif k == "id": last_id = v
    if data:
        yield last_id, "\n".join(data)

if __name__ == "__main__":
    bad = 0
    for i, (sse_id, raw) in enumerate(payloads(open(sys.argv[1], encoding="utf-8").read())):
        ev, problems = check(raw)
        tag = f"#{i}" + (f" (id {sse_id})" if sse_id is not None else "")
        if problems:
            bad += 1
            print(f"FAIL {tag}: " + " | ".join(problems))
        else:
            print(f"ok   {tag}: {type(ev).__name__}")
    print(f"{bad} invalid event(s)")
    sys.exit(1 if bad else 0)
