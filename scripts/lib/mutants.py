"""The mutation run behind scripts/mutants: plants each deliberate bug of
scripts/mutants.d/catalog.py in a copy of the tree, builds the copy incrementally, runs
the mutant's test filter, and reverts. A mutant is caught when its tests fail (or crash,
or time out); the run fails when any mutant survives or no longer applies, or when the
tests fail without any mutant (the baseline), which would make every catch meaningless.

Standard library only. Prints one line per mutant and a summary; writes a Markdown table
with --report.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mutants.d"))
from catalog import MUTANTS  # noqa: E402


def log(message):
    print("mutants: " + message, file=sys.stderr, flush=True)


def copy_tree(source, tree):
    """The working tree's tracked and untracked-but-not-ignored files into `tree`, so that
    uncommitted tests take part; the copy's own build folder is kept between runs."""
    files = subprocess.run(["git", "-C", source, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           check=True, capture_output=True).stdout.split(b"\0")
    wanted = {name.decode() for name in files if name and os.path.exists(os.path.join(source, name.decode()))}
    for name in sorted(wanted):
        target = os.path.join(tree, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        origin = os.path.join(source, name)
        # Unchanged files keep their timestamps, so the copy's build stays incremental.
        if os.path.exists(target) and open(origin, "rb").read() == open(target, "rb").read():
            continue
        shutil.copy2(origin, target)
    # Files the source no longer has (moved or deleted) would still be compiled.
    for folder, subfolders, names in os.walk(tree):
        relative = os.path.relpath(folder, tree)
        if relative == ".":
            subfolders[:] = [name for name in subfolders if not name.startswith((".build", ".mutant-logs", ".venv"))]
        for name in names:
            path = os.path.normpath(os.path.join(relative, name))
            if path not in wanted:
                os.remove(os.path.join(folder, name))
    return wanted


def run(command, tree, wrapper, timeout, log_path):
    """Runs `command` in `tree` (through `wrapper TREE …` when given); (exit code or None
    on timeout, output)."""
    full = (shlex.split(wrapper) + [tree] if wrapper else []) + command
    with open(log_path, "wb") as output:
        process = subprocess.Popen(full, cwd=tree, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            code = None
    with open(log_path, "rb") as output:
        return code, output.read().decode(errors="replace")


FAILED = re.compile(r"Test (.+?) (?:failed after|recorded an issue)")
# What the script checks print: chaos's violations, run-test's and the Stripe oracle's failures.
VIOLATION = re.compile(r"(?:chaos: VIOLATION |run-test: FAILED |^FAIL )(.{0,160})", re.M)
STARTED = re.compile(r"Test (.+?) started\.")
PASSED = re.compile(r"Test (.+?) passed after")


def catchers(output):
    """The tests that failed, or the one running when the process crashed."""
    failed = []
    for match in FAILED.finditer(output):
        name = re.sub(r" with \d+ test cases?$", "", match.group(1).split(" at ")[0])
        if name.startswith("run with "):
            continue  # the summary line
        if name not in failed:
            failed.append(name)
    failed += [match.group(1) for match in VIOLATION.finditer(output)][:4]
    if failed:
        return failed
    running = [name for name in STARTED.findall(output) if name not in set(PASSED.findall(output))]
    return [f"crashed in {running[-1]}" if running else "crashed or did not build"]


def edits(mutant):
    """(file, [(find, replacement)]) for the mutant's file and any `also` files."""
    return [(mutant["file"], mutant["replace"])] + [(extra["file"], extra["replace"]) for extra in mutant.get("also", [])]


def apply(tree, mutant):
    """Plants the mutant; returns {path: original text}, or raises LookupError (nothing
    written) when a pattern is not found exactly once."""
    originals, changed = {}, {}
    for name, replacements in edits(mutant):
        path = os.path.join(tree, name)
        if not os.path.exists(path):
            raise LookupError(f"{name} does not exist")
        originals[path] = open(path, encoding="utf-8").read()
        text = changed.get(path, originals[path])
        for find, replacement in replacements:
            count = text.count(find)
            if count != 1:
                raise LookupError(f"{name}: {find!r} found {count} times")
            text = text.replace(find, replacement)
        changed[path] = text
    for path, text in changed.items():
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return originals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--tree", required=True)
    parser.add_argument("--wrapper", default="", help="command prefix that takes the tree as its first argument")
    parser.add_argument("--only", default="", help="comma-separated mutant ids")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--build-timeout", type=int, default=2400)
    parser.add_argument("--test-timeout", type=int, default=1200)
    parser.add_argument("--report", default="")
    parser.add_argument("--check-only", action="store_true", help="only check that every mutant still applies")
    arguments = parser.parse_args()

    mutants = [m for m in MUTANTS if not arguments.only or m["id"] in arguments.only.split(",")]
    if not mutants:
        raise SystemExit("mutants: no mutant matches --only")
    if arguments.check_only:
        stale = []
        for mutant in mutants:
            for name, replacements in edits(mutant):
                path = os.path.join(arguments.source, name)
                text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
                for find, _ in replacements:
                    if text.count(find) != 1:
                        stale.append(f"{mutant['id']}: {name}: {find!r} found {text.count(find)} times")
        for line in stale:
            log("NO LONGER APPLIES " + line)
        print(f"mutants: {len(mutants) - len({s.split(':')[0] for s in stale})}/{len(mutants)} apply")
        return 1 if stale else 0
    os.makedirs(arguments.tree, exist_ok=True)
    logs = os.path.join(arguments.tree, ".mutant-logs")
    os.makedirs(logs, exist_ok=True)
    log(f"copying the tree to {arguments.tree}")
    copy_tree(arguments.source, arguments.tree)
    build = ["swift", "build", "--build-tests"]

    # The test bundle run directly: `swift test --skip-build` spends a minute planning and
    # waits for the package lock, which other builds on the machine hold for minutes.
    bundle = os.path.join(".build", "debug", "aurisPackageTests.xctest")

    def test(mutant, name):
        command = mutant.get("command")
        if not command and os.path.isfile(os.path.join(arguments.tree, bundle)):
            command = [bundle, "--testing-library", "swift-testing", "--no-parallel", "--filter", mutant["filter"]]
        command = command or ["swift", "test", "--skip-build", "--no-parallel", "--filter", mutant["filter"]]
        code, output = run(command, arguments.tree, arguments.wrapper, arguments.test_timeout, os.path.join(logs, name + ".test.log"))
        # A recorded issue is a failure whatever the exit status says.
        return (1 if code == 0 and FAILED.search(output) else code), output

    started = time.monotonic()
    code, output = run(build, arguments.tree, arguments.wrapper, arguments.build_timeout, os.path.join(logs, "baseline.build.log"))
    if code != 0:
        print(output[-3000:], file=sys.stderr)
        raise SystemExit("mutants: the unmutated copy does not build")
    if not arguments.skip_baseline:
        filters = "|".join(sorted({part for m in mutants if "filter" in m for part in m["filter"].split("|")}))
        baselines = ([{"filter": filters}] if filters else []) + [
            {"command": command} for command in {tuple(m["command"]): m["command"] for m in mutants if "command" in m}.values()]
        for index, baseline in enumerate(baselines):
            code, output = test(baseline, f"baseline-{index}")
            if code != 0:
                print(output[-3000:], file=sys.stderr)
                raise SystemExit(f"mutants: {baseline} fails without any mutant ({catchers(output)}); fix that first")
        log(f"baseline passes ({time.monotonic() - started:.0f} s)")

    results = []
    for mutant in mutants:
        began = time.monotonic()
        try:
            originals = apply(arguments.tree, mutant)
        except LookupError as error:
            results.append((mutant, "NO LONGER APPLIES", [str(error)], 0))
            log(f"{mutant['id']}: NO LONGER APPLIES: {error}")
            continue
        try:
            code, output = run(build, arguments.tree, arguments.wrapper, arguments.build_timeout,
                               os.path.join(logs, mutant["id"] + ".build.log"))
            if code != 0:
                # A mutant that does not compile proves nothing about the tests.
                verdict, caught_by = "DOES NOT BUILD", [output.strip().splitlines()[-1] if output.strip() else "?"]
            else:
                code, output = test(mutant, mutant["id"])
                if code is None:
                    verdict, caught_by = "caught", [f"timed out after {arguments.test_timeout} s"]
                elif code != 0:
                    verdict, caught_by = "caught", catchers(output)
                else:
                    verdict, caught_by = "SURVIVED", []
        finally:
            for path, original in originals.items():
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(original)
        seconds = time.monotonic() - began
        results.append((mutant, verdict, caught_by, seconds))
        log(f"{mutant['id']}: {verdict} in {seconds:.0f} s" + (": " + "; ".join(caught_by[:6]) if caught_by else ""))

    # Leave the copy's build matching the unmutated sources for the next run.
    run(build, arguments.tree, arguments.wrapper, arguments.build_timeout, os.path.join(logs, "restore.build.log"))
    bad = [r for r in results if r[1] != "caught"]
    if arguments.report:
        with open(arguments.report, "w") as report:
            report.write("| mutant | bug | tests run | result | caught by |\n|---|---|---|---|---|\n")
            for mutant, verdict, caught_by, seconds in results:
                shown = ", ".join(caught_by[:4]) + (f" and {len(caught_by) - 4} more" if len(caught_by) > 4 else "")
                tests = mutant.get("filter") or next((part for part in mutant["command"] if part.startswith("scripts/")),
                                                     " ".join(mutant["command"]))
                shown, tests = shown.replace("|", "\\|"), tests.replace("|", "\\|")
                report.write(f"| `{mutant['id']}` | {mutant['why']} | `{tests}` | {verdict} ({seconds:.0f} s) | {shown} |\n")
    print(f"mutants: {'OK' if not bad else 'FAILED'} {len(results) - len(bad)}/{len(results)} caught"
          + ("; " + ", ".join(f"{r[0]['id']} {r[1]}" for r in bad) if bad else "")
          + f" seconds={time.monotonic() - started:.0f}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
