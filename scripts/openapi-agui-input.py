# Regenerates AGUIEventInput in Sources/HeraldServer/openapi.json from the AG-UI mapping
# (Sources/HeraldCore/AGUI/AGUI.swift) and the EventInput branches, after either changes:
#   python3 scripts/openapi-agui-input.py
# OpenAPIAGUITests checks the result against the mapping and the vocabulary.
import json, re
src = open('Sources/HeraldCore/AGUI/AGUI.swift').read()
known = re.search(r'knownTypes: Set<String> = \[(.*?)\]', src, re.S).group(1)
known = re.findall(r'"([A-Z_]+)"', known)
maps = []
for m in re.finditer(r'Mapping\(herald: "([^"]+)", agui: "([^"]+)", fields: (same\(([^)]*)\)|\[(.*?)\])\)', src):
    herald, agui = m.group(1), m.group(2)
    if m.group(4) is not None:
        fields = [(f, f) for f in re.findall(r'"([^"]+)"', m.group(4))]
    else:
        fields = re.findall(r'\("([^"]+)", "([^"]+)"\)', m.group(5))
    maps.append((herald, agui, dict(fields)))
p = 'Sources/HeraldServer/openapi.json'
s = open(p).read()
doc = json.loads(s)
schemas = doc['components']['schemas']
ei = schemas['EventInput']
branches = {b['title']: b for b in ei['anyOf']}
out = []
mapped = set()
for herald, agui, fields in maps:
    b = branches[herald]
    data = b['properties'].get('data', {})
    props = {"type": {"const": agui}}
    required = ["type"] + [r for r in b.get('required', []) if r != 'data']
    for name, schema in data.get('properties', {}).items():
        props[fields.get(name, name)] = schema
    required += [fields.get(r, r) for r in data.get('required', [])]
    for k in b['properties']:
        if k not in ('type', 'data'):
            props[k] = b['properties'][k]
    branch = {"title": agui, "required": required + ([] if agui.startswith("RUN_") else ["run"]), "properties": props}
    if agui.startswith("RUN_"):
        # A RUN_* event's runId names the run when `run` is absent.
        branch["anyOf"] = [{"required": ["run"]}, {"required": ["runId"], "properties": {"runId": {"pattern": "^[A-Za-z0-9._:-]{1,128}$"}}}]
    out.append(branch)
    mapped.add(agui)
passthrough = sorted(t for t in known if t not in mapped)
out.append({"title": "passthrough", "required": ["type", "run"], "properties": {"type": {"enum": passthrough}},
            "description": "AG-UI types without a Herald equivalent, stored as `ag_ui.<type in lower case>` with their fields as sent."})
envelope = {k: v for k, v in ei['properties'].items() if k in ('id', 'project', 'level', 'agent', 'turn', 'causedBy', 'expectedSeq')}
agui = {
    "type": "object",
    "description": schemas['AGUIEventInput']['description'].split(" `anyOf` below")[0] + " `anyOf` below has one branch per AG-UI type with a Herald equivalent (titled with the AG-UI type, requiring the fields the Herald type's checks need) and one for the others.",
    "required": ["type"],
    "anyOf": out,
    "properties": dict({
        "type": {"enum": sorted(known), "description": "An AG-UI 1.0 event type; others (typos, the removed THINKING_*) are refused with 422 `unknown_type`."},
        "timestamp": {"type": ["integer", "null"], "minimum": 0, "maximum": 253402300799999, "description": "Milliseconds since 1970; stored as the event's time."},
        "run": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$", "description": "The run (a RUN_* event's `runId` serves when absent)."},
        "runId": {"type": "string"},
        "metadata": {"type": ["object", "null"]},
        "subagentRunId": {"type": ["string", "null"]},
    }, **envelope),
}
# Render: the schema's keys pretty, each branch on one line.
def render(obj, indent):
    pad = ' ' * indent
    lines = ['{']
    items = list(obj.items())
    for n, (k, v) in enumerate(items):
        comma = ',' if n < len(items) - 1 else ''
        if k == 'anyOf':
            lines.append(f'{pad}  "anyOf": [')
            for q, br in enumerate(v):
                c3 = ',' if q < len(v) - 1 else ''
                lines.append(f'{pad}    {json.dumps(br, ensure_ascii=False)}{c3}')
            lines.append(f'{pad}  ]{comma}')
        elif k == 'properties':
            lines.append(f'{pad}  "properties": {{')
            props = list(v.items())
            for q, (pk, pv) in enumerate(props):
                c3 = ',' if q < len(props) - 1 else ''
                lines.append(f'{pad}    {json.dumps(pk)}: {json.dumps(pv, ensure_ascii=False)}{c3}')
            lines.append(f'{pad}  }}{comma}')
        else:
            lines.append(f'{pad}  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}{comma}')
    lines.append(pad + '}')
    return '\n'.join(lines)
start = s.index('      "AGUIEventInput": {')
# find matching brace
k = s.index('{', start); depth = 0
for pos in range(k, len(s)):
    if s[pos] == '{': depth += 1
    elif s[pos] == '}':
        depth -= 1
        if depth == 0: end = pos + 1; break
text = render(agui, 6)
s = s[:start] + '      "AGUIEventInput": ' + text + s[end:]
open(p, 'w').write(s)
json.loads(s)
print(len(out), "branches; passthrough:", passthrough)
