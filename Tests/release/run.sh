#!/usr/bin/env bash
# Release check (issue 19): builds the release tarball once (scripts/release.sh), unpacks it into
# an empty folder outside the clone, verifies its SHA-256, and runs that binary alone as a user
# would: every served file, the OpenAPI document, /healthz's version, a demo run streamed to its
# end, and the libraries it links. Then `systemd-analyze verify` on packaging/herald.service.
#
#   bash Tests/release/run.sh [--scratch-path DIR]   (or HERALD_RELEASE_SCRATCH; default .build)
#   HERALD_RELEASE_TARBALL=dist/herald-….tar.gz bash Tests/release/run.sh   (checks a tarball built before)
#
# Exits non-zero on the first failed check.
set -euo pipefail
name="release check"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

scratch="${HERALD_RELEASE_SCRATCH:-.build}"
while [ $# -gt 0 ]; do
    case "$1" in
        --scratch-path) scratch="$2"; shift 2 ;;
        *) echo "$name: unknown argument $1" >&2; exit 2 ;;
    esac
done
fail() { echo "$name: FAIL: $*" >&2; exit 1; }

# ---- Build (once) -----------------------------------------------------------------------------
tarball="${HERALD_RELEASE_TARBALL:-}"
if [ -z "$tarball" ]; then
    bash scripts/release.sh --scratch-path "$scratch" || fail "scripts/release.sh failed"
    tarball="$(ls -t dist/herald-*-linux-"$(uname -m)".tar.gz | head -1)"
fi
[ -f "$tarball" ] && [ -f "$tarball.sha256" ] || fail "no $tarball and $tarball.sha256"
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"
version="$(sed -n -E 's/^    public static let version = "([^"]+)"$/\1/p' Sources/HeraldServer/BuildInfo.swift)"
case "$(basename "$tarball")" in herald-"$version"-linux-*) ;; *) fail "$(basename "$tarball") is not version $version" ;; esac

# ---- Unpack outside the clone -----------------------------------------------------------------
work="$(mktemp -d /tmp/herald-release-check.XXXXXX)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/download" "$work/install"
cp "$tarball" "$tarball.sha256" "$work/download/"
(cd "$work/download" && sha256sum --check --quiet "$(basename "$tarball").sha256") || fail "the SHA-256 does not match"
tar -xzf "$tarball" -C "$work/install"
contents="$(cd "$work/install" && ls -A | sort | tr '\n' ' ')"
[ "$contents" = "INSTALL.md LICENSE README.md herald herald.service " ] || fail "the tarball holds: $contents"
echo "$name: unpacked $(basename "$tarball") into $work/install: $contents"
# Tests/lib.sh's helpers (start_herald, install_debian_packages), on the unpacked binary.
HERALD_BIN="$work/install/herald"
source "$root/Tests/lib.sh"

# ---- What the binary links --------------------------------------------------------------------
# glibc's libraries, the C++ runtime the Swift runtime uses, and zlib (HTTP compression); SQLite
# and the Swift runtime are linked in.
libraries="$(ldd "$work/install/herald")"
echo "$libraries" | sed 's/^[[:space:]]*/    /'
unexpected="$(echo "$libraries" | awk '{print $1}' | grep -v -E '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|lib(c|m|dl|pthread|rt|util|stdc\+\+|gcc_s|z)\.so\.[0-9]+)$' || true)"
[ -z "$unexpected" ] || fail "herald links unexpected libraries: $unexpected"
if echo "$libraries" | grep -q "not found"; then fail "a library herald needs is missing"; fi

# ---- The binary alone, run from its folder ----------------------------------------------------
cd "$work/install"
./herald --version | grep -q "$version" || fail "herald --version does not say $version"
start_herald "$work/data"
echo "$name: herald serve listens at $url"

# Each file answers 200 with its content type, no-cache and nosniff, and exactly the source's bytes.
check_file() {
    local path="$1" type="$2" source="$3" headers
    headers="$(curl -sS -o "$work/body" -D - "$url$path" | tr -d '\r')" || fail "GET $path"
    echo "$headers" | head -1 | grep -q " 200" || fail "GET $path: $(echo "$headers" | head -1)"
    echo "$headers" | grep -qi "^content-type: $type" || fail "GET $path: not $type: $(echo "$headers" | grep -i '^content-type')"
    echo "$headers" | grep -qi "^cache-control: no-cache" || fail "GET $path: no Cache-Control: no-cache"
    echo "$headers" | grep -qi "^x-content-type-options: nosniff" || fail "GET $path: no X-Content-Type-Options: nosniff"
    cmp -s "$work/body" "$root/$source" || fail "GET $path differs from $source"
    echo "$name: GET $path: 200 $type"
}
type_of() {
    case "$1" in
        *.html) echo "text/html" ;; *.js) echo "text/javascript" ;; *.css) echo "text/css" ;;
        *.svg) echo "image/svg+xml" ;; *.d.ts) echo "text/plain" ;; *) fail "no content type known for $1" ;;
    esac
}
check_file / text/html Sources/HeraldServer/Dashboard/index.html
for file in "$root"/Sources/HeraldServer/Dashboard/*; do
    check_file "/ui/$(basename "$file")" "$(type_of "$file")" "Sources/HeraldServer/Dashboard/$(basename "$file")"
done
check_file /sdk/herald.js text/javascript Sources/HeraldServer/SDK/herald.js
check_file /sdk/herald.d.ts text/plain Sources/HeraldServer/SDK/herald.d.ts
check_file /favicon.ico image/svg+xml Sources/HeraldServer/Dashboard/favicon.svg

curl -sSf "$url/openapi.json" -o "$work/openapi.json" || fail "GET /openapi.json"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$work/openapi.json" "$root/Sources/HeraldServer/openapi.json" || fail "/openapi.json is not Sources/HeraldServer/openapi.json"
echo "$name: GET /openapi.json: the source file"

health="$(curl -sSf "$url/healthz")" || fail "GET /healthz"
python3 -c '
import json, sys
health = json.loads(sys.argv[1])
sys.exit(health.get("status") != "ok" or health.get("version") != sys.argv[2] or health.get("commit") in (None, "unknown"))
' "$health" "$version" || fail "/healthz does not show version $version and a commit: $health"
echo "$name: GET /healthz: $health"

# A demo run, streamed from its start to its end: the stream ends by itself when the run does.
run="release-check"
./herald demo --server "$url" --run "$run" --pace 0.05 > "$work/demo.log" 2>&1 &
demo=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "$url/v1/runs/$run" && break
    sleep 0.1
done
curl -sSN --max-time 120 "$url/v1/runs/$run/stream" > "$work/stream.txt" || fail "the stream of $run did not end (curl: $?)"
wait "$demo" || { cat "$work/demo.log" >&2; fail "herald demo failed"; }
grep -q "^event: run.completed" "$work/stream.txt" || fail "the stream of $run has no run.completed"
echo "$name: herald demo: $(grep -c '^event: ' "$work/stream.txt") events streamed, ending with run.completed"

kill "$server"
wait "$server" || fail "herald serve did not exit cleanly on SIGTERM"
server=""
cd "$root"

# ---- The systemd unit -------------------------------------------------------------------------
# Offline verification needs no running systemd; it checks the binary exists, so ExecStart points
# at the unpacked one. Unknown keys and bad values are only warnings: any output fails.
install_debian_packages systemd
mkdir "$work/unit"
sed "s#^ExecStart=/usr/local/bin/herald #ExecStart=$work/install/herald #" packaging/herald.service > "$work/unit/herald.service"
grep -q "^ExecStart=$work/install/herald " "$work/unit/herald.service" || fail "packaging/herald.service has no ExecStart=/usr/local/bin/herald"
verify="$(systemd-analyze verify "$work/unit/herald.service" 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
echo "$name: systemd-analyze verify packaging/herald.service: clean"

echo "$name: all checks passed"
