package herald

import "strings"

// Level is an event's verbosity level (R-verbosity): milestone < decision < action < state <
// detail, and system, which every verbosity lets through.
type Level string

// The levels, coarsest first.
const (
	LevelMilestone Level = "milestone"
	LevelDecision  Level = "decision"
	LevelAction    Level = "action"
	LevelState     Level = "state"
	LevelDetail    Level = "detail"
	LevelSystem    Level = "system"
)

// rank orders the levels; system passes every verbosity, an unknown level counts as milestone
// (the server refuses it with its own message).
func (l Level) rank() int {
	switch l {
	case LevelSystem:
		return -1
	case LevelMilestone:
		return 0
	case LevelDecision:
		return 1
	case LevelAction:
		return 2
	case LevelState:
		return 3
	case LevelDetail:
		return 4
	}
	return 0
}

// defaultLevel is the level the server gives a type when the producer names none.
func defaultLevel(eventType string) Level {
	if level, ok := DefaultLevels[eventType]; ok {
		return level
	}
	if strings.HasPrefix(eventType, "system.") {
		return LevelSystem
	}
	return LevelAction
}
