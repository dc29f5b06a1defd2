package herald

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/herald/herald/clients/go/internal/vocabgen"
)

func serverVocabulary(t *testing.T) []byte {
	t.Helper()
	return []byte(runHerald(t, "vocabulary", "--json"))
}

func TestVocabularyHelpersAreGeneratedFromThisServersVocabulary(t *testing.T) {
	fresh, err := vocabgen.Generate(serverVocabulary(t))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("vocabulary.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, fresh) {
		t.Fatal("clients/go/vocabulary.go is stale: run\n" +
			"  herald vocabulary --json | go run ./internal/vocabgen/cmd > vocabulary.go   (in clients/go)")
	}
}

func TestEveryBuiltInTypeHasAHelperWithItsFields(t *testing.T) {
	var vocabulary vocabgen.Vocabulary
	if err := json.Unmarshal(serverVocabulary(t), &vocabulary); err != nil {
		t.Fatal(err)
	}
	emitter := reflect.TypeOf(&Emitter{})
	for _, rule := range vocabulary.Types {
		name := vocabgen.GoName(strings.ReplaceAll(rule.Type, ".", "_"))
		if _, ok := emitter.MethodByName(name); !ok {
			t.Errorf("no helper %s for %s", name, rule.Type)
		}
		if DefaultLevels[rule.Type] != Level(rule.Level) || TerminalTypes[rule.Type] != rule.Terminal {
			t.Errorf("%s: level or end differ from the server's", rule.Type)
		}
	}
}
