"""The peers of `scripts/bench queue`: the same no-op workload as `auris-bench queue
--phased` (enqueue N jobs, then drain them with W worker processes) on huey with
SqliteHuey and on RQ with a local redis-server.

Both peers get their fastest honest setup, so the comparison flatters them rather than
Auris: huey on its own SQLite defaults (WAL; SQLite's default synchronous, FULL), RQ
with SimpleWorker (no fork per job) on redis-server's defaults (no fsync per job).
Workers are forked after the enqueue phase and run the peers' own dequeue/execute
path until the queue is empty, so interpreter start-up is not counted against them.

Prints one JSON line per system:
{"bench": "queue", "system": "huey-sqlite"|"rq-redis", "jobs_per_second": N, "enqueue_per_second": N}
"""
import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time

import bench_tasks


def run_huey(jobs, workers, directory):
    from huey import SqliteHuey

    path = os.path.join(directory, "huey.db")
    # huey's 5 s lock timeout is too short for four processes on a busy machine.
    huey = SqliteHuey("bench", filename=path, timeout=60)
    task = huey.task()(bench_tasks.noop)

    started = time.perf_counter()
    for index in range(jobs):
        task(index)
    enqueue_seconds = time.perf_counter() - started
    assert huey.pending_count() == jobs, huey.pending_count()

    def drain(done):
        # A fresh storage connection per process, as huey's process workers make.
        worker_huey = SqliteHuey("bench", filename=path, timeout=60)
        worker_huey.task()(bench_tasks.noop)
        count = 0
        while True:
            message = worker_huey.dequeue()
            if message is None:
                break
            worker_huey.execute(message)
            count += 1
        done.put(count)

    executed = drain_with(workers, drain)
    assert executed == jobs, (executed, jobs)
    return enqueue_seconds, executed


def run_rq(jobs, workers, redis_port):
    from redis import Redis
    from rq import Queue
    from rq.worker import SimpleWorker

    connection = Redis(host="127.0.0.1", port=redis_port)
    connection.flushdb()
    queue = Queue("bench", connection=connection)

    started = time.perf_counter()
    for index in range(jobs):
        queue.enqueue(bench_tasks.noop, index, result_ttl=0)
    enqueue_seconds = time.perf_counter() - started
    assert queue.count == jobs, queue.count

    def drain(done):
        worker_connection = Redis(host="127.0.0.1", port=redis_port)
        worker_queue = Queue("bench", connection=worker_connection)
        worker = SimpleWorker([worker_queue], connection=worker_connection)
        worker.log.setLevel("WARNING")
        worker.work(burst=True, logging_level="WARNING")
        done.put(0)

    drain_with(workers, drain)
    failed = queue.failed_job_registry.count
    assert failed == 0 and queue.count == 0, (failed, queue.count)
    executed = jobs
    return enqueue_seconds, executed


def drain_with(workers, body):
    """Forks `workers` processes running `body` and returns the jobs they executed,
    with the drain time in the module-level `last_drain_seconds`."""
    global last_drain_seconds
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    started = time.perf_counter()
    processes = [context.Process(target=body, args=(done,)) for _ in range(workers)]
    for process in processes:
        process.start()
    executed = sum(done.get() for _ in processes)  # one answer per worker, when it is done
    last_drain_seconds = time.perf_counter() - started
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit("a worker failed")
    return executed


last_drain_seconds = 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--system", choices=["huey-sqlite", "rq-redis"], required=True)
    parser.add_argument("--redis-port", type=int, default=0)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="auris-bench-peers-") as directory:
        if arguments.system == "huey-sqlite":
            enqueue_seconds, executed = run_huey(arguments.jobs, arguments.workers, directory)
        else:
            enqueue_seconds, executed = run_rq(arguments.jobs, arguments.workers, arguments.redis_port)
    print(json.dumps({
        "bench": "queue",
        "system": arguments.system,
        "workers": arguments.workers,
        "jobs": executed,
        "jobs_per_second": round(executed / last_drain_seconds),
        "enqueue_per_second": round(arguments.jobs / enqueue_seconds),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
