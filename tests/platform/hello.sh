#!/usr/bin/env bash
# hello.sh -- the hello application on every available target: exits 0,
# prints the greeting, SUCCESS and the command line it was given.
. "$(dirname "$0")/lib/platform.sh"

for t in $(plat_targets hello); do
    plat_run "$t" hello -- first second=2
    expect_success "hello/$t"
    expect_output "hello/$t greeting" '^Hello, Tibra$'
    expect_output "hello/$t cmdline" "^cmdline: 'first second=2'$"
done
finish hello
