#!/usr/bin/env bash
# The Go client (clients/go) and its examples (Examples/go), against a herald binary: the tests
# start the binary themselves on random loopback ports. Standard library only, Debian's Go
# (golang-go, 1.19 or later); the build cache lives under ~/.cache/herald-ci/go so CI reuses it.
#
#   HERALD_BIN=/path/to/herald bash Tests/go/run.sh [go test arguments]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="go client test"
source "$here/../lib.sh"

install_debian_packages golang-go
export GOCACHE="${GOCACHE:-$HOME/.cache/herald-ci/go/build}"
export GOPATH="${GOPATH:-$HOME/.cache/herald-ci/go/path}"
export GOTOOLCHAIN=local   # never download another Go: the module must build with Debian's
export HERALD_BIN="$herald"
mkdir -p "$GOCACHE" "$GOPATH"
go version

for module in "$root/clients/go" "$root/Examples/go"; do
    cd "$module"
    unformatted="$(gofmt -l .)"
    [ -z "$unformatted" ] || { echo "$name: not gofmt'd in $module:" >&2; echo "$unformatted" >&2; exit 1; }
    go vet ./...
    go build ./...
    go test -count=1 "$@" ./...
done
