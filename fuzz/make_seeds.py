#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/seeds/<target>/) from the
test suites, so the fuzzers start from inputs that reach deep into the
compiler instead of from nothing.

  source: every string literal of tests/conformance/cases.rs that looks like
          a program (dedented as tests/conformance/harness.rs does), plus
          the source units written in tests/examples.rs, tests/reload.rs,
          tests/limits.rs and the data tests (tests/data_*.rs, print.rs).
  mir:    every string literal of tests/mir.rs, tests/mir_fuzz.rs and the
          MIR data tests (tests/mir_arrays.rs, mir_records.rs, mir_maps.rs)
          that starts with the version line `mir `.
  capi:   byte strings from a fixed-seed PRNG (any bytes are a valid
          sequence of calls for that target) and a few hand-picked ones.

Run from anywhere:  python3 fuzz/make_seeds.py
The output is deterministic; files are named by a hash of their content.
"""

import hashlib
import os
import random
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")


def rust_strings(text):
    """Yields the value of every string literal ("..", r#".."#, b"..") in
    Rust source `text` (comments skipped)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        prev_ident = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        if c in "rb" and not prev_ident:
            j = i + 1
            if c == "b" and j < n and text[j] == "r":
                j += 1
            raw = text[i:j].endswith("r")
            hashes = 0
            while raw and j < n and text[j] == "#":
                hashes += 1
                j += 1
            if j < n and text[j] == '"':
                if raw:
                    end = text.find('"' + "#" * hashes, j + 1)
                    if end < 0:
                        return
                    yield text[j + 1 : end]
                    i = end + 1 + hashes
                else:
                    value, i = cooked(text, j)
                    yield value
                continue
        if c == '"':
            value, i = cooked(text, i)
            yield value
            continue
        if c == "'":
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            i += len(m.group(0)) if m else 1
            continue
        i += 1


def cooked(text, i):
    """Decodes the escaped string literal whose quote is at text[i]."""
    out = []
    i += 1
    while i < len(text) and text[i] != '"':
        c = text[i]
        if c == "\\":
            e = text[i + 1]
            if e == "\n":  # line continuation: skip the newline and indentation
                i += 2
                while i < len(text) and text[i] in " \t\n\r":
                    i += 1
                continue
            if e == "u":
                end = text.index("}", i)
                out.append(chr(int(text[i + 3 : end], 16)))
                i = end + 1
                continue
            if e == "x":
                out.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}.get(e, e))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out), i + 1


def unit_text(src):
    """tests/conformance/harness.rs unit_text: a source starting with a
    newline is dedented."""
    if not src.startswith("\n"):
        return src
    body = src[1:]
    lines = [l for l in body.split("\n") if l.strip()]
    indent = min((len(l) - len(l.lstrip(" ")) for l in lines), default=0)
    out = []
    for line in body.splitlines(keepends=True):
        strip = min(len(line) - len(line.lstrip(" ")), indent)
        out.append(line[strip:])
    return "".join(out).rstrip(" ")


def looks_like_source(s):
    if len(s) < 3 or s.startswith("mir ") or s.startswith("<source>"):
        return False
    return bool(re.search(r"\bfn\b|=|\bwhile\b|\bfor\b|\bif\b|[-+*/%^]|\(|\"", s))


def write(target, blobs):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    seen = set()
    for b in blobs:
        if isinstance(b, str):
            b = b.encode("utf-8", "surrogatepass")
        h = hashlib.sha1(b).hexdigest()[:16]
        if h in seen or len(b) > 8192:
            continue
        seen.add(h)
        with open(os.path.join(d, h), "wb") as f:
            f.write(b)
    return len(seen)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def main():
    sources = []
    for rel in ["tests/conformance/cases.rs", "tests/examples.rs", "tests/reload.rs", "tests/limits.rs",
                "tests/data_lang.rs", "tests/data_records.rs", "tests/data_maps.rs", "tests/print.rs"]:
        for s in rust_strings(read(rel)):
            s = unit_text(s)
            if looks_like_source(s):
                sources.append(s)
    mirs = []
    for rel in ["tests/mir.rs", "tests/mir_fuzz.rs", "tests/mir_arrays.rs", "tests/mir_records.rs", "tests/mir_maps.rs"]:
        for s in rust_strings(read(rel)):
            if s.startswith("mir "):
                mirs.append(s)
    rng = random.Random(20240601)
    capi = [bytes(rng.randrange(256) for _ in range(rng.randrange(8, 200))) for _ in range(120)]
    # Hand-picked: compile fib and call it; a host re-entering; a race.
    capi += [bytes([3, 0, 1, 7, 0, 1, 1, 2]), bytes([3, 0, 11, 7, 0, 12, 1, 3]), bytes([23, 0, 4, 0, 1, 2, 100])]
    counts = (write("source", sources), write("mir", mirs), write("capi", capi))
    print("seeds: source %d, mir %d, capi %d" % counts)


if __name__ == "__main__":
    main()
