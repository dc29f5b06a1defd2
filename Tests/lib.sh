# Shell helpers shared by the test scripts that drive a herald binary (Tests/agui, Tests/fuzz).
# Source it after setting `name` (used in messages); it sets `herald` from HERALD_BIN.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
herald="${HERALD_BIN:-$root/.build/debug/herald}"
[ -x "$herald" ] || { echo "$name: no herald binary at $herald" >&2; exit 1; }
herald="$(cd "$(dirname "$herald")" && pwd)/$(basename "$herald")"  # the suites cd elsewhere

# Installs the Debian packages given that are missing (CI machines start bare).
install_debian_packages() {
    local sudo="" need=() pkg
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
    if [ ${#need[@]} -gt 0 ]; then
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
}

# Makes (or reuses) a virtualenv at $1 where the Python expression $2 runs, installing the pip
# requirements that follow.
ensure_venv() {
    local venv="$1" probe="$2"
    shift 2
    if ! "$venv/bin/python" -c "$probe" >/dev/null 2>&1; then
        echo "$name: creating $venv with $*"
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
    fi
}

# Installs clients/python into the virtualenv at $1 as a user would (not editable), every time: it
# is what is under test; then checks that `import herald` finds the installed package, not the tree.
install_python_client() {
    "$1/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$root/clients/python"
    (cd / && "$1/bin/python" -c 'import herald; assert "site-packages" in herald.__file__, herald.__file__')
}

# Starts `herald serve --port 0 --data $1 <more options>` in the background, logging to $1.log;
# sets `server` (its pid) and `url` once it listens.
start_herald() {
    local data="$1"
    shift
    "$herald" serve --port 0 --data "$data" --log-level info "$@" > "$data.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "listening on" "$data.log" && break; sleep 0.1; done
    local port
    port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$data.log" | head -1)"
    [ -n "$port" ] || { echo "$name: the server did not start" >&2; cat "$data.log" >&2; exit 1; }
    url="http://127.0.0.1:$port"
}
