#!/bin/sh
# Runs one browser test file under node's test runner; a failed run is tried again, twice at the
# most, and every failed attempt is printed in full with a FLAKY marker. This stands in for a fix
# of an intermittent stall of the app's first load or logout (issue 5, open: about one run in
# five of login_home on a 2-core machine). Remove it with that fix.
set -u
for attempt in 1 2 3; do
  if node --test --test-reporter=spec "$1"; then
    [ "$attempt" -gt 1 ] && echo "FLAKY: $1 passed on attempt $attempt"
    exit 0
  fi
  echo "FLAKY: $1 failed on attempt $attempt"
done
exit 1
