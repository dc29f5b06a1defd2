/// The OpenAPI 3.1 document served at `GET /openapi.json`: the whole v1 surface as the server
/// implements it, written for people and for fuzzers (schemathesis) alike.
///
/// `OpenAPITests` keeps it honest: every route the router registers must be documented here and
/// every documented operation must be routed; every `$ref` must resolve; the built-in event types'
/// branches under `EventInput` must match ``Vocabulary/rules``; and a live server's answers must
/// use the statuses, media types and shapes documented for them. When a route, parameter, status
/// or answer field changes, change this document in the same commit.
///
/// Written for fuzzers: query parameters are `allowEmptyValue` because the server reads an empty
/// value as absent; `EventInput` is a union of disjoint branches (one per built-in type) rather than
/// a chain of `if`/`then`, which generators cannot expand; a `text/event-stream` schema describes
/// one event (`event`, `data`, `id`, `retry`), as OpenAPI 3.2's `itemSchema` does.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Herald",
    "version": "1",
    "summary": "A real-time event hub for AI-agent runs.",
    "description": "Producers publish what happens in a run; Herald stores it durably, answers queries over it and streams it live over Server-Sent Events, with resume after any disconnect. Every error is answered as `{\"error\": {\"code\", \"message\", \"details\"}}`; a request to a path or method that has no route is answered 404 with code `not_found`. A query parameter sent with an empty value counts as absent."
  },
  "tags": [
    {"name": "ingest", "description": "Publishing events."},
    {"name": "runs", "description": "Runs and their status."},
    {"name": "events", "description": "Querying a run's events."},
    {"name": "streams", "description": "Live Server-Sent Events streams with replay and resume."},
    {"name": "operations", "description": "Health, readiness, metrics, the dashboard and this document."}
  ],
  "security": [{}, {"bearer": []}],
  "paths": {
    "/v1/events": {
      "post": {
        "operationId": "ingestEvents",
        "tags": ["ingest"],
        "summary": "Publish events",
        "parameters": [
          {
            "name": "partial",
            "in": "query",
            "description": "`true`: store the valid events and refuse each invalid one alone, named by its index in `rejected` (validation, a project the key may not publish to, a finished run, an id or seq conflict). Malformed JSON still fails the whole request. Default `false`: all-or-nothing.",
            "allowEmptyValue": true,
            "schema": {"type": "string", "enum": ["true", "false", "1", "0"], "default": "false"}
          }
        ],
        "description": "Stores one event, a JSON array of events, or NDJSON (one event object per line). A request is all-or-nothing: if any event is refused, none is stored (unless `partial=true`: then the valid events are stored and each refused one is answered in `rejected` with its index, code, message and details). The answer is sent only after the events are durable and gives each event's assigned `id`, `run` and `seq`, in request order. An event whose `id` is already stored is not stored again: its original place is answered with `duplicate: true`.\n\nLimits (server options, defaults shown): body at most 4 MiB (`--max-body-bytes`), at most 10,000 events per request (`--max-events-per-request`), `data` at most 256 KiB per event (`--max-data-bytes`), JSON nesting at most 32 deep (`--max-depth`), strings at most 64 KiB (`--max-string-bytes`), `causedBy` at most 256 ids.\n\nA request without `Content-Type` is refused (415): a browser sends none for a cross-site blob, which needs no preflight. `text/json` is read as JSON; `application/ndjson`, `application/jsonl`, `application/x-jsonlines` and `application/jsonlines` are read as NDJSON.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "oneOf": [
                  {"$ref": "#/components/schemas/IngestEvent"},
                  {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/IngestEvent"}}
                ]
              },
              "examples": {
                "one": {
                  "summary": "One event",
                  "value": {"run": "demo-1", "type": "run.started", "data": {"name": "Nightly QA", "goal": "triage"}}
                },
                "batch": {
                  "summary": "A batch",
                  "value": [
                    {"run": "demo-1", "type": "agent.started", "agent": "planner", "data": {"role": "planner"}},
                    {
                      "run": "demo-1",
                      "type": "step.progress",
                      "agent": "planner",
                      "turn": 1,
                      "data": {"stepId": "plan", "percent": 40, "label": "drafting"}
                    }
                  ]
                }
              }
            },
            "application/x-ndjson": {
              "schema": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/IngestEvent"},
                "description": "One `EventInput` (or `AGUIEventInput`) JSON object per line. As for sequential media types in OpenAPI 3.2, the schema describes the lines as an array; the body itself is not a JSON array, e.g. `{\"run\":\"demo-1\",\"type\":\"agent.log\",\"agent\":\"w1\",\"data\":{\"line\":\"hello\"}}\\n{\"run\":\"demo-1\",\"type\":\"my.custom.thing\"}\\n`. A body with no line is refused with 400."
              },
              "example": [
                {"run": "demo-1", "type": "agent.log", "agent": "w1", "data": {"line": "hello"}},
                {"run": "demo-1", "type": "my.custom.thing"}
              ]
            }
          }
        },
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "200": {
            "description": "Every event is stored (or was already); with `partial=true`, every valid one, and `rejected` names the others.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestAnswer"}}}
          },
          "400": {
            "description": "The body is not JSON or NDJSON of event objects (`invalid_json`, with the position in `details`), or it is empty (`invalid_request`).",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {
                  "error": {
                    "code": "invalid_json",
                    "message": "malformed JSON: line 1, column 2: expected a string key",
                    "details": [{"field": "body", "code": "syntax", "message": "line 1, column 2: expected a string key"}]
                  }
                }
              }
            }
          },
          "409": {
            "description": "The events conflict with what is stored; nothing was stored. `run_finished`: the run already ended (`run.completed`, `run.failed` or `run.cancelled`). `seq_conflict`: `expectedSeq` is not the run's last seq. `project_conflict`: the run belongs to another project. `id_conflict`: the id is already used by an event of another run.",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {
                  "error": {
                    "code": "run_finished",
                    "message": "run demo-1 is completed; it accepts no more events",
                    "details": [{"index": 0, "field": "run", "code": "finished", "message": "the run ended with completed"}]
                  }
                }
              }
            }
          },
          "413": {
            "description": "The body is too large (`payload_too_large`) or carries too many events (`too_many_events`).",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": "payload_too_large", "message": "request body is larger than 4194304 bytes"}}
              }
            }
          },
          "415": {
            "description": "The content type is neither JSON nor NDJSON (`unsupported_media_type`).",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {
                  "error": {
                    "code": "unsupported_media_type",
                    "message": "content type text/plain is not accepted: send application/json or application/x-ndjson"
                  }
                }
              }
            }
          },
          "422": {
            "description": "At least one event fails validation (`validation_failed`); `details` names each problem by event index and field (at most 100). Nothing was stored.",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {
                  "error": {
                    "code": "validation_failed",
                    "message": "1 of 1 event failed validation; nothing was stored",
                    "details": [
                      {
                        "index": 0,
                        "field": "data.decisionType",
                        "code": "required",
                        "message": "decision events need data.decisionType"
                      }
                    ]
                  }
                }
              }
            }
          },
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/projects": {
      "get": {
        "operationId": "listProjects",
        "tags": ["runs"],
        "summary": "List projects",
        "description": "The projects that hold runs and that the caller can read, most recently updated first: at most the 1,000 most recently updated projects of the store (a key scoped to a project not among them sees it missing here; its runs and stream are unaffected). For a project picker.",
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {
            "description": "The projects.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProjectList"}}}
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs": {
      "get": {
        "operationId": "listRuns",
        "tags": ["runs"],
        "summary": "List runs",
        "description": "Runs, most recently updated first, one page at a time: pass `nextCursor` back as `cursor` for the next page. A page holds at most `limit` runs and at most the server's page byte budget (`--max-page-bytes`; a run with many agents counts for more), so it can be shorter than `limit` with a `nextCursor`.",
        "parameters": [
          {
            "name": "status",
            "in": "query",
            "description": "Only runs with this status; `active` means `queued` or `running`.",
            "allowEmptyValue": true,
            "schema": {"type": "string", "enum": ["active", "queued", "running", "completed", "failed", "cancelled"]}
          },
          {
            "name": "project",
            "in": "query",
            "description": "Only runs of this project.",
            "allowEmptyValue": true,
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/Limit"},
          {
            "name": "cursor",
            "in": "query",
            "description": "Opaque: the `nextCursor` of the previous page. Any other value is refused with 400.",
            "allowEmptyValue": true,
            "schema": {"type": "string", "pattern": "^[0-9]{1,18}_[0-9]{1,18}$"}
          }
        ],
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {
            "description": "A page of runs.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunList"}}}
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs/{run}": {
      "parameters": [{"$ref": "#/components/parameters/Run"}, {"$ref": "#/components/parameters/RunProject"}],
      "get": {
        "operationId": "getRun",
        "tags": ["runs"],
        "summary": "One run",
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {"description": "The run.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {"$ref": "#/components/responses/RunNotFound"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs/{run}/events": {
      "parameters": [{"$ref": "#/components/parameters/Run"}, {"$ref": "#/components/parameters/RunProject"}],
      "get": {
        "operationId": "listRunEvents",
        "tags": ["events"],
        "summary": "A run's events",
        "description": "A run's events in `seq` order after `after` (or, with `before`, the last ones before it), filtered, at most `limit`, and at most the server's page byte budget (`--max-page-bytes`, 4 MiB by default): a page stops before the event that would pass it, one event always goes, and `hasMore` is then true as after a full page. `total` counts every event of the run that matches the filter, ignoring paging; page on with `after` set to the last `seq` received while `hasMore` is true.",
        "parameters": [
          {"$ref": "#/components/parameters/Types"},
          {"$ref": "#/components/parameters/Agents"},
          {"$ref": "#/components/parameters/Level"},
          {"$ref": "#/components/parameters/TurnFrom"},
          {"$ref": "#/components/parameters/TurnTo"},
          {"$ref": "#/components/parameters/Since"},
          {"$ref": "#/components/parameters/Until"},
          {
            "name": "after",
            "in": "query",
            "description": "Only events with a greater `seq`.",
            "allowEmptyValue": true,
            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807, "default": 0}
          },
          {
            "name": "before",
            "in": "query",
            "description": "Alone, read backward: the last `limit` matching events with a smaller `seq`, still in `seq` order; `hasMore` then says whether earlier ones match too (page on with `before` set to the first `seq` received). With `after`, read forward between the two: events with `after` < `seq` < `before`.",
            "allowEmptyValue": true,
            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}
          },
          {"$ref": "#/components/parameters/Limit"}
        ],
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {
            "description": "A page of events.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventList"}}}
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {"$ref": "#/components/responses/RunNotFound"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs/{run}/events/{id}": {
      "parameters": [
        {"$ref": "#/components/parameters/Run"},
        {"$ref": "#/components/parameters/EventId"},
        {"$ref": "#/components/parameters/RunProject"}
      ],
      "get": {
        "operationId": "getRunEvent",
        "tags": ["events"],
        "summary": "One event",
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {
            "description": "The event.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {"$ref": "#/components/responses/EventNotFound"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs/{run}/events/{id}/causality": {
      "parameters": [
        {"$ref": "#/components/parameters/Run"},
        {"$ref": "#/components/parameters/EventId"},
        {"$ref": "#/components/parameters/RunProject"}
      ],
      "get": {
        "operationId": "getEventCausality",
        "tags": ["events"],
        "summary": "An event's causality chain",
        "description": "What led to the event (`upstream`, following `causedBy`) and what it led to (`downstream`), transitively and breadth-first, each event once (cycles are safe). Ids named in a `causedBy` that are not stored in the run are listed in `dangling`. Bounded whatever the graph: at most 1,000 events each way, 2 MiB of events in all (or the page byte budget, when smaller), 5,000 ids looked up and 1,000 `dangling` ids; `truncated` is true when `maxDepth` or any of these caps cut the walk or a list short.",
        "parameters": [
          {
            "name": "maxDepth",
            "in": "query",
            "description": "How many links to follow each way; values above 1000 count as 1000.",
            "allowEmptyValue": true,
            "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807, "default": 64}
          }
        ],
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {
            "description": "The causal neighbourhood.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Causality"}}}
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {"$ref": "#/components/responses/EventNotFound"},
          "429": {"$ref": "#/components/responses/TooManyQueries"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/runs/{run}/stream": {
      "parameters": [{"$ref": "#/components/parameters/Run"}, {"$ref": "#/components/parameters/RunProject"}],
      "get": {
        "operationId": "streamRun",
        "tags": ["streams"],
        "security": [{}, {"bearer": []}, {"accessToken": []}],
        "summary": "Live stream of a run",
        "description": "The run's events as Server-Sent Events: stored events from the resume point, then live ones. Each event's SSE id is its `seq`. The filters select what is sent, but the run's terminal event (`run.completed`, `run.failed`, `run.cancelled`) is always sent, and the stream ends after it. Resuming at or past the end of a finished run is answered `204 No Content`, which tells a browser's EventSource to stop reconnecting.",
        "parameters": [
          {"$ref": "#/components/parameters/LastEventID"},
          {"$ref": "#/components/parameters/StreamAfter"},
          {"$ref": "#/components/parameters/From"},
          {"$ref": "#/components/parameters/Frames"},
          {
            "name": "wait",
            "in": "query",
            "description": "`1`, `true` or `yes`: if the run has no event yet, wait for its first one instead of answering 404. Any other value means no.",
            "allowEmptyValue": true,
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/Types"},
          {"$ref": "#/components/parameters/Agents"},
          {"$ref": "#/components/parameters/Level"},
          {"$ref": "#/components/parameters/TurnFrom"},
          {"$ref": "#/components/parameters/TurnTo"},
          {"$ref": "#/components/parameters/Since"},
          {"$ref": "#/components/parameters/Until"},
          {
            "name": "format",
            "in": "query",
            "description": "`ag-ui`: the run as AG-UI protocol 1.0 events, for front-ends that speak AG-UI: `data:` frames of compact JSON without `event:` lines; RUN_STARTED first (unless resuming), RUN_FINISHED or RUN_ERROR last; text messages, tool calls, state, reasoning and steps as their AG-UI events; everything else as CUSTOM named `herald.<type>` with the Herald event as its value. The last frame written for an event carries its `seq` as `id:`, so `Last-Event-ID` resumes exactly. Filters apply as for `herald`. docs/ag-ui.md has the mapping.",
            "allowEmptyValue": true,
            "schema": {"type": "string", "enum": ["herald", "ag-ui"], "default": "herald"}
          }
        ],
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {"$ref": "#/components/responses/RunEventStream"},
          "204": {
            "description": "The run is finished and the resume point is at or past its last event: nothing more will come."
          },
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {"$ref": "#/components/responses/RunNotFound"},
          "429": {"$ref": "#/components/responses/TooManyConnections"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/projects/{project}/stream": {
      "parameters": [{"$ref": "#/components/parameters/Project"}],
      "get": {
        "operationId": "streamProject",
        "tags": ["streams"],
        "security": [{}, {"bearer": []}, {"accessToken": []}],
        "summary": "Live stream of a project",
        "description": "Events of every run of the project as Server-Sent Events, in commit order. Each event's SSE id is its store-wide position, a resume token across runs. The stream opens with a `herald.connected` event (no id) whose data is `{\"type\": \"herald.connected\", \"project\", \"activeRuns\": [run ids], \"runs\": [the active runs as GET /v1/runs lists them], \"position\"}`. Without `types`, the stream carries `run.*`, `task.*`, `step.*`, `agent.started`, `agent.completed`, `agent.failed` and `agent.log`; `agent.log` lines only of the runs named in `logs`. A project stream does not end with a run. A project with no runs yet is streamed like any other.",
        "parameters": [
          {"$ref": "#/components/parameters/LastEventID"},
          {"$ref": "#/components/parameters/StreamAfter"},
          {"$ref": "#/components/parameters/From"},
          {"$ref": "#/components/parameters/Frames"},
          {
            "name": "logs",
            "in": "query",
            "description": "Whose `agent.log` lines to carry: `all` (or `*`) for every run, or comma-separated run ids. Default: none.",
            "allowEmptyValue": true,
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/Types"},
          {"$ref": "#/components/parameters/Agents"},
          {"$ref": "#/components/parameters/Level"},
          {"$ref": "#/components/parameters/TurnFrom"},
          {"$ref": "#/components/parameters/TurnTo"},
          {"$ref": "#/components/parameters/Since"},
          {"$ref": "#/components/parameters/Until"},
          {
            "name": "format",
            "in": "query",
            "description": "Only `herald` on a project stream: `ag-ui` is refused (400), since an AG-UI stream is one run.",
            "allowEmptyValue": true,
            "schema": {"type": "string", "enum": ["herald"], "default": "herald"}
          }
        ],
        "responses": {
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "200": {"$ref": "#/components/responses/ProjectEventStream"},
          "400": {"$ref": "#/components/responses/InvalidParameter"},
          "404": {
            "description": "The project name is not a valid name (`not_found`).",
            "content": {
              "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": "not_found", "message": "project a/b not found"}}
              }
            }
          },
          "429": {"$ref": "#/components/responses/TooManyConnections"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "healthz",
        "tags": ["operations"],
        "security": [],
        "summary": "Liveness",
        "description": "The process answers.",
        "responses": {
          "200": {"description": "Alive.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "readyz",
        "tags": ["operations"],
        "security": [],
        "summary": "Readiness",
        "description": "The process and its store answer.",
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
          },
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/": {
      "get": {
        "operationId": "getDashboard",
        "tags": ["operations"],
        "security": [],
        "summary": "The live dashboard",
        "description": "An HTML page: the runs board (`#/`) and a run's view (`#/runs/{run}`), updated live over the stream endpoints. Its scripts and styles are served from `/ui/{file}`; it loads nothing from elsewhere.",
        "responses": {"200": {"description": "The dashboard page.", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    },
    "/sdk/{file}": {
      "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string", "enum": ["herald.js", "herald.d.ts"]}}],
      "get": {
        "operationId": "getJavaScriptClient",
        "tags": ["operations"],
        "security": [],
        "summary": "The JavaScript client",
        "description": "`herald.js`: an ES module with no dependency, for pages (`import { createClient } from \"/sdk/herald.js\"`), bundlers (copy it in) and Node 18 or later; the dashboard is built on it. `herald.d.ts`: its TypeScript declarations. docs/javascript.md has the guide.",
        "responses": {
          "200": {"description": "The module, or its declarations.", "content": {"text/javascript": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}},
          "404": {
            "description": "No such file (`not_found`).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          }
        }
      }
    },
    "/ui/{file}": {
      "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "operationId": "getDashboardFile",
        "tags": ["operations"],
        "security": [],
        "summary": "A file of the dashboard",
        "responses": {
          "200": {"description": "A JavaScript module or a stylesheet.", "content": {"text/javascript": {"schema": {"type": "string"}}, "text/css": {"schema": {"type": "string"}}}},
          "404": {
            "description": "No such file (`not_found`).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          }
        }
      }
    },
    "/v1/access": {
      "get": {
        "operationId": "getAccess",
        "tags": ["operations"],
        "summary": "What the credential grants",
        "description": "The caller as limits and logs name it, its role, and the projects it covers (`\"*\"` for all), so a client can open the project a key covers. With authentication off: `admin` on every project.",
        "responses": {
          "200": {
            "description": "The caller's access.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": ["caller", "role", "projects", "authentication"],
                  "properties": {
                    "caller": {"type": "string", "description": "`key:<id>`, `jwt:<subject>`, or the peer address when authentication is off."},
                    "role": {"enum": ["read", "publish", "admin"]},
                    "projects": {"oneOf": [{"const": "*"}, {"type": "array", "items": {"type": "string"}}]},
                    "authentication": {"type": "boolean", "description": "Whether this server requires credentials."}
                  }
                },
                "example": {"caller": "key:k3v9q2m7x4ab", "role": "read", "projects": ["acme"], "authentication": true}
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "tags": ["operations"],
        "summary": "Prometheus metrics",
        "description": "The Prometheus text exposition format: `herald_events_ingested_total`, `herald_ingest_requests_rejected_total{reason}`, `herald_ingest_duration_seconds` and `herald_commit_duration_seconds` (histograms), `herald_subscribers{state=\"live\"|\"catching_up\"}`, `herald_fanout_lag_seconds` (commit to frame written), `herald_refused_by_limit_total{limit=\"connections\"|\"rate\"}`, `herald_store_size_bytes`. With authentication on, it takes an admin key.",
        "responses": {
          "200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenAPIDocument",
        "tags": ["operations"],
        "security": [],
        "summary": "This document",
        "responses": {
          "200": {
            "description": "The OpenAPI 3.1 document of the v1 surface.",
            "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "info", "paths"]}}}
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "RunName": {
        "type": "string",
        "pattern": "^[A-Za-z0-9._:-]{1,128}$",
        "description": "A run or project id.",
        "examples": ["demo-1"]
      },
      "Ulid": {
        "type": "string",
        "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$",
        "description": "A ULID: 26 Crockford base32 characters, upper case.",
        "examples": ["01JD6Q3VQ9V7S8Y1X2W3Z4A5B6"]
      },
      "EventType": {
        "type": "string",
        "maxLength": 128,
        "pattern": "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$",
        "description": "A lowercase dotted name, e.g. `agent.log` or `my.custom.thing`.",
        "examples": ["agent.log"]
      },
      "Level": {
        "type": "string",
        "enum": ["milestone", "decision", "action", "state", "detail", "system"],
        "description": "Verbosity: `milestone` < `decision` < `action` < `state` < `detail`; `system` is always delivered."
      },
      "AgentName": {
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": "^[^\\u0000-\\u001f\\u007f,]+$",
        "description": "An agent id: 1 to 128 UTF-8 bytes, no control characters, no commas.",
        "examples": ["worker-1"]
      },
      "Timestamp": {
        "type": "string",
        "format": "date-time",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
        "description": "RFC 3339, UTC, always with six fraction digits (microseconds).",
        "examples": ["2026-01-02T03:04:05.000006Z"]
      },
      "IngestEvent": {
        "description": "An event to store: Herald's own shape, or an AG-UI event.",
        "anyOf": [{"$ref": "#/components/schemas/EventInput"}, {"$ref": "#/components/schemas/AGUIEventInput"}]
      },
      "AGUIEventInput": {
        "type": "object",
        "description": "An AG-UI (protocol 1.0) event as an AG-UI producer writes it, with its fields at the top level, plus Herald's envelope: `run` (a RUN_* event's `runId` serves when `run` is absent), and optionally `project`, `agent`, `turn`, `causedBy`, `id`, `level`, `expectedSeq`. It is stored as its Herald equivalent, its fields in `data` (docs/ag-ui.md has the table): e.g. TEXT_MESSAGE_CONTENT as `message.delta` with `data.messageId` and `data.delta`, STEP_STARTED's `stepName` as `step.started`'s `data.stepId`, RUN_ERROR's `message` as `run.failed`'s `data.error`. `timestamp` (milliseconds) becomes `time`. A type without a Herald equivalent (CUSTOM, RAW, MESSAGES_SNAPSHOT, …) is stored as `ag_ui.<type in lower case>` and streamed back as it came. The Herald type's checks apply (e.g. a STATE_DELTA must hold a valid JSON Patch). `anyOf` below has one branch per AG-UI type with a Herald equivalent (titled with the AG-UI type, requiring the fields the Herald type's checks need) and one for the others.",
        "required": ["type"],
        "anyOf": [
          {"title": "RUN_STARTED", "required": ["type"], "properties": {"type": {"const": "RUN_STARTED"}, "name": {"type": ["string", "null"]}, "goal": {"type": ["string", "null"]}}, "anyOf": [{"required": ["run"]}, {"required": ["runId"], "properties": {"runId": {"pattern": "^[A-Za-z0-9._:-]{1,128}$"}}}]},
          {"title": "RUN_FINISHED", "required": ["type"], "properties": {"type": {"const": "RUN_FINISHED"}, "summary": {"type": ["string", "null"]}}, "anyOf": [{"required": ["run"]}, {"required": ["runId"], "properties": {"runId": {"pattern": "^[A-Za-z0-9._:-]{1,128}$"}}}]},
          {"title": "RUN_ERROR", "required": ["type", "message"], "properties": {"type": {"const": "RUN_ERROR"}, "message": {"type": "string"}, "code": {"type": ["string", "null"]}}, "anyOf": [{"required": ["run"]}, {"required": ["runId"], "properties": {"runId": {"pattern": "^[A-Za-z0-9._:-]{1,128}$"}}}]},
          {"title": "STEP_STARTED", "required": ["type", "stepName", "run"], "properties": {"type": {"const": "STEP_STARTED"}, "stepName": {"type": "string"}, "label": {"type": ["string", "null"]}}},
          {"title": "STEP_FINISHED", "required": ["type", "stepName", "run"], "properties": {"type": {"const": "STEP_FINISHED"}, "stepName": {"type": "string"}, "tokensUsed": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807}, "artifactId": {"type": ["string", "null"]}}},
          {"title": "TEXT_MESSAGE_START", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "TEXT_MESSAGE_START"}, "messageId": {"type": "string"}, "role": {"type": ["string", "null"], "enum": ["developer", "system", "assistant", "user", null]}, "name": {"type": ["string", "null"]}}},
          {"title": "TEXT_MESSAGE_CONTENT", "required": ["type", "messageId", "delta", "run"], "properties": {"type": {"const": "TEXT_MESSAGE_CONTENT"}, "messageId": {"type": "string"}, "delta": {"type": "string"}}},
          {"title": "TEXT_MESSAGE_END", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "TEXT_MESSAGE_END"}, "messageId": {"type": "string"}}},
          {"title": "TOOL_CALL_START", "required": ["type", "toolCallId", "toolCallName", "run"], "properties": {"type": {"const": "TOOL_CALL_START"}, "toolCallId": {"type": "string"}, "toolCallName": {"type": "string"}, "parentMessageId": {"type": ["string", "null"]}}},
          {"title": "TOOL_CALL_ARGS", "required": ["type", "toolCallId", "delta", "run"], "properties": {"type": {"const": "TOOL_CALL_ARGS"}, "toolCallId": {"type": "string"}, "delta": {"type": "string"}}},
          {"title": "TOOL_CALL_END", "required": ["type", "toolCallId", "run"], "properties": {"type": {"const": "TOOL_CALL_END"}, "toolCallId": {"type": "string"}}},
          {"title": "TOOL_CALL_RESULT", "required": ["type", "toolCallId", "messageId", "content", "run"], "properties": {"type": {"const": "TOOL_CALL_RESULT"}, "toolCallId": {"type": "string"}, "messageId": {"type": "string"}, "content": {"type": ["string", "array"]}, "role": {"type": ["string", "null"], "enum": ["tool", null]}}},
          {"title": "STATE_SNAPSHOT", "required": ["type", "snapshot", "run"], "properties": {"type": {"const": "STATE_SNAPSHOT"}, "snapshot": {"not": {"type": "null"}}}},
          {"title": "STATE_DELTA", "required": ["type", "delta", "run"], "properties": {"type": {"const": "STATE_DELTA"}, "delta": {"$ref": "#/components/schemas/JSONPatch"}}},
          {"title": "REASONING_START", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "REASONING_START"}, "messageId": {"type": "string"}}},
          {"title": "REASONING_MESSAGE_START", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "REASONING_MESSAGE_START"}, "messageId": {"type": "string"}}},
          {"title": "REASONING_MESSAGE_CONTENT", "required": ["type", "messageId", "delta", "run"], "properties": {"type": {"const": "REASONING_MESSAGE_CONTENT"}, "messageId": {"type": "string"}, "delta": {"type": "string"}}},
          {"title": "REASONING_MESSAGE_END", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "REASONING_MESSAGE_END"}, "messageId": {"type": "string"}}},
          {"title": "REASONING_END", "required": ["type", "messageId", "run"], "properties": {"type": {"const": "REASONING_END"}, "messageId": {"type": "string"}}},
          {"title": "passthrough", "required": ["type", "run"], "properties": {"type": {"enum": ["ACTIVITY_DELTA", "ACTIVITY_SNAPSHOT", "CUSTOM", "MESSAGES_SNAPSHOT", "RAW", "REASONING_ENCRYPTED_VALUE", "REASONING_MESSAGE_CHUNK", "SUBAGENT_ERROR", "SUBAGENT_FINISHED", "SUBAGENT_STARTED", "TEXT_MESSAGE_CHUNK", "TOOL_CALL_CHUNK"]}}, "description": "AG-UI types without a Herald equivalent, stored as `ag_ui.<type in lower case>` with their fields as sent."}
        ],
        "properties": {
          "type": {"enum": ["ACTIVITY_DELTA", "ACTIVITY_SNAPSHOT", "CUSTOM", "MESSAGES_SNAPSHOT", "RAW", "REASONING_ENCRYPTED_VALUE", "REASONING_END", "REASONING_MESSAGE_CHUNK", "REASONING_MESSAGE_CONTENT", "REASONING_MESSAGE_END", "REASONING_MESSAGE_START", "REASONING_START", "RUN_ERROR", "RUN_FINISHED", "RUN_STARTED", "STATE_DELTA", "STATE_SNAPSHOT", "STEP_FINISHED", "STEP_STARTED", "SUBAGENT_ERROR", "SUBAGENT_FINISHED", "SUBAGENT_STARTED", "TEXT_MESSAGE_CHUNK", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "TEXT_MESSAGE_START", "TOOL_CALL_ARGS", "TOOL_CALL_CHUNK", "TOOL_CALL_END", "TOOL_CALL_RESULT", "TOOL_CALL_START"], "description": "An AG-UI 1.0 event type; others (typos, the removed THINKING_*) are refused with 422 `unknown_type`."},
          "timestamp": {"type": ["integer", "null"], "minimum": 0, "maximum": 253402300799999, "description": "Milliseconds since 1970; stored as the event's time."},
          "run": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$", "description": "The run (a RUN_* event's `runId` serves when absent)."},
          "runId": {"type": "string"},
          "metadata": {"type": ["object", "null"]},
          "subagentRunId": {"type": ["string", "null"]},
          "id": {"type": ["string", "null"], "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$", "description": "A ULID chosen by the producer, used as an idempotency key: a retried event with the same id is stored once. Assigned when absent."},
          "project": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9._:-]{1,128}$", "default": "default", "description": "The tenancy and access scope; a run belongs to one project."},
          "level": {"type": ["string", "null"], "enum": ["milestone", "decision", "action", "state", "detail", "system", null], "description": "Defaulted from the type."},
          "agent": {"type": ["string", "null"], "minLength": 1, "maxLength": 128, "pattern": "^[^\\u0000-\\u001f\\u007f,]+$", "description": "The agent id: 1 to 128 UTF-8 bytes, no control characters, no commas."},
          "turn": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807, "description": "The turn number."},
          "causedBy": {"type": "array", "maxItems": 256, "items": {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"}, "description": "Ids of earlier events of the same run that caused this one."},
          "expectedSeq": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807, "description": "Optimistic concurrency: refuse the request with 409 `seq_conflict` unless the run's last seq is exactly this (0 for a new run)."}
        }
      },
      "JSONPatch": {
        "type": "array",
        "description": "An RFC 6902 JSON Patch: `add`, `replace` and `test` need a `value`; `move` and `copy` need a `from`. Other members are allowed.",
        "items": {
          "type": "object",
          "required": ["op", "path"],
          "properties": {
            "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"$ref": "#/components/schemas/JSONPointer"},
            "from": {"$ref": "#/components/schemas/JSONPointer"}
          },
          "anyOf": [
            {"properties": {"op": {"enum": ["add", "replace", "test"]}}, "required": ["value"]},
            {"properties": {"op": {"enum": ["move", "copy"]}}, "required": ["from"]},
            {"properties": {"op": {"const": "remove"}}}
          ]
        }
      },
      "JSONPointer": {"type": "string", "pattern": "^(/([^/~]|~[01])*)*$", "description": "An RFC 6901 JSON Pointer."},
      "EventInput": {
        "type": "object",
        "description": "One event as a producer sends it. Fields set to `null` count as absent (except `run` and `type`; `causedBy: null` is no cause). Unknown fields and repeated fields are refused; a field under another team's name (`event_id`, `turn_number`, `agent_id`, `caused_by`, `run_id`, …) is refused naming Herald's field (`herald vocabulary --markdown` lists them). Built-in types (`run.*`, `task.*`, `step.*`, `agent.*`, `milestone.*`, `decision`, `action`, `state`, `detail`, `system.*`, `reflection`, `thought`, and for agent UIs `message.*`, `tool.*`, `state.*`, `reasoning.*`) must carry their fields, as the conditions below say; any other well-formed type passes through, but a type inside the namespaces `run.`, `task.`, `step.`, `agent.`, `milestone.`, `message.`, `tool.`, `state.` and `reasoning.` must be a built-in one. An AG-UI event is accepted too: see `AGUIEventInput`. `anyOf` below has one branch per built-in type (titled with the type), one for other `system.*` types and one for custom types.",
        "required": ["run", "type"],
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": ["string", "null"],
            "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$",
            "description": "A ULID chosen by the producer, used as an idempotency key: a retried event with the same id is stored once. Assigned when absent."
          },
          "project": {
            "type": ["string", "null"],
            "pattern": "^[A-Za-z0-9._:-]{1,128}$",
            "default": "default",
            "description": "The tenancy and access scope; a run belongs to one project."
          },
          "run": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$", "description": "The run id."},
          "type": {"$ref": "#/components/schemas/EventType"},
          "level": {
            "type": ["string", "null"],
            "enum": ["milestone", "decision", "action", "state", "detail", "system", null],
            "description": "Defaulted from the type."
          },
          "time": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Producer time, RFC 3339 with a UTC offset (`Z`, `+00:00`, …; kept to the microsecond, stored in UTC); defaults to receipt time. A time without an offset (Python's naive `datetime.now().isoformat()`) is refused with a hint: send `datetime.now(timezone.utc).isoformat()`."
          },
          "timestamp": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "An alias of `time` (what print-based emitters write). Given with `time`, both must name the same instant, or the event is refused (422)."
          },
          "agent": {
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[^\\u0000-\\u001f\\u007f,]+$",
            "description": "The agent id: 1 to 128 UTF-8 bytes, no control characters, no commas."
          },
          "turn": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807, "description": "The turn number."},
          "causedBy": {
            "type": ["array", "null"],
            "maxItems": 256,
            "items": {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
            "description": "Ids of earlier events of the same run that caused this one; null means none."
          },
          "data": {"type": ["object", "null"], "description": "The payload, a JSON object (at most 256 KiB by default)."},
          "expectedSeq": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 9223372036854775807,
            "description": "Optimistic concurrency: refuse the request with 409 `seq_conflict` unless the run's last seq is exactly this (0 for a new run)."
          }
        },
        "anyOf": [
          {
            "title": "run.queued",
            "properties": {
              "type": {"const": "run.queued"},
              "data": {"type": ["object", "null"], "properties": {"name": {"type": ["string", "null"]}}}
            }
          },
          {
            "title": "run.started",
            "properties": {
              "type": {"const": "run.started"},
              "data": {
                "type": ["object", "null"],
                "properties": {"name": {"type": ["string", "null"]}, "goal": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "run.completed",
            "properties": {
              "type": {"const": "run.completed"},
              "data": {"type": ["object", "null"], "properties": {"summary": {"type": ["string", "null"]}}}
            }
          },
          {
            "title": "run.failed",
            "required": ["data"],
            "properties": {
              "type": {"const": "run.failed"},
              "data": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}, "code": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "run.cancelled",
            "properties": {
              "type": {"const": "run.cancelled"},
              "data": {"type": ["object", "null"], "properties": {"reason": {"type": ["string", "null"]}}}
            }
          },
          {
            "title": "milestone.turn_start",
            "required": ["turn"],
            "properties": {"type": {"const": "milestone.turn_start"}, "turn": {"type": "integer"}}
          },
          {
            "title": "milestone.turn_end",
            "required": ["turn"],
            "properties": {"type": {"const": "milestone.turn_end"}, "turn": {"type": "integer"}}
          },
          {
            "title": "milestone.phase_transition",
            "required": ["data"],
            "properties": {
              "type": {"const": "milestone.phase_transition"},
              "data": {
                "type": "object",
                "required": ["to"],
                "properties": {"from": {"type": ["string", "null"]}, "to": {"type": "string"}}
              }
            }
          },
          {
            "title": "decision",
            "required": ["agent", "data"],
            "properties": {
              "type": {"const": "decision"},
              "agent": {"type": "string"},
              "data": {
                "type": "object",
                "required": ["decisionType", "newValue"],
                "properties": {
                  "decisionType": {"type": "string"},
                  "oldValue": {},
                  "newValue": {"not": {"type": "null"}},
                  "reason": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "action",
            "required": ["agent", "data"],
            "properties": {
              "type": {"const": "action"},
              "agent": {"type": "string"},
              "data": {
                "type": "object",
                "required": ["actionType"],
                "properties": {"actionType": {"type": "string"}, "payload": {}}
              }
            }
          },
          {
            "title": "state",
            "required": ["data"],
            "properties": {
              "type": {"const": "state"},
              "data": {
                "type": "object",
                "required": ["variable", "new"],
                "properties": {
                  "variable": {"type": "string"},
                  "old": {},
                  "new": {"not": {"type": "null"}},
                  "scope": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "detail",
            "required": ["data"],
            "properties": {
              "type": {"const": "detail"},
              "data": {
                "type": "object",
                "required": ["calculationType"],
                "properties": {"calculationType": {"type": "string"}, "intermediateValues": {}}
              }
            }
          },
          {
            "title": "task.started",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.started"},
              "data": {
                "type": "object",
                "required": ["taskId"],
                "properties": {"taskId": {"type": "string"}, "title": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "task.completed",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.completed"},
              "data": {"type": "object", "required": ["taskId"], "properties": {"taskId": {"type": "string"}, "result": {}}}
            }
          },
          {
            "title": "task.failed",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.failed"},
              "data": {
                "type": "object",
                "required": ["taskId", "error"],
                "properties": {"taskId": {"type": "string"}, "error": {"type": "string"}}
              }
            }
          },
          {
            "title": "task.status_changed",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.status_changed"},
              "data": {
                "type": "object",
                "required": ["taskId", "old", "new"],
                "properties": {"taskId": {"type": "string"}, "old": {"type": "string"}, "new": {"type": "string"}}
              }
            }
          },
          {
            "title": "task.subtask_status_changed",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.subtask_status_changed"},
              "data": {
                "type": "object",
                "required": ["taskId", "subtaskId", "old", "new"],
                "properties": {
                  "taskId": {"type": "string"},
                  "subtaskId": {"type": "string"},
                  "old": {"type": "string"},
                  "new": {"type": "string"}
                }
              }
            }
          },
          {
            "title": "task.subtask_unblocked",
            "required": ["data"],
            "properties": {
              "type": {"const": "task.subtask_unblocked"},
              "data": {
                "type": "object",
                "required": ["taskId", "subtaskId", "unblockedBy"],
                "properties": {"taskId": {"type": "string"}, "subtaskId": {"type": "string"}, "unblockedBy": {"type": "string"}}
              }
            }
          },
          {
            "title": "step.queued",
            "required": ["data"],
            "properties": {
              "type": {"const": "step.queued"},
              "data": {
                "type": "object",
                "required": ["stepId"],
                "properties": {"stepId": {"type": "string"}, "label": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "step.started",
            "required": ["data"],
            "properties": {
              "type": {"const": "step.started"},
              "data": {
                "type": "object",
                "required": ["stepId"],
                "properties": {"stepId": {"type": "string"}, "label": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "step.progress",
            "required": ["data"],
            "properties": {
              "type": {"const": "step.progress"},
              "data": {
                "type": "object",
                "required": ["stepId", "percent"],
                "properties": {
                  "stepId": {"type": "string"},
                  "percent": {"type": "number", "minimum": 0, "maximum": 100},
                  "label": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "step.completed",
            "required": ["data"],
            "properties": {
              "type": {"const": "step.completed"},
              "data": {
                "type": "object",
                "required": ["stepId"],
                "properties": {
                  "stepId": {"type": "string"},
                  "tokensUsed": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807},
                  "artifactId": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "step.failed",
            "required": ["data"],
            "properties": {
              "type": {"const": "step.failed"},
              "data": {
                "type": "object",
                "required": ["stepId", "code", "message"],
                "properties": {"stepId": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}
              }
            }
          },
          {
            "title": "agent.started",
            "required": ["agent"],
            "properties": {
              "type": {"const": "agent.started"},
              "agent": {"type": "string"},
              "data": {"type": ["object", "null"], "properties": {"role": {"type": ["string", "null"]}}}
            }
          },
          {
            "title": "agent.log",
            "required": ["agent", "data"],
            "properties": {
              "type": {"const": "agent.log"},
              "agent": {"type": "string"},
              "data": {
                "type": "object",
                "required": ["line"],
                "properties": {
                  "line": {"type": "string"},
                  "lineNumber": {"type": ["integer", "null"], "minimum": 1, "maximum": 9223372036854775807},
                  "logTime": {"type": ["string", "null"]},
                  "truncated": {"type": ["boolean", "null"]}
                }
              }
            }
          },
          {
            "title": "agent.completed",
            "required": ["agent"],
            "properties": {
              "type": {"const": "agent.completed"},
              "agent": {"type": "string"},
              "data": {
                "type": ["object", "null"],
                "properties": {"prUrl": {"type": ["string", "null"]}, "summary": {"type": ["string", "null"]}}
              }
            }
          },
          {
            "title": "agent.failed",
            "required": ["agent", "data"],
            "properties": {
              "type": {"const": "agent.failed"},
              "agent": {"type": "string"},
              "data": {
                "type": "object",
                "required": ["error", "willRetry"],
                "properties": {"error": {"type": "string"}, "willRetry": {"type": "boolean"}}
              }
            }
          },
          {
            "title": "reflection",
            "required": ["data"],
            "properties": {
              "type": {"const": "reflection"},
              "data": {
                "type": "object",
                "description": "At least one of content, done, gaps, newTasks (what the orchestrator hooks name).",
                "properties": {
                  "content": {"type": ["string", "null"]},
                  "done": {"type": ["boolean", "null"]},
                  "gaps": {},
                  "newTasks": {}
                },
                "anyOf": [
                  {"required": ["content"], "properties": {"content": {"not": {"type": "null"}}}},
                  {"required": ["done"], "properties": {"done": {"not": {"type": "null"}}}},
                  {"required": ["gaps"], "properties": {"gaps": {"not": {"type": "null"}}}},
                  {"required": ["newTasks"], "properties": {"newTasks": {"not": {"type": "null"}}}}
                ]
              }
            }
          },
          {
            "title": "thought",
            "required": ["data"],
            "properties": {
              "type": {"const": "thought"},
              "data": {
                "type": "object",
                "description": "content or text (at least one).",
                "properties": {"content": {"type": ["string", "null"]}, "text": {"type": ["string", "null"]}},
                "anyOf": [
                  {"required": ["content"], "properties": {"content": {"not": {"type": "null"}}}},
                  {"required": ["text"], "properties": {"text": {"not": {"type": "null"}}}}
                ]
              }
            }
          },
          {
            "title": "system.error",
            "required": ["data"],
            "properties": {
              "type": {"const": "system.error"},
              "data": {
                "type": "object",
                "required": ["errorType"],
                "properties": {
                  "errorType": {"type": "string"},
                  "status": {"type": ["string", "null"]},
                  "retryCount": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807},
                  "message": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "message.started",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "message.started"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  },
                  "role": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "enum": [
                      "developer",
                      "system",
                      "assistant",
                      "user",
                      null
                    ]
                  },
                  "name": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                }
              }
            }
          },
          {
            "title": "message.delta",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "message.delta"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId",
                  "delta"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  },
                  "delta": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "message.completed",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "message.completed"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "tool.call_started",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "tool.call_started"
              },
              "data": {
                "type": "object",
                "required": [
                  "toolCallId",
                  "toolCallName"
                ],
                "properties": {
                  "toolCallId": {
                    "type": "string"
                  },
                  "toolCallName": {
                    "type": "string"
                  },
                  "parentMessageId": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                }
              }
            }
          },
          {
            "title": "tool.call_args",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "tool.call_args"
              },
              "data": {
                "type": "object",
                "required": [
                  "toolCallId",
                  "delta"
                ],
                "properties": {
                  "toolCallId": {
                    "type": "string"
                  },
                  "delta": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "tool.call_completed",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "tool.call_completed"
              },
              "data": {
                "type": "object",
                "required": [
                  "toolCallId"
                ],
                "properties": {
                  "toolCallId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "tool.call_result",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "tool.call_result"
              },
              "data": {
                "type": "object",
                "required": [
                  "toolCallId",
                  "messageId",
                  "content"
                ],
                "properties": {
                  "toolCallId": {
                    "type": "string"
                  },
                  "messageId": {
                    "type": "string"
                  },
                  "content": {"type": ["string", "array"]},
                  "role": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "enum": [
                      "tool",
                      null
                    ]
                  }
                }
              }
            }
          },
          {
            "title": "state.snapshot",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "state.snapshot"
              },
              "data": {
                "type": "object",
                "required": [
                  "snapshot"
                ],
                "properties": {
                  "snapshot": {
                    "not": {
                      "type": "null"
                    }
                  }
                }
              }
            }
          },
          {
            "title": "state.delta",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "state.delta"
              },
              "data": {
                "type": "object",
                "required": [
                  "delta"
                ],
                "properties": {
                  "delta": {
                    "$ref": "#/components/schemas/JSONPatch"
                  }
                }
              }
            }
          },
          {
            "title": "reasoning.started",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "reasoning.started"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "reasoning.message_started",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "reasoning.message_started"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "reasoning.delta",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "reasoning.delta"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId",
                  "delta"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  },
                  "delta": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "reasoning.message_completed",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "reasoning.message_completed"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "reasoning.completed",
            "required": [
              "data"
            ],
            "properties": {
              "type": {
                "const": "reasoning.completed"
              },
              "data": {
                "type": "object",
                "required": [
                  "messageId"
                ],
                "properties": {
                  "messageId": {
                    "type": "string"
                  }
                }
              }
            }
          },
          {
            "title": "system.*",
            "properties": {
              "type": {"pattern": "^system\\.", "not": {"const": "system.error"}},
              "data": {
                "type": ["object", "null"],
                "properties": {
                  "errorType": {"type": ["string", "null"]},
                  "status": {"type": ["string", "null"]},
                  "retryCount": {"type": ["integer", "null"], "minimum": 0, "maximum": 9223372036854775807},
                  "message": {"type": ["string", "null"]}
                }
              }
            }
          },
          {
            "title": "custom",
            "properties": {
              "type": {
                "not": {
                  "anyOf": [
                    {
                      "enum": [
                        "action",
                        "agent.completed",
                        "agent.failed",
                        "agent.log",
                        "agent.started",
                        "decision",
                        "detail",
                        "milestone.phase_transition",
                        "milestone.turn_end",
                        "milestone.turn_start",
                        "reflection",
                        "run.cancelled",
                        "run.completed",
                        "run.failed",
                        "run.queued",
                        "run.started",
                        "state",
                        "step.completed",
                        "step.failed",
                        "step.progress",
                        "step.queued",
                        "step.started",
                        "task.completed",
                        "task.failed",
                        "task.started",
                        "task.status_changed",
                        "task.subtask_status_changed",
                        "task.subtask_unblocked",
                        "thought",
                        "message.completed",
                        "message.delta",
                        "message.started",
                        "reasoning.completed",
                        "reasoning.delta",
                        "reasoning.message_completed",
                        "reasoning.message_started",
                        "reasoning.started",
                        "state.delta",
                        "state.snapshot",
                        "tool.call_args",
                        "tool.call_completed",
                        "tool.call_result",
                        "tool.call_started"
                      ]
                    },
                    {"pattern": "^(run|task|step|agent|milestone|system|herald|message|tool|state|reasoning|ag_ui)\\."}
                  ]
                }
              }
            }
          }
        ]
      },
      "Event": {
        "type": "object",
        "description": "A stored event.",
        "required": ["id", "project", "run", "seq", "type", "level", "time", "data"],
        "properties": {
          "id": {"$ref": "#/components/schemas/Ulid"},
          "project": {"$ref": "#/components/schemas/RunName"},
          "run": {"$ref": "#/components/schemas/RunName"},
          "seq": {"type": "integer", "minimum": 1, "description": "1, 2, 3 … gapless per run, in commit order."},
          "type": {"$ref": "#/components/schemas/EventType"},
          "level": {"$ref": "#/components/schemas/Level"},
          "time": {"$ref": "#/components/schemas/Timestamp"},
          "agent": {"$ref": "#/components/schemas/AgentName"},
          "turn": {"type": "integer", "minimum": 0},
          "causedBy": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/components/schemas/Ulid"},
            "description": "Absent when empty."
          },
          "data": {"type": "object"}
        }
      },
      "IngestAnswer": {
        "type": "object",
        "required": ["accepted", "duplicates", "events"],
        "properties": {
          "accepted": {"type": "integer", "minimum": 0, "description": "Events newly stored."},
          "duplicates": {"type": "integer", "minimum": 0, "description": "Events whose id was already stored."},
          "events": {
            "type": "array",
            "description": "Where each event of the request is stored, in request order.",
            "items": {
              "type": "object",
              "required": ["id", "run", "seq"],
              "properties": {
                "id": {"$ref": "#/components/schemas/Ulid"},
                "run": {"$ref": "#/components/schemas/RunName"},
                "seq": {"type": "integer", "minimum": 1},
                "duplicate": {
                  "type": "boolean",
                  "const": true,
                  "description": "Present when the id was already stored; `seq` is the original one."
                },
                "index": {"type": "integer", "minimum": 0, "description": "Partial requests only: the event's index in the request."}
              }
            }
          },
          "rejected": {
            "type": "array",
            "description": "Partial requests only (`partial=true`): the refused events, in request order. Absent otherwise.",
            "items": {
              "type": "object",
              "required": ["index", "code", "message", "details"],
              "properties": {
                "index": {"type": "integer", "minimum": 0, "description": "The event's index in the request (its line in NDJSON)."},
                "code": {"type": "string", "description": "`validation_failed`, `forbidden`, `run_finished`, `id_conflict`, `seq_conflict` or `project_conflict`."},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
              }
            }
          }
        },
        "examples": [
          {
            "accepted": 2,
            "duplicates": 0,
            "events": [
              {"id": "01JD6Q3VQ9V7S8Y1X2W3Z4A5B6", "run": "demo-1", "seq": 7},
              {"id": "01JD6Q3VQ9V7S8Y1X2W3Z4A5B7", "run": "demo-1", "seq": 8}
            ]
          }
        ]
      },
      "Run": {
        "type": "object",
        "required": [
          "run",
          "project",
          "name",
          "status",
          "startedAt",
          "updatedAt",
          "finishedAt",
          "eventCount",
          "lastSeq",
          "agents",
          "subscribers"
        ],
        "properties": {
          "run": {"$ref": "#/components/schemas/RunName"},
          "project": {"$ref": "#/components/schemas/RunName"},
          "name": {
            "type": ["string", "null"],
            "description": "From the first `run.queued` or `run.started` that gives `data.name`."
          },
          "status": {"type": "string", "enum": ["queued", "running", "completed", "failed", "cancelled"]},
          "startedAt": {"$ref": "#/components/schemas/Timestamp"},
          "updatedAt": {"$ref": "#/components/schemas/Timestamp"},
          "finishedAt": {"anyOf": [{"$ref": "#/components/schemas/Timestamp"}, {"type": "null"}]},
          "eventCount": {"type": "integer", "minimum": 0, "description": "Events stored."},
          "lastSeq": {"type": "integer", "minimum": 0, "description": "The seq of the last event."},
          "firstSeq": {"type": "integer", "minimum": 1, "description": "The first seq still stored: 1 unless retention removed the run's oldest events."},
          "agents": {"type": "array", "items": {"type": "string"}, "description": "Agents seen, in order of first appearance."},
          "subscribers": {"type": "integer", "minimum": 0, "description": "Live run streams open on this server."}
        }
      },
      "RunList": {
        "type": "object",
        "required": ["runs", "nextCursor"],
        "properties": {
          "runs": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}},
          "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page."}
        }
      },
      "EventList": {
        "type": "object",
        "required": ["events", "total", "hasMore"],
        "properties": {
          "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
          "total": {"type": "integer", "minimum": 0, "description": "Events of the run matching the filter, ignoring paging."},
          "hasMore": {"type": "boolean"}
        }
      },
      "Causality": {
        "type": "object",
        "required": ["event", "upstream", "downstream", "dangling", "truncated"],
        "properties": {
          "event": {"$ref": "#/components/schemas/Event"},
          "upstream": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}, "description": "Causes, nearest first."},
          "downstream": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Event"},
            "description": "Effects, nearest first."
          },
          "dangling": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Ids named in a `causedBy` that are not stored in this run (at most 1,000).",
            "maxItems": 1000
          },
          "truncated": {"type": "boolean", "description": "True when `maxDepth` or a cap (1,000 events each way, 2 MiB of events, 5,000 ids looked up, 1,000 dangling ids) cut the walk or a list short."}
        }
      },
      "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
              "code": {
                "type": "string",
                "description": "Machine-readable: `invalid_json`, `invalid_request`, `invalid_parameter`, `not_found`, `run_not_found`, `event_not_found`, `run_finished`, `seq_conflict`, `project_conflict`, `id_conflict`, `payload_too_large`, `too_many_events`, `unsupported_media_type`, `validation_failed`, `too_many_connections`, `unavailable`, `internal_error`."
              },
              "message": {"type": "string", "description": "For people."},
              "details": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FieldError"},
                "description": "Absent when empty."
              }
            }
          }
        }
      },
      "FieldError": {
        "type": "object",
        "description": "One problem with one field of one event.",
        "required": ["field", "code", "message"],
        "properties": {
          "index": {
            "type": "integer",
            "minimum": 0,
            "description": "The event's index in the request (0-based); absent for request-level problems."
          },
          "field": {
            "type": "string",
            "description": "Dotted path of the field, e.g. `data.decisionType`, `causedBy[2]` or `body`."
          },
          "code": {
            "type": "string",
            "description": "`required`, `invalid_type`, `invalid_value`, `unknown_field`, `duplicate_field`, `too_long`, `unknown_type`, `conflict`, `finished`, `syntax`."
          },
          "message": {"type": "string"}
        }
      },
      "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "const": "ok"}}},
      "Readiness": {
        "type": "object",
        "description": "With authentication on, only `status`: the other figures concern every project (an admin key on `*` reads them at `/metrics`).",
        "required": ["status"],
        "properties": {
          "status": {"type": "string", "const": "ready"},
          "lastPosition": {
            "type": "integer",
            "minimum": 0,
            "description": "The store-wide position of the last committed event (0 when empty)."
          },
          "subscribers": {"type": "integer", "minimum": 0, "description": "Live streams open on this server."},
          "overflows": {
            "type": "integer",
            "minimum": 0,
            "description": "Times a slow subscriber fell behind its buffer and caught up from the store."
          }
        }
      },
      "RunStreamItem": {
        "type": "object",
        "description": "One event of a run stream: a stored event (its SSE id is its `seq`) or a `herald.gap` notice.",
        "required": ["event", "data"],
        "properties": {
          "event": {"type": "string"},
          "data": {"type": "string"},
          "id": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "The resume token to send back as `Last-Event-ID` or `after`."
          },
          "retry": {"type": "integer", "minimum": 0}
        },
        "anyOf": [
          {
            "title": "a stored event",
            "properties": {
              "event": {"$ref": "#/components/schemas/EventType"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/Event"}
              }
            },
            "required": ["id"]
          },
          {
            "title": "any frame with frames=message",
            "description": "No `event:` line (a client sees `message`); the JSON's `type` tells what it is.",
            "properties": {
              "event": {"const": "message"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [{"$ref": "#/components/schemas/Event"}, {"$ref": "#/components/schemas/StreamGap"}, {"$ref": "#/components/schemas/StreamConnected"}]}
              }
            }
          },
          {
            "title": "herald.gap",
            "properties": {
              "event": {"const": "herald.gap"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/StreamGap"}
              }
            },
            "required": ["id"]
          },
          {
            "title": "an AG-UI event (format=ag-ui)",
            "description": "No `event:` line (so a client sees `message`); `data` is an AG-UI 1.0 event. A made-up RUN_STARTED carries no id.",
            "properties": {
              "event": {"const": "message"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/AGUIEvent"}
              }
            }
          }
        ]
      },
      "AGUIEvent": {
        "type": "object",
        "description": "An AG-UI protocol 1.0 event (https://docs.ag-ui.com): `type` and `timestamp` (milliseconds), then the type's fields. docs/ag-ui.md has Herald's mapping.",
        "required": ["type", "timestamp"],
        "properties": {
          "type": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
          "timestamp": {"type": "integer", "minimum": 0}
        }
      },
      "ProjectStreamItem": {
        "type": "object",
        "description": "One event of a project stream: a stored event (its SSE id is its store-wide position), the opening `herald.connected`, or a `herald.gap` notice.",
        "required": ["event", "data"],
        "properties": {
          "event": {"type": "string"},
          "data": {"type": "string"},
          "id": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "The resume token to send back as `Last-Event-ID` or `after`."
          },
          "retry": {"type": "integer", "minimum": 0}
        },
        "anyOf": [
          {
            "title": "a stored event",
            "properties": {
              "event": {"$ref": "#/components/schemas/EventType"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/Event"}
              }
            },
            "required": ["id"]
          },
          {
            "title": "any frame with frames=message",
            "description": "No `event:` line (a client sees `message`); the JSON's `type` tells what it is.",
            "properties": {
              "event": {"const": "message"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [{"$ref": "#/components/schemas/Event"}, {"$ref": "#/components/schemas/StreamGap"}, {"$ref": "#/components/schemas/StreamConnected"}]}
              }
            }
          },
          {
            "title": "herald.gap",
            "properties": {
              "event": {"const": "herald.gap"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/StreamGap"}
              }
            },
            "required": ["id"]
          },
          {
            "title": "herald.connected",
            "properties": {
              "event": {"const": "herald.connected"},
              "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/StreamConnected"}
              }
            }
          }
        ]
      },
      "ProjectList": {
        "type": "object",
        "required": ["projects"],
        "properties": {
          "projects": {
            "type": "array",
            "items": {
              "type": "object",
              "required": ["project", "runs", "activeRuns", "updatedAt"],
              "properties": {
                "project": {"$ref": "#/components/schemas/RunName"},
                "runs": {"type": "integer", "minimum": 1, "description": "Runs stored in the project."},
                "activeRuns": {"type": "integer", "minimum": 0, "description": "Of them, queued or running."},
                "updatedAt": {"type": "string", "format": "date-time", "description": "The latest update of its runs."}
              }
            }
          }
        }
      },
      "StreamGap": {
        "type": "object",
        "description": "The resume point cannot be served: it is past the end of the stream (`ahead`), or the retention policy deleted the events after it (`retention`, run streams). The stream continues after `continuesAfter` (also the event's SSE id).",
        "required": ["type", "reason", "requested", "continuesAfter", "message"],
        "properties": {
          "type": {"const": "herald.gap"},
          "reason": {"enum": ["ahead", "retention"]},
          "requested": {"type": "integer", "minimum": 0, "description": "The resume point asked for."},
          "continuesAfter": {"type": "integer", "minimum": 0, "description": "Where the stream continues."},
          "message": {"type": "string"}
        }
      },
      "StreamConnected": {
        "type": "object",
        "description": "The first event of a project stream.",
        "required": ["type", "project", "activeRuns", "runs", "position"],
        "properties": {
          "type": {"const": "herald.connected"},
          "project": {"$ref": "#/components/schemas/RunName"},
          "activeRuns": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/RunName"},
            "description": "Runs of the project that are queued or running (at most 1,000)."
          },
          "runs": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Run"},
            "description": "The same runs with their name, status, agents and times, so a board labels them without a query per run."
          },
          "position": {"type": "integer", "minimum": 0, "description": "The store-wide position when the stream opened."}
        }
      }
    },
    "parameters": {
      "Run": {
        "name": "run",
        "in": "path",
        "description": "The run id.",
        "required": true,
        "schema": {"$ref": "#/components/schemas/RunName"}
      },
      "EventId": {
        "name": "id",
        "in": "path",
        "description": "The event id.",
        "required": true,
        "schema": {"$ref": "#/components/schemas/Ulid"}
      },
      "RunProject": {
        "name": "project",
        "in": "query",
        "description": "The project of the run: narrows the lookup to it, so a run of another project answers 404 `run_not_found` exactly like a missing one.",
        "allowEmptyValue": true,
        "schema": {"$ref": "#/components/schemas/RunName"}
      },
      "Project": {
        "name": "project",
        "in": "path",
        "description": "The project.",
        "required": true,
        "schema": {"$ref": "#/components/schemas/RunName"}
      },
      "Types": {
        "name": "types",
        "in": "query",
        "description": "Comma-separated types; `agent.*` matches a namespace and `*` every type. At most 100 patterns (400 `invalid_parameter` past it).",
        "allowEmptyValue": true,
        "schema": {
          "type": "array",
          "maxItems": 100,
          "items": {
            "anyOf": [
              {"$ref": "#/components/schemas/EventType"},
              {"type": "string", "const": "*"},
              {"type": "string", "maxLength": 130, "pattern": "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*\\.\\*$"}
            ]
          }
        },
        "style": "form",
        "explode": false,
        "example": ["run.*", "agent.log"]
      },
      "Agents": {
        "name": "agents",
        "in": "query",
        "description": "Comma-separated agent ids: only events of these agents. At most 100 (400 `invalid_parameter` past it).",
        "allowEmptyValue": true,
        "schema": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^,]+$"}},
        "style": "form",
        "explode": false,
        "example": ["planner", "worker-1"]
      },
      "Level": {
        "name": "level",
        "in": "query",
        "description": "Verbosity (`milestone` < `decision` < `action` < `state` < `detail`): events of this level and every coarser one; `system` events always pass.",
        "allowEmptyValue": true,
        "schema": {"$ref": "#/components/schemas/Level"}
      },
      "TurnFrom": {
        "name": "turnFrom",
        "in": "query",
        "description": "Only events with a `turn` of at least this (events without a turn are left out).",
        "allowEmptyValue": true,
        "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}
      },
      "TurnTo": {
        "name": "turnTo",
        "in": "query",
        "description": "Only events with a `turn` of at most this (events without a turn are left out).",
        "allowEmptyValue": true,
        "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}
      },
      "Since": {
        "name": "since",
        "in": "query",
        "description": "Only events at or after this time (RFC 3339).",
        "allowEmptyValue": true,
        "schema": {"type": "string", "format": "date-time"}
      },
      "Until": {
        "name": "until",
        "in": "query",
        "description": "Only events before this time (RFC 3339).",
        "allowEmptyValue": true,
        "schema": {"type": "string", "format": "date-time"}
      },
      "Limit": {
        "name": "limit",
        "in": "query",
        "description": "Page size; values above the server's maximum (default 1000, `maxPageSize`) count as that maximum.",
        "allowEmptyValue": true,
        "schema": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807, "default": 100}
      },
      "LastEventID": {
        "name": "Last-Event-ID",
        "in": "header",
        "description": "Resume after this SSE id, an integer ≥ 0 (what EventSource sends on reconnect). Takes precedence over `after`, even when empty; an empty value means no resume point.",
        "schema": {"type": "string", "pattern": "^(\\+?[0-9]{1,18})?$"}
      },
      "StreamAfter": {
        "name": "after",
        "in": "query",
        "description": "Resume after this SSE id, for clients that cannot set `Last-Event-ID`.",
        "allowEmptyValue": true,
        "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807}
      },
      "From": {
        "name": "from",
        "in": "query",
        "description": "Where to start without a resume point: `start` replays from the first event, `now` sends only what comes next.",
        "allowEmptyValue": true,
        "schema": {"type": "string", "enum": ["start", "now"], "default": "start"}
      },
      "Frames": {
        "name": "frames",
        "in": "query",
        "description": "`named` (the default): each frame's `event:` line names its type, so a browser's EventSource delivers it to `addEventListener(type)` and never to `onmessage`. `message`: no `event:` line, so every frame reaches `onmessage`; the JSON carries the type either way (`herald.connected` and `herald.gap` too, as `type`).",
        "allowEmptyValue": true,
        "schema": {"type": "string", "enum": ["named", "message"], "default": "named"}
      }
    },
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`hk_…`, from `herald keys create`) or, when the server is configured for them, a JWT whose claims name `projects` (or `project`) and a `role`. Authentication is on once a key exists or a JWT key is configured; without either, Herald serves only loopback and needs no credential."
      },
      "accessToken": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": "The same credential, for EventSource (which cannot set headers): accepted on the GET stream endpoints only, never logged."
      }
    },
    "responses": {
      "Unauthorized": {
        "description": "Authentication is on and the request carries no credential (`unauthorized`), or an unknown, revoked, expired or malformed one (`invalid_token`).",
        "headers": {
          "WWW-Authenticate": {"description": "`Bearer realm=\"herald\"`, with `error=\"invalid_token\"` for a refused credential.", "required": true, "schema": {"type": "string"}}
        },
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "unauthorized", "message": "this server requires an API key: send Authorization: Bearer <key>"}}
          }
        }
      },
      "Forbidden": {
        "description": "The credential's role does not allow this (a read key publishing, `/metrics` without an admin key), or an event is for a project the credential does not cover (`forbidden`).",
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "forbidden", "message": "this read key may not publish events; that needs a publish key"}}
          }
        }
      },
      "RateLimited": {
        "description": "The caller publishes more events per second than `--rate-limit` allows (`rate_limited`); retry after `Retry-After` seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "rate_limited", "message": "this caller publishes more than 100 events/s; retry after the Retry-After delay"}}
          }
        }
      },
      "InvalidParameter": {
        "description": "A query parameter or header is malformed, the route does not take a query parameter given (`invalid_parameter`, naming it), or the query string is longer than 8,192 bytes.",
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "invalid_parameter", "message": "limit must be between 1 and 1000"}}
          }
        }
      },
      "RunNotFound": {
        "description": "The run has no event, or its id is not a valid run id (`run_not_found`).",
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "run_not_found", "message": "run demo-1 not found"}}
          }
        }
      },
      "EventNotFound": {
        "description": "The run has no event (`run_not_found`), or the run has no event with this id or the id is not a ULID (`event_not_found`).",
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {
              "error": {"code": "event_not_found", "message": "event 01JD0000000000000000000000 not found in run demo-1"}
            }
          }
        }
      },
      "TooManyQueries": {
        "description": "This caller already has its maximum of queries in progress (`--max-queries-per-client`, default 8; `too_many_queries`): read the answers of those first; retry after `Retry-After` seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {
              "error": {"code": "too_many_queries", "message": "this caller already has 8 queries in progress (limit 8); read their answers first"}
            }
          }
        }
      },
      "TooManyConnections": {
        "description": "This caller (API key, token subject, or address when authentication is off) already holds its maximum of live streams (default 100; `too_many_connections`); retry after `Retry-After` seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "required": true, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {
              "error": {"code": "too_many_connections", "message": "this caller already holds 100 live streams (limit 100)"}
            }
          }
        }
      },
      "Unavailable": {
        "description": "The store does not answer (`unavailable`); retry later.",
        "content": {
          "application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"error": {"code": "unavailable", "message": "the store could not be read"}}
          }
        }
      },
      "RunEventStream": {
        "description": "Server-Sent Events. As in OpenAPI 3.2's `itemSchema`, the schema describes one event as a client parses it (`event`, `data`, `id`, `retry`), with `data` decoded as JSON.  The stream opens with a `retry:` hint, then sends each matching event as `id: <resume token>`, `event: <type>`, `data: <event JSON>` (an `Event`, on one line). Comment lines (`:heartbeat`) keep idle connections open. A resume point past the end, or one whose events the retention policy deleted, is answered in-band with a `herald.gap` event (`{\"reason\": \"ahead\" or \"retention\", \"requested\", \"continuesAfter\", \"message\"}`) whose id is where the stream continues. The server closes a stream at an event boundary when its lifetime cap passes (default 1 hour) or when it shuts down; reconnecting with `Last-Event-ID` resumes with no gap and no duplicate.",
        "headers": {
          "Cache-Control": {
            "description": "Always `no-cache`.",
            "required": true,
            "schema": {"type": "string", "const": "no-cache"}
          },
          "X-Accel-Buffering": {
            "description": "Always `no`, so proxies such as nginx do not buffer the stream.",
            "required": true,
            "schema": {"type": "string", "const": "no"}
          }
        },
        "content": {
          "text/event-stream": {
            "schema": {"$ref": "#/components/schemas/RunStreamItem"},
            "example": "retry: 2000\n\nid: 1\nevent: run.started\ndata: {\"id\":\"01JD6Q3VQ9V7S8Y1X2W3Z4A5B6\",\"project\":\"default\",\"run\":\"demo-1\",\"seq\":1,\"type\":\"run.started\",\"level\":\"milestone\",\"time\":\"2026-01-02T03:04:05.000006Z\",\"data\":{\"name\":\"Nightly QA\"}}\n\n:heartbeat\n\n"
          }
        }
      },
      "ProjectEventStream": {
        "description": "Server-Sent Events. As in OpenAPI 3.2's `itemSchema`, the schema describes one event as a client parses it (`event`, `data`, `id`, `retry`), with `data` decoded as JSON.  The stream opens with a `retry:` hint, then sends each matching event as `id: <resume token>`, `event: <type>`, `data: <event JSON>` (an `Event`, on one line). Comment lines (`:heartbeat`) keep idle connections open. A resume point past the end, or one whose events the retention policy deleted, is answered in-band with a `herald.gap` event (`{\"reason\": \"ahead\" or \"retention\", \"requested\", \"continuesAfter\", \"message\"}`) whose id is where the stream continues. The server closes a stream at an event boundary when its lifetime cap passes (default 1 hour) or when it shuts down; reconnecting with `Last-Event-ID` resumes with no gap and no duplicate.",
        "headers": {
          "Cache-Control": {
            "description": "Always `no-cache`.",
            "required": true,
            "schema": {"type": "string", "const": "no-cache"}
          },
          "X-Accel-Buffering": {
            "description": "Always `no`, so proxies such as nginx do not buffer the stream.",
            "required": true,
            "schema": {"type": "string", "const": "no"}
          }
        },
        "content": {
          "text/event-stream": {
            "schema": {"$ref": "#/components/schemas/ProjectStreamItem"},
            "example": "retry: 2000\n\nevent: herald.connected\ndata: {\"project\":\"default\",\"activeRuns\":[\"demo-1\"],\"position\":41}\n\n:heartbeat\n\n"
          }
        }
      }
    }
  }
}
"""#
}
