#!/usr/bin/env python3
"""Validate wirewho's NDJSON output against the JSON Schemas in docs/schema/.

usage: schema_validate.py SCHEMADIR FILE...      (- reads standard input)

Each line of each FILE is one JSON object; its "type" picks the schema:
SCHEMADIR/TYPE.schema.json for the records of replay, watch and sockets
(flow, alert, socket, stats), and SCHEMADIR/timeline-TYPE.schema.json for
the lines of a `watch --record` timeline (sockets.ndjson), recognised by its
first line, the "header" record with "format": "wirewho-sockets". Every
violation is printed as FILE:LINE: TYPE record: WHERE: WHAT; the exit
status is 0 when every line is valid, 1 when one is not, 2 on bad usage.

As a module (the end-to-end tests import it):

    import schema_validate
    v = schema_validate.Validator(SCHEMADIR)
    errors = v.check_text(output, "replay of x.pcap")   # list of strings
    v.check_records(list_of_dicts, "name")               # the same for parsed records
    v.assert_valid(output, "name")                       # raises SchemaError listing them

The checks are strict on purpose: the schemas forbid fields they do not
name, so a field the code adds without documenting it (docs/records.md), or
renames, fails the tests. The jsonschema module (Debian: python3-jsonschema)
is required; without it this module fails loudly, it never skips.
"""
import json
import os
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError as e:   # fail loudly: a validator that skips proves nothing
    raise ImportError(
        "schema_validate: the jsonschema module is missing for %s (%s); install "
        "python3-jsonschema (scripts/deps.sh) and run with /usr/bin/python3"
        % (sys.executable, e)) from e

TIMELINE_FORMAT = "wirewho-sockets"
RECORD_TYPES = ("flow", "alert", "socket", "stats")
TIMELINE_TYPES = ("header", "capture", "socket", "end")


class SchemaError(AssertionError):
    """Raised by Validator.assert_valid(); str() lists every violation."""


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %r" % k)
        seen[k] = v
    return seen


def _no_constants(name):
    raise ValueError("%s is not JSON" % name)


def parse_line(line):
    """One NDJSON line to a dict; ValueError with the reason otherwise.
    Stricter than json.loads: no duplicate keys, no NaN/Infinity."""
    obj = json.loads(line, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    if not isinstance(obj, dict):
        raise ValueError("a record must be a JSON object, not %s" % type(obj).__name__)
    return obj


def _where(err):
    path = "".join("[%d]" % p if isinstance(p, int) else "." + str(p) for p in err.absolute_path)
    return path[1:] if path.startswith(".") else (path or "(record)")


def _describe(err):
    """Short, specific messages for one jsonschema error."""
    if err.context:
        # oneOf/anyOf: report the branch that came closest (fewest errors),
        # not "is not valid under any of the given schemas"
        branches = {}
        for e in err.context:
            branches.setdefault(e.relative_schema_path[0], []).append(e)
        best = min(branches.values(), key=len)
        return [m for e in best for m in _describe(e)]
    return ["%s: %s" % (_where(err), err.message)]


class Validator:
    def __init__(self, schemadir):
        self.schemadir = schemadir
        self.schemas = {}
        for t in RECORD_TYPES:
            self.schemas[("records", t)] = self._load(t + ".schema.json")
        for t in TIMELINE_TYPES:
            self.schemas[("timeline", t)] = self._load("timeline-" + t + ".schema.json")

    def _load(self, name):
        path = os.path.join(self.schemadir, name)
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)   # a broken schema is an error, not a pass
        return Draft202012Validator(schema)

    def check_record(self, rec, family="records"):
        """Violations of one parsed record, as strings (empty: valid)."""
        t = rec.get("type")
        v = self.schemas.get((family, t)) if isinstance(t, str) else None
        if v is None:
            known = RECORD_TYPES if family == "records" else TIMELINE_TYPES
            return ["unknown record type %r (expected one of %s)" % (t, ", ".join(known))]
        errs = sorted(v.iter_errors(rec), key=lambda e: (list(e.absolute_path), e.message))
        return ["%s record: %s" % (t, m) for e in errs for m in _describe(e)]

    def check_records(self, recs, name="records", family=None):
        """Violations of a list of parsed records, as 'NAME:N: ...' strings."""
        recs = list(recs)
        if family is None:
            family = self.family_of(recs[0] if recs else None)
        out = []
        for i, rec in enumerate(recs, 1):
            if not isinstance(rec, dict):
                out.append("%s:%d: not a JSON object" % (name, i))
                continue
            out.extend("%s:%d: %s" % (name, i, e) for e in self.check_record(rec, family))
        return out

    @staticmethod
    def family_of(first):
        """'timeline' when the first record is a timeline header, else 'records'."""
        if isinstance(first, dict) and first.get("type") == "header" and \
                first.get("format") == TIMELINE_FORMAT:
            return "timeline"
        return "records"

    def check_text(self, text, name="output", family=None):
        """Violations in NDJSON text (str or bytes): parse errors included."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as e:
                return ["%s: not UTF-8: %s" % (name, e)]
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()           # the newline that ends the last record
        elif lines:
            return ["%s:%d: the last line does not end with a newline" % (name, len(lines))] + \
                self.check_text(text + "\n", name, family)
        out = []
        family_known = family
        for i, line in enumerate(lines, 1):
            try:
                rec = parse_line(line)
            except ValueError as e:
                out.append("%s:%d: not a JSON object: %s" % (name, i, e))
                continue
            if family_known is None:   # decided by the first line
                family_known = self.family_of(rec if i == 1 else None)
            out.extend("%s:%d: %s" % (name, i, e) for e in self.check_record(rec, family_known))
        return out

    def check_file(self, path, family=None):
        if path == "-":
            return self.check_text(sys.stdin.buffer.read(), "<stdin>", family)
        with open(path, "rb") as f:
            return self.check_text(f.read(), path, family)

    def assert_valid(self, text, name="output", family=None, limit=20):
        """Raise SchemaError listing (up to `limit`) violations; return the
        number of records checked."""
        errs = self.check_text(text, name, family)
        if errs:
            more = "" if len(errs) <= limit else "\n... and %d more" % (len(errs) - limit)
            raise SchemaError("%d schema violation(s):\n%s%s" % (len(errs), "\n".join(errs[:limit]), more))
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return text.count("\n")


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print("usage: schema_validate.py SCHEMADIR FILE...   (- for standard input)", file=sys.stderr)
        return 2
    try:
        v = Validator(argv[1])
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("schema_validate: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    bad = 0
    total = 0
    for path in argv[2:]:
        try:
            errs = v.check_file(path)
        except OSError as e:
            print("schema_validate: %s: %s" % (path, e.strerror or e), file=sys.stderr)
            return 2
        for e in errs:
            print(e, file=sys.stderr)
        bad += len(errs)
        if not errs:
            with open(path, "rb") if path != "-" else open(os.devnull, "rb") as f:
                total += f.read().count(b"\n")
    if bad:
        print("schema_validate: %d violation(s) in %s" % (bad, ", ".join(argv[2:])), file=sys.stderr)
        return 1
    print("schema_validate: %d record(s) in %d file(s) valid" % (total, len(argv) - 2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
