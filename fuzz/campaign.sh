#!/bin/sh
# One fuzz campaign: fuzz/campaign.sh TARGET SECONDS
# Single process (one core), niced; the corpus grows in fuzz/corpus/TARGET,
# starting from fuzz/seeds/TARGET; crashes go to fuzz/artifacts/TARGET.
# The log is fuzz/logs/TARGET.log.
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-900}
mkdir -p corpus/"$target" logs
dict=""
[ -f dicts/"$target".dict ] && dict="-dict=dicts/$target.dict"
# detect_stack_use_after_return=0: ASan's fake stacks put locals off the
# thread's stack, which fools the compiler's stack-depth guard into
# "nesting too deep" (see docs/reliability.md).
export RUSTC_BOOTSTRAP=1 ASAN_OPTIONS=detect_stack_use_after_return=0
nice -n 15 cargo fuzz build "$target"
nice -n 15 cargo fuzz run "$target" corpus/"$target" seeds/"$target" -- \
    $dict -max_total_time="$seconds" -timeout=10 -max_len=4096 -print_final_stats=1 \
    2>&1 | tee logs/"$target".log | grep -E "DONE|pulse|panicked|ERROR|SUMMARY|stat::" || true
