#!/usr/bin/env bash
# Installs the moto S3 server (the S3 leg of the store conformance suite) into a virtualenv.
# Idempotent: does nothing when DIR already has a working moto. Needs python3 and PyPI.
# Usage: ci/moto-venv.sh [DIR]   (default: target/moto-venv under the workspace root)
# Prints the path of the virtualenv's python (which imports moto) on its last line; the S3 leg
# runs moto's application with it (stores/src/moto_serve.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/target/moto-venv}"
# moto 5 answers If-None-Match and If-Match on PutObject; pinned so CI sees one behaviour.
moto_version="5.1.18"
python="$dir/bin/python"
stamp="$dir/.moto-$moto_version"
# Test binaries and threads may call this at once: one installs, the others wait.
mkdir -p "$(dirname "$dir")"
if command -v flock >/dev/null; then
    exec 9>"$dir.lock"
    flock 9
fi
if [[ -x "$python" && -f "$stamp" ]]; then
    echo "$python"
    exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
"$dir/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" >&2
"$python" -c "import moto.moto_server.werkzeug_app, werkzeug.serving"
touch "$stamp"
echo "$python"
