#!/usr/bin/env bash
# Fuzzes every decoder of external input for SECONDS each (default 60), one
# target after another, in a single process each (no -jobs/-workers).
#
#   fuzz/run.sh [SECONDS]
#
# Installs cargo-fuzz if missing, writes seed corpora of valid encodings to
# fuzz/corpus/<target>/ (make-seeds), builds the targets with debug
# assertions, then runs each with -max_total_time. Exits non-zero if any
# target crashed (panic, failed assertion, sanitizer report, leak, timeout or
# out-of-memory); the reproducer is in fuzz/artifacts/<target>/ and the log in
# fuzz/target/logs/<target>.log. Reproduce one with
#   cargo +nightly fuzz run --debug-assertions <target> fuzz/artifacts/<target>/<file>
#
# Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_TARGETS (default all),
# FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail

duration="${1:-60}"
if ! [[ "$duration" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS]" >&2
    exit 2
fi
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
read -r -a targets <<<"${FUZZ_TARGETS:-signed_tx submission block genesis records state_proof access_proof subject_ref certificate}"
read -r -a extra <<<"${FUZZ_ARGS:-}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "== seeds"
# Built without sanitizers, by the project's pinned toolchain.
(cd "$fuzz_dir" && cargo run --quiet --features make-seeds --bin make-seeds -- "$fuzz_dir/corpus")

echo "== build"
cd "$root"
# Built once: every target then fuzzes the same snapshot of the crates, even
# while they are being edited.
cargo +"$toolchain" fuzz build --debug-assertions
triple="$(rustc +"$toolchain" -vV | sed -n 's/^host: //p')"
bin_dir="$fuzz_dir/target/$triple/release"

logs="$fuzz_dir/target/logs"
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
    echo "== $target: ${duration}s"
    mkdir -p "$fuzz_dir/corpus/$target" "$fuzz_dir/artifacts/$target"
    status=0
    # One process, no -jobs/-workers/-fork.
    # -malloc_limit_mb: no decoder may make a single allocation anywhere near
    # this from inputs of at most -max_len (4096 by default) bytes.
    # -timeout: a decode that takes seconds is a denial of service.
    "$bin_dir/$target" -artifact_prefix="$fuzz_dir/artifacts/$target/" \
        -max_total_time="$duration" -timeout=10 -malloc_limit_mb=64 -rss_limit_mb=2048 \
        -print_final_stats=1 "${extra[@]}" "$fuzz_dir/corpus/$target" \
        2>&1 | tee "$logs/$target.log" || status=$?
    final="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$target.log" | tail -n 1 || true)"
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        summary+=("$target: CRASH (exit $status), log $logs/$target.log, input in fuzz/artifacts/$target/")
    else
        summary+=("$target: $final")
    fi
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -ne 0 ]]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
