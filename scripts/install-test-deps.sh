#!/usr/bin/env bash
# Install what the test suite needs: the DNS software of the end-to-end
# environment (tests/e2e) and Graphviz from apt, and the package with its
# `test` extra (DNSViz included).
#
# Idempotent and quick when everything is present.  Targets Debian 12 (also
# works on Ubuntu); run as root or with sudo available.  It never starts a
# service: the tests run their own nsd/unbound processes on 127.53.x.x.
#
# Environment: PYTHON (default python3) selects the interpreter for pip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
# graphviz: `dot` renders --graph drawings; libgraphviz-dev and a compiler build
# pygraphviz, which DNSViz's grok needs (test extra).
APT_PACKAGES=(unbound nsd bind9utils ldnsutils bind9-dnsutils postfix graphviz libgraphviz-dev gcc)
REQUIRED_BINARIES=(unbound nsd dnssec-signzone dnssec-keygen dnssec-dsfromkey ldns-signzone dig delv
    posttls-finger unshare dot gcc)
export PATH="$PATH:/usr/sbin:/sbin"

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*"
        exit 1
    fi
}

missing=()
for bin in "${REQUIRED_BINARIES[@]}"; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done

need_pip=0
"$PYTHON" -m pip --version >/dev/null 2>&1 || need_pip=1

if [ "${#missing[@]}" -gt 0 ] || [ "$need_pip" -eq 1 ]; then
    packages=()
    [ "${#missing[@]}" -gt 0 ] && packages+=("${APT_PACKAGES[@]}")
    [ "$need_pip" -eq 1 ] && packages+=(python3-pip)
    [ "${#missing[@]}" -gt 0 ] && log "missing: ${missing[*]}"
    log "installing with apt: ${packages[*]}"

    # Keep maintainer scripts from starting the packaged daemons (their
    # default configurations may listen on port 53 of every address).
    policy=/usr/sbin/policy-rc.d
    placed_policy=0
    if [ ! -e "$policy" ]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        placed_policy=1
    fi
    cleanup_policy() {
        if [ "$placed_policy" -eq 1 ]; then as_root rm -f "$policy"; fi
    }
    trap cleanup_policy EXIT

    # postfix (for posttls-finger, the DANE peer) asks which mail setup to
    # configure: none; the tests give it a main.cf of their own.
    echo "postfix postfix/main_mailer_type select No configuration" \
        | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${packages[@]}"

    cleanup_policy
    placed_policy=0
    trap - EXIT

    still=()
    for bin in "${REQUIRED_BINARIES[@]}"; do
        command -v "$bin" >/dev/null 2>&1 || still+=("$bin")
    done
    if [ "${#still[@]}" -gt 0 ]; then
        log "still missing after apt-get install: ${still[*]}"
        exit 1
    fi
else
    log "DNS tools present"
fi

# A packaged daemon listening on 0.0.0.0:53 would block the test servers.
if command -v ss >/dev/null 2>&1; then
    if ss -Hlnu 2>/dev/null | awk '{print $4}' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):53$'; then
        log "warning: something listens on port 53 of every address" \
            "(e.g. a packaged nsd/unbound/named service); the e2e tests need" \
            "127.53.0.0/16 port 53 free: stop that service"
    fi
fi

# Python side: the package in editable mode with its test extra.
if [ ! -f pyproject.toml ]; then
    log "no pyproject.toml yet; skipping pip install"
    exit 0
fi

pip_args=(install -e '.[test]')
# Debian's system interpreter is "externally managed" (PEP 668); outside a
# virtual environment pip refuses to install unless told otherwise.
if "$PYTHON" - <<'EOF'
import sys, sysconfig, pathlib
in_venv = sys.prefix != sys.base_prefix
marker = pathlib.Path(sysconfig.get_path("stdlib")) / "EXTERNALLY-MANAGED"
sys.exit(0 if (not in_venv and marker.exists()) else 1)
EOF
then
    pip_args+=(--break-system-packages)
fi

stamp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/dnssec_lite"
stamp="$stamp_dir/install-test-deps.stamp"
fingerprint="$("$PYTHON" -c 'import sys; print(sys.executable)') $(pwd) $(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] \
    && (cd / && "$PYTHON" -c 'import dnssec_lite, pytest') >/dev/null 2>&1; then
    log "python test dependencies up to date"
    exit 0
fi

log "$PYTHON -m pip ${pip_args[*]}"
"$PYTHON" -m pip "${pip_args[@]}"
mkdir -p "$stamp_dir"
printf '%s\n' "$fingerprint" >"$stamp"
log "done"
