#!/usr/bin/env python3
"""The repository documents itself: checks that fail when the docs drift.

1. The file table of docs/architecture.md (between the `<!-- files -->` and
   `<!-- /files -->` comments, one row per file: | `src/PATH` | its job |)
   lists exactly the files under src/: a file added, renamed, moved or
   removed without its row, or a row without its file, fails.
2. No tracked file (`git ls-files`) refers to the sibling directory that
   held the original specification: users get the repository alone, so the
   reference is docs/ (cli.md, records.md, policy.md, architecture.md).
3. Relative links in README.md and docs/*.md point at files that exist.

usage: docs_check.py SRCDIR"""
import os
import re
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# Built, not written out, so that this file does not match itself.
OUTSIDE = "../" + "shared"
# Files that still mention it and cannot be changed on this branch (src/,
# include/ and the top-level meson.build belong to the refactoring under
# way): each entry is (path, the text that must still be there). An entry
# whose text is gone fails too, so the list can only shrink: delete the
# entry in the same commit that fixes the file.
PENDING = set()   # (file, line) pairs still to mend; empty: none may refer to it
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# --- 1. the file table against src/ ------------------------------------------
arch = os.path.join(SRC, "docs", "architecture.md")
text = open(arch, encoding="utf-8").read()
m = re.search(r"<!-- files -->\n(.*?)<!-- /files -->", text, re.S)
check(m is not None, "docs/architecture.md has its file table between <!-- files --> and <!-- /files -->")
listed, bad_rows = {}, []
for n, line in enumerate((m.group(1) if m else "").splitlines(), 1):
    line = line.strip()
    if not line.startswith("|") or re.match(r"^\|[\s:|-]+\|$", line):
        continue                       # prose, or the |---|---| separator
    cells = [c.strip() for c in line.strip("|").split("|")]
    if cells[0].lower() in ("file", "path"):
        continue                       # the header row
    pm = re.fullmatch(r"`(src/[^`]+)`", cells[0])
    if not pm or len(cells) < 2 or not cells[1]:
        bad_rows.append(line)
        continue
    if pm.group(1) in listed:
        bad_rows.append(line + "   (listed twice)")
    listed[pm.group(1)] = cells[1]
check(not bad_rows, "every row of the file table is | `src/PATH` | one job |"
      + "".join("\n     bad row: " + r for r in bad_rows))
actual = set()
for d, dirs, files in os.walk(os.path.join(SRC, "src")):
    dirs[:] = [x for x in dirs if not x.startswith(".")]
    for f in files:
        if not f.startswith("."):
            actual.add(os.path.relpath(os.path.join(d, f), SRC).replace(os.sep, "/"))
missing = sorted(actual - set(listed))
stale = sorted(set(listed) - actual)
check(not missing, f"every file under src/ has a row in docs/architecture.md ({len(actual)} files)"
      + "".join("\n     no row: " + p for p in missing))
check(not stale, f"every row of docs/architecture.md names a file under src/ ({len(listed)} rows)"
      + "".join("\n     no such file: " + p for p in stale))

# --- 2. nothing refers outside the repository ---------------------------------
try:
    out = subprocess.run(["git", "-C", SRC, "ls-files", "-z"], capture_output=True, check=True,
                         timeout=60).stdout
    tracked = [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
    how = "git ls-files"
except (OSError, subprocess.CalledProcessError):
    # Not a git checkout (a release tarball): every file but build trees.
    tracked, how = [], "every file (not a git checkout)"
    for d, dirs, files in os.walk(SRC):
        dirs[:] = [x for x in dirs if x != ".git" and
                   not os.path.exists(os.path.join(d, x, "meson-private"))]
        tracked += [os.path.relpath(os.path.join(d, f), SRC) for f in files]
hits, pending_seen = [], set()
for rel in tracked:
    path = os.path.join(SRC, rel)
    if rel.startswith(".git/") or not os.path.isfile(path):
        continue                       # deleted in the work tree, a submodule
    try:
        data = open(path, "rb").read()
    except OSError as e:
        hits.append(f"{rel}: unreadable: {e}")
        continue
    if OUTSIDE.encode() not in data:
        continue
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if OUTSIDE in line:
            if (rel, line) in PENDING:
                pending_seen.add((rel, line))
            else:
                hits.append(f"{rel}:{n}: {line.strip()}")
check(len(tracked) > 50, f"{len(tracked)} files to read ({how})")
check(not hits, f"no file refers to {OUTSIDE} (the reference is docs/)"
      + "".join("\n     " + h for h in hits))
for rel, line in sorted(PENDING - pending_seen):
    check(False, f"{rel} no longer says {line.strip()!r}: delete its PENDING entry in tests/docs_check.py")
for rel, line in sorted(pending_seen):
    print(f"note {rel}: still refers to {OUTSIDE} (pending: outside this branch's files)")

# --- 3. relative links in the docs resolve -------------------------------------
broken = []
pages = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))
for page in pages:
    body = open(os.path.join(SRC, page), encoding="utf-8").read()
    for target in re.findall(r"\]\(([^)\s]+)\)", body):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#", 1)[0]
        if not os.path.exists(os.path.normpath(os.path.join(SRC, os.path.dirname(page), target))):
            broken.append(f"{page}: ({target})")
check(not broken, f"relative links in {len(pages)} pages resolve" + "".join("\n     " + b for b in broken))

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
