// Command cmd writes the Go client's typed helpers from the server's vocabulary on stdin:
//
//	herald vocabulary --json | go run ./internal/vocabgen/cmd > vocabulary.go
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/herald/herald/clients/go/internal/vocabgen"
)

func main() {
	vocabulary, err := io.ReadAll(os.Stdin)
	if err == nil {
		var source []byte
		if source, err = vocabgen.Generate(vocabulary); err == nil {
			_, err = os.Stdout.Write(source)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vocabgen:", err)
		os.Exit(1)
	}
}
