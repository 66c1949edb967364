# Shared by the CLI test scripts: a scratch folder removed on exit, plain progress output, and
# `check "what" expected_status actual_status [log file] [text the log must contain]`, which
# counts failures in $failures. `finish NAME` reports and sets the exit status.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GANVAS_PROGRESS=0
failures=0
check() {
    local what=$1 want=$2 got=$3 log=${4:-} text=${5:-}
    if [[ "$got" != "$want" ]]; then
        echo "FAIL: $what: exit $got, expected $want"; [[ -n "$log" ]] && tail -5 "$log"
        failures=$((failures + 1)); return
    fi
    if [[ -n "$text" ]] && ! grep -q -- "$text" "$log"; then
        echo "FAIL: $what: output lacks '$text'"; tail -5 "$log"; failures=$((failures + 1)); return
    fi
    echo "ok: $what"
}
# `interrupt_training SIGNAL RUN LOG TRAIN_ARGS...`: starts a long `ganvas train --out RUN`, sends
# SIGNAL once losses.csv has 3 rows, and returns the run's exit status (needs $ganvas).
interrupt_training() {
    local signal=$1 run=$2 log=$3
    shift 3
    "$ganvas" train --out "$run" --steps 100000 --log-every 1 --checkpoint-every 100000 "$@" > "$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do [[ $(cat "$run/losses.csv" 2>/dev/null | wc -l) -ge 4 ]] && break; sleep 0.1; done
    kill "-$signal" $pid
    wait $pid
}
# `start_server LOG ARGS...`: `ganvas serve --port 0 --threads 1 ARGS...` in the background (needs
# $ganvas); sets $pid, and $url once /healthz answers; a failure (counted) when it does not come up.
start_server() {
    local log=$1
    shift
    "$ganvas" serve --port 0 --threads 1 "$@" > "$log" 2>&1 &
    pid=$!
    url=""
    for _ in $(seq 1 600); do
        url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$log" | head -1)
        [[ -n "$url" ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' "${url}healthz") == 200 ]] && return 0
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: server did not come up"; cat "$log"; failures=$((failures + 1)); return 1
}
finish() {
    if [[ $failures -gt 0 ]]; then echo "$1: $failures check(s) failed"; exit 1; fi
    echo "$1: all checks passed"
}
