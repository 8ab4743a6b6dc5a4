#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 20) seconds each and prints one summary
# line per target; exits non-zero when any target crashed (or failed to run).
#
#   fuzz/run.sh                          # what CI runs
#   FUZZ_SECONDS=600 fuzz/run.sh         # longer
#   FUZZ_TARGETS="answer" fuzz/run.sh    # some targets only
#
# cargo-fuzz needs nightly flags (-Z sanitizer, sancov); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them. New inputs go to a corpus dir outside the repository (FUZZ_WORK_DIR), the
# seeds in fuzz/corpus/<target> are only read. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-20}
work=${FUZZ_WORK_DIR:-${TMPDIR:-/tmp}/twitch-auth-fuzz}
# Debug assertions on: an integer overflow is a crash too.
build_flags=(-a)

started=$SECONDS
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version
echo "fuzz: cargo-fuzz ready in $((SECONDS - started)) s"

started=$SECONDS
if ! cargo fuzz build "${build_flags[@]}"; then
    echo "fuzz: the targets do not build (cargo-fuzz with RUSTC_BOOTSTRAP=1 on $(rustc --version))" >&2
    exit 1
fi
echo "fuzz: targets built in $((SECONDS - started)) s"

if [[ -n ${FUZZ_TARGETS:-} ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list)
fi

summary=()
failed=0
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    log="$work/logs/$target.log"
    mkdir -p "$corpus" "$(dirname "$log")"
    rc=0
    target_started=$SECONDS
    # The writable corpus first: libFuzzer adds new inputs to the first dir only.
    cargo fuzz run "${build_flags[@]}" "$target" "$corpus" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || rc=$?

    # "Done 123456 runs in 20 second(s)"; after a crash only the final stats say how many.
    runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [[ -z $runs ]]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    crashes=0
    if ((rc != 0)); then
        crashes=1 # libFuzzer stops at the first one
        failed=1
        echo "fuzz $target: exited with status $rc; from $log:" >&2
        # The panic or sanitizer report, then cargo-fuzz's account of the failing input.
        grep -E -A3 "panicked at|ERROR: (AddressSanitizer|LeakSanitizer)|ERROR: libFuzzer: [a-z-]+$" \
            "$log" | grep -v "^==[0-9]*== ERROR: libFuzzer: deadly signal" | head -n 30 >&2 || true
        sed -n '/^Failing input:/,/^Reproduce with:/p' "$log" | sed '$d' >&2
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        if [[ -n $artifact ]]; then
            echo "fuzz $target: reproduce with 'RUSTC_BOOTSTRAP=1 cargo fuzz run -a $target $artifact'," \
                "minimize with 'RUSTC_BOOTSTRAP=1 cargo fuzz tmin -a $target $artifact'" >&2
        fi
    fi
    line="fuzz $target: ${runs:-?} executions in ${took:-$((SECONDS - target_started))} s, $crashes crashes"
    echo "$line"
    summary+=("$line")
done

echo "fuzz: summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
