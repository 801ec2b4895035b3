"""The PostgreSQL peer of `scripts/bench queue`: the workload of `auris-bench queue
--phased` (enqueue N no-op jobs, then drain them with W worker processes) on
procrastinate, a Python job queue on PostgreSQL, on the same server as Auris's
PostgreSQL rows.

procrastinate gets its best setup for throughput: async no-op task (no thread hop),
each worker process runs `concurrency` jobs at once over its own connection pool,
LISTEN/NOTIFY on, job rows kept (its default; deleting them is extra work), the job
table ANALYZEd after the enqueue (untimed) as autovacuum would have. Commits are
synchronous (the cluster's synchronous_commit=on), as Auris's are.

Two measurements, each in a fresh database with procrastinate's schema applied:
  - enqueue one job per transaction from one client (what a web request does), then drain;
  - enqueue with procrastinate's batch defer (BATCH jobs per call), then drain.
Enqueue time is the client's wall clock. Drain time is the database's own: from the
first job's `started` event to the last `succeeded` event (procrastinate records both),
so worker start-up is not counted against it. Every job must have succeeded.

One JSON line per measurement on stdout, in the columns of the other queue rows.
"""
import argparse
import asyncio
import json
import logging
import multiprocessing
import sys
import time

import procrastinate

from pg_database import drop_database, fresh_database, psql

BATCH = 1000
# procrastinate warns that an App made in __main__ cannot be found by its CLI; this run
# never uses the CLI (the task is named explicitly), so only its errors are shown.
logging.getLogger("procrastinate").setLevel(logging.ERROR)


def make_app(url, pool_size):
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=url, min_size=1, max_size=pool_size))

    @app.task(name="noop")
    async def noop(index):
        return None

    return app, noop


async def enqueue(url, jobs, batched):
    app, noop = make_app(url, 2)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        started = time.perf_counter()
        if batched:
            for first in range(0, jobs, BATCH):
                await noop.batch_defer_async(*({"index": i} for i in range(first, min(first + BATCH, jobs))))
        else:
            for index in range(jobs):
                await noop.defer_async(index=index)
        return time.perf_counter() - started


def work(url, concurrency, name):
    async def run():
        # A connection per job slot, and one for LISTEN.
        app, _ = make_app(url, concurrency + 2)
        async with app.open_async():
            await app.run_worker_async(concurrency=concurrency, wait=False, listen_notify=True,
                                       install_signal_handlers=False, name=name)
    asyncio.run(run())


def drain(url, workers, concurrency):
    # Forked after the enqueue's event loop and pool are closed: nothing shared.
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=work, args=(url, concurrency, f"bench-{index}"))
                 for index in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"pg peer bench: a procrastinate worker exited with {process.exitcode}")
    row = psql(url, """
        SELECT (SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'),
               (SELECT count(*) FROM procrastinate_jobs),
               extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')
                                 - min(at) FILTER (WHERE type = 'started'))
        FROM procrastinate_events""").strip().split(",")
    return int(row[0]), int(row[1]), float(row[2])


def measure(cluster_url, jobs, workers, concurrency, batched):
    url = fresh_database(cluster_url, "procrastinate_bench")
    try:
        enqueue_seconds = asyncio.run(enqueue(url, jobs, batched))
        # A long-lived table has statistics from autovacuum; a table filled seconds ago
        # has none, and fetch then runs a worse plan (drain about 1.5x slower here).
        psql(url, "ANALYZE procrastinate_jobs")
        succeeded, total, drain_seconds = drain(url, workers, concurrency)
    finally:
        drop_database(cluster_url, url)
    if succeeded != jobs or total != jobs:
        raise SystemExit(f"pg peer bench: {succeeded} of {total} jobs succeeded, {jobs} enqueued")
    return {
        "bench": "queue", "system": "procrastinate", "backend": "postgresql", "mode": "phased",
        "enqueue": f"batch_defer of {BATCH}" if batched else "1 per transaction",
        "workers": workers, "slots_per_worker": concurrency, "jobs": jobs, "synchronous": "on",
        "jobs_per_second": round(jobs / drain_seconds),
        "enqueue_per_second": round(jobs / enqueue_seconds),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="the cluster (a database per measurement is made on it)")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8, help="job slots per worker process")
    arguments = parser.parse_args()
    for batched in (False, True):
        print(json.dumps(measure(arguments.database_url, arguments.jobs, arguments.workers,
                                 arguments.concurrency, batched)), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
