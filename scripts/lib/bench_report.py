"""Rewrites one `## NAME` section of docs/BENCHMARKS.md from the JSON lines of one or
more runs of scripts/bench.d/NAME: the machine, the date, the command, and a table of
the medians (line i of every run is the same measurement). Other sections stay as they are."""
import argparse
import datetime
import json
import os
import platform
import re
import statistics

HEADER = """# Benchmarks

Numbers measured on this project's machines by `scripts/bench` (release builds). Each
`## name` section below is rewritten by `scripts/bench name`; sections without a
benchmark of that name are written by hand and kept.
"""


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kilobytes = int(meminfo.readline().split()[1])
            memory = f", {kilobytes / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average %.1f at the end (other work shares the machine)" % os.getloadavg()[0]
    return f"{model}, {os.cpu_count()} cores{memory}, Linux {platform.release()}{load}"


def medians(runs):
    rows = []
    for measurements in zip(*runs):
        row = {}
        for key in measurements[0]:
            values = [measurement.get(key) for measurement in measurements]
            if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
                median = statistics.median(values)
                row[key] = round(median, 2) if isinstance(median, float) else median
            else:
                row[key] = values[0]
        rows.append(row)
    return rows


def table(rows):
    columns = []
    for row in rows:
        for key in row:
            if key != "bench" and key not in columns:
                columns.append(key)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(column, "")) for column in columns) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--document", required=True)
    parser.add_argument("outputs", nargs="+")
    arguments = parser.parse_args()

    runs = []
    for path in arguments.outputs:
        with open(path) as output:
            runs.append([json.loads(line) for line in output if line.strip().startswith("{")])
    if not runs or not runs[0] or len({len(run) for run in runs}) != 1:
        raise SystemExit(f"bench_report: {arguments.name} printed no or uneven JSON lines")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"## {arguments.name}\n\n"
        f"- machine: {machine()}\n"
        f"- date: {now}\n"
        f"- command: `{arguments.command}`; medians of {len(runs)} run{'s' if len(runs) > 1 else ''}\n\n"
        f"{table(medians(runs))}\n"
    )

    text = open(arguments.document).read() if os.path.exists(arguments.document) else HEADER
    pattern = re.compile(rf"^## {re.escape(arguments.name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    os.makedirs(os.path.dirname(arguments.document) or ".", exist_ok=True)
    with open(arguments.document, "w") as document:
        document.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
