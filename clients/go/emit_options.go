package herald

// EmitOption sets one of an event's own fields for one Emit (or typed helper) call.
type EmitOption func(*eventFields)

// eventFields are the fields of one event besides its type and data.
type eventFields struct {
	run, agent, project, id string
	level                   Level
	turn                    int
	hasTurn                 bool
	causedBy                []string
	extra                   map[string]interface{}
}

// WithRun names the event's run instead of the emitter's default.
func WithRun(run string) EmitOption { return func(f *eventFields) { f.run = run } }

// WithAgent names the event's agent instead of the emitter's default.
func WithAgent(agent string) EmitOption { return func(f *eventFields) { f.agent = agent } }

// WithProject names the event's project instead of the emitter's default.
func WithProject(project string) EmitOption { return func(f *eventFields) { f.project = project } }

// WithTurn sets the event's turn number (≥ 0).
func WithTurn(turn int) EmitOption {
	return func(f *eventFields) { f.turn, f.hasTurn = turn, true }
}

// WithLevel sets the event's level instead of its type's default; the emitter's verbosity
// compares against it.
func WithLevel(level Level) EmitOption { return func(f *eventFields) { f.level = level } }

// CausedBy links the event to earlier events of its run, by the ids earlier calls returned. An
// empty id (a cause that was filtered or dropped) is left out.
func CausedBy(ids ...string) EmitOption {
	return func(f *eventFields) {
		for _, id := range ids {
			if id != "" {
				f.causedBy = append(f.causedBy, id)
			}
		}
	}
}

// WithID gives the event its id instead of a fresh ULID: an idempotency key, so an event
// emitted twice with the same id is stored once.
func WithID(id string) EmitOption { return func(f *eventFields) { f.id = id } }

// WithExtra adds data fields to a typed helper's payload (or to Emit's, which must then encode
// to a JSON object). The helper's own fields win over extra fields of the same name.
func WithExtra(fields map[string]interface{}) EmitOption {
	return func(f *eventFields) { f.extra = fields }
}

// Ptr returns a pointer to v: for the optional numeric and boolean fields of the typed helpers'
// data, where zero is a value and nil means "not given" (herald.Ptr(false)).
func Ptr[T any](v T) *T { return &v }
