#!/usr/bin/env python3
"""promcheck.py -- a strict reader of Prometheus text exposition format
0.0.4, and the check that a scrape's counters moved by exactly what a test
sent.

    promcheck.py BEFORE AFTER [SERIES=DELTA]... [--gauge SERIES=LO:HI]...

BEFORE and AFTER are two scrapes (response bodies).  Both must parse
strictly: every line is "# HELP name text", "# TYPE name type" or a
sample "name{label="value",...} value"; HELP and TYPE at most once per
family and before its samples; a family's samples contiguous; names and
label names well formed; label values using only the escapes \\\\ \\" \\n;
no series twice; the text ends with a newline.  Every counter must be a
non-negative integer that did not decrease.  Then each counter series
moved by the DELTA given for it, and by 0 if none is given (the scrape
is exact, not "at least").  --gauge checks a gauge's value in AFTER.
Exit 0 when everything holds; else every problem is printed, exit 1.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|Inf)|NaN)"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(s, where):
    """'a="x",b="y"' -> tuple of (name, value), escapes undone."""
    out, i = [], 0
    while i < len(s):
        m = re.match(LABEL + "=\"", s[i:])
        if not m:
            raise ValueError(f"{where}: bad label at {s[i:]!r}")
        name = s[i:i + m.end() - 2]
        i += m.end()
        val = []
        while True:
            if i >= len(s):
                raise ValueError(f"{where}: unterminated label value")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", "\"", "n"):
                    raise ValueError(f"{where}: bad escape \\{nxt}")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == "\"":
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"{where}: newline in a label value")
            else:
                val.append(c)
                i += 1
        if any(n == name for n, _ in out):
            raise ValueError(f"{where}: label {name} twice")
        out.append((name, "".join(val)))
        if i < len(s):
            if s[i] != ",":
                raise ValueError(f"{where}: expected ',' at {s[i:]!r}")
            i += 1
    return tuple(out)


def parse(text, what):
    """-> ({series: value}, {family: type})"""
    if not text.endswith("\n"):
        raise ValueError(f"{what}: does not end with a newline")
    types, helps, series = {}, set(), {}
    done, cur = set(), None  # families whose samples have ended
    for ln, line in enumerate(text[:-1].split("\n"), 1):
        where = f"{what}:{ln}"
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (" + NAME + r") (.*)", line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    raise ValueError(f"{where}: malformed {line!r}")
                continue  # a plain comment
            kind, fam, rest = m.groups()
            if fam in done or fam == cur:
                raise ValueError(f"{where}: {kind} of {fam} after its samples")
            if kind == "TYPE":
                if fam in types or rest not in TYPES:
                    raise ValueError(f"{where}: bad or second TYPE {line!r}")
                types[fam] = rest
            else:
                if fam in helps:
                    raise ValueError(f"{where}: second HELP for {fam}")
                helps.add(fam)
            continue
        m = re.fullmatch("(" + NAME + r")(?:\{(.*)\})? (" + VALUE +
                         r")(?: -?[0-9]+)?", line)
        if not m:
            raise ValueError(f"{where}: not a sample: {line!r}")
        name, labels, value = m.groups()
        fam = name
        if fam not in types:
            raise ValueError(f"{where}: {name} has no TYPE line before it")
        if fam != cur:
            if fam in done:
                raise ValueError(f"{where}: samples of {fam} not contiguous")
            if cur is not None:
                done.add(cur)
            cur = fam
        key = (name, parse_labels(labels or "", where))
        if key in series:
            raise ValueError(f"{where}: series {show(key)} twice")
        v = float(value)
        if types[fam] == "counter":
            if not re.fullmatch(r"[0-9]+", value):
                raise ValueError(f"{where}: counter {show(key)} = {value}")
            v = int(value)
        series[key] = v
    return series, types


def show(key):
    name, labels = key
    if not labels:
        return name
    return name + "{" + ",".join(f'{n}="{v}"' for n, v in labels) + "}"


def main(argv):
    args, gauges, deltas = [], {}, {}
    i = 0
    while i < len(argv):
        if argv[i] == "--gauge":
            k, _, r = argv[i + 1].rpartition("=")
            lo, _, hi = r.partition(":")
            gauges[k] = (float(lo), float(hi))
            i += 2
            continue
        args.append(argv[i])
        i += 1
    if len(args) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    for e in args[2:]:
        k, _, v = e.rpartition("=")
        deltas[k] = int(v)
    try:
        before, _ = parse(open(args[0]).read(), args[0])
        after, types = parse(open(args[1]).read(), args[1])
    except ValueError as e:
        print(f"malformed exposition: {e}")
        return 1
    bad = []
    seen = set()
    for key, v in sorted(after.items(), key=lambda kv: show(kv[0])):
        s = show(key)
        if types[key[0]] == "counter":
            if key not in before:
                bad.append(f"{s}: not in the first scrape")
                continue
            d = v - before[key]
            want = deltas.get(s, 0)
            seen.add(s)
            if d != want:
                bad.append(f"{s}: moved by {d}, expected {want}")
        elif s in gauges:
            lo, hi = gauges[s]
            seen.add(s)
            if not lo <= v <= hi:
                bad.append(f"{s} = {v}, expected {lo}..{hi}")
    for s in list(deltas) + list(gauges):
        if s not in seen:
            bad.append(f"{s}: no such series in the scrape")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
