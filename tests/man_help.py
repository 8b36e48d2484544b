#!/usr/bin/env python3
"""The manual page and --help say the same: every option that `wirewho
COMMAND --help` lists is documented in that command's section of
docs/wirewho.8 (its "Options of COMMAND" list), and every option documented
there is in the --help text; the top-level --help names nothing the manual
page lacks; and the manual page documents every command (a section each)
and the policy file format.

usage: man_help.py WIREWHO_BINARY SOURCE_ROOT
"""
import re
import subprocess
import sys

COMMANDS = ("watch", "replay", "sockets", "collect")
OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def help_options(text):
    """Options of a --help text: the words that start its option lines."""
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^  (-[^ ].*?)(?:  |$)", line)   # option lines: two spaces in
        if m:
            opts.update(OPT.findall(m.group(1)))
    return opts


def man_sections(src):
    """{".SH name": text} of a man page source."""
    out, name = {}, None
    for line in src.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def man_options(section_text):
    """Options of the tagged paragraphs (.TP) of a section's option list."""
    lines = section_text.splitlines()
    opts = set()
    for i, line in enumerate(lines):
        if line.startswith(".TP") and i + 1 < len(lines):
            tag = lines[i + 1].replace("\\-", "-")
            opts.update(OPT.findall(tag))
    return opts


def main():
    ww, root = sys.argv[1], sys.argv[2]
    src = open(root + "/docs/wirewho.8", encoding="utf-8").read()
    sections = man_sections(src)
    failed = 0

    def check(ok, what):
        nonlocal failed
        print(("ok   - " if ok else "FAIL - ") + what)
        failed |= not ok

    for cmd in COMMANDS:
        sec = sections.get(cmd.upper(), "")
        check(bool(sec), "test_the_manual_page_has_a_section_for_%s" % cmd)
        sub = sec.split(".SS Options of %s" % cmd, 1)
        check(len(sub) == 2, "test_the_%s_section_has_its_option_list" % cmd)
        options = sub[1].split("\n.SS ", 1)[0] if len(sub) == 2 else ""
        r = subprocess.run([ww, cmd, "--help"], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0 and r.stdout.startswith("usage: wirewho " + cmd),
              "test_%s_help_prints_its_usage" % cmd)
        in_help, in_man = help_options(r.stdout), man_options(options)
        check(bool(in_help) and not in_help - in_man,
              "test_every_option_of_%s_help_is_in_the_manual_page%s" %
              (cmd, "" if not in_help - in_man else ": missing " + " ".join(sorted(in_help - in_man))))
        check(bool(in_man) and not in_man - in_help,
              "test_every_option_of_%s_in_the_manual_page_is_in_its_help%s" %
              (cmd, "" if not in_man - in_help else ": missing " + " ".join(sorted(in_man - in_help))))

    r = subprocess.run([ww, "--help"], capture_output=True, text=True, timeout=30)
    everything = set()
    for cmd in COMMANDS:
        everything |= man_options(sections.get(cmd.upper(), ""))
    plain = src.replace("\\-", "-")
    top = help_options(r.stdout) - {"--version", "-V"}
    check(r.returncode == 0 and not top - everything,
          "test_the_top_level_help_names_no_option_the_manual_page_lacks%s" %
          ("" if not top - everything else ": " + " ".join(sorted(top - everything))))
    check("--version" in plain, "test_the_manual_page_names_version")
    pol = sections.get("POLICY FILE", "")
    check(all(w in pol for w in ("allow", "ignore", "review", "comm=", "exe=", "port=", "rport=",
                                  "remote=", "dir=", "state=", "proto=", "user=", "bind=")),
          "test_the_manual_page_documents_the_policy_file_format")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
