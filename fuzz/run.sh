#!/usr/bin/env bash
# Runs every fuzz target for SECONDS on its corpus (seeded by fuzz_seeds on first use); a crash,
# a leak, a sanitizer report or a time-out fails the run and leaves the input under
# BUILD/artifacts/<target>/.
#   fuzz/run.sh BUILD SECONDS [TARGET...]
# FUZZ_TIMEOUT (default 30 s) is the time one input may take before it counts as a hang; raise it
# when the machine is busy with other work.
set -euo pipefail
build=$1
seconds=$2
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fuzz_unpickle fuzz_pth fuzz_checkpoint fuzz_image fuzz_bsds_gt fuzz_config)
corpus="$build/corpus"
if [[ ! -d "$corpus/fuzz_pth" ]]; then
    "$build/fuzz_seeds" "$corpus" "$here/../tests/fixtures"
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t" "$build/artifacts/$t"
    log="$build/$t.log"
    start=$(date +%s)
    if "$build/$t" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t/" "$corpus/$t" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz: $t: $runs inputs in $(( $(date +%s) - start )) s, corpus $(ls "$corpus/$t" | wc -l) files, no finding"
    else
        echo "fuzz: $t FAILED after $(( $(date +%s) - start )) s (log $log, inputs in $build/artifacts/$t/):" >&2
        grep -E "ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written" "$log" | head -20 >&2 || tail -30 "$log" >&2
        status=1
    fi
done
exit $status
