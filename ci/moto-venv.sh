#!/usr/bin/env bash
# Installs the moto S3 server (the S3 leg of the store conformance suite) into a virtualenv.
# Idempotent: does nothing when DIR already has a working moto_server. Needs python3 and PyPI.
# Usage: ci/moto-venv.sh [DIR]   (default: target/moto-venv under the workspace root)
# Prints the path of the moto_server executable on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/target/moto-venv}"
# moto 5 answers If-None-Match and If-Match on PutObject; pinned so CI sees one behaviour.
moto_version="5.1.18"
server="$dir/bin/moto_server"
stamp="$dir/.moto-$moto_version"
# Test binaries and threads may call this at once: one installs, the others wait.
mkdir -p "$(dirname "$dir")"
if command -v flock >/dev/null; then
    exec 9>"$dir.lock"
    flock 9
fi
if [[ -x "$server" && -f "$stamp" ]]; then
    echo "$server"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" >&2
"$server" --help >/dev/null
touch "$stamp"
echo "$server"
