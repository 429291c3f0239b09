#!/bin/bash
# The unit tests and the PAM suite once more, on the plain build, under valgrind: no memory
# errors, no leaks.
#   tests/run-valgrind.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:?usage: run-valgrind.sh BUILD_DIR}
rc=0
for t in "$B"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    echo "=== valgrind unit/$(basename "$t")"
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$t" >/dev/null || { echo "FAILED: $t under valgrind"; rc=1; }
done
echo "=== valgrind pam"
tests/pam/run.sh "$B" valgrind || { r=$?; [ "$r" = 77 ] || rc=1; }
exit "$rc"
