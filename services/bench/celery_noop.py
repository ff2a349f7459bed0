"""The reference of `lawha bench jobs`: Celery 5 running no-op tasks through the same Redis, with 2 prefork
worker processes, timed from the first send until the last task has run (each task counts itself in Redis, the
counterpart of Lawha recording `JobSucceeded`).

    python3 celery_noop.py run REDIS_URL TASKS     # prints "celery: N tasks in S s: R tasks/s"
    python3 celery_noop.py worker REDIS_URL        # the worker the run starts (2 prefork processes)

Run by `lawha bench jobs` with the Python of target/venv, where it installs `celery[redis]>=5,<6`.
"""

import subprocess
import sys
import time

import redis
from celery import Celery

broker = sys.argv[2] if len(sys.argv) > 2 else "redis://127.0.0.1:6379/15"
app = Celery("lawha_bench_ref", broker=broker)
app.conf.update(worker_prefetch_multiplier=4, task_acks_late=False, worker_hijack_root_logger=False)
counter = redis.Redis.from_url(broker)
DONE = "lawha_bench_ref_done"


@app.task(name="noop", ignore_result=True)
def noop():
    counter.incr(DONE)


def run(tasks):
    worker = subprocess.Popen(
        [sys.executable, __file__, "worker", broker],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while not app.control.ping(timeout=0.5):
            if time.time() > deadline or worker.poll() is not None:
                sys.exit("celery: the worker did not start")
        counter.delete(DONE)
        started = time.time()
        for _ in range(tasks):
            noop.delay()
        while int(counter.get(DONE) or 0) < tasks:
            if time.time() - started > 300:
                sys.exit("celery: the tasks did not finish within 300 s")
            time.sleep(0.01)
        elapsed = time.time() - started
        print(f"celery: {tasks} tasks in {elapsed:.2f} s: {tasks / elapsed:.0f} tasks/s")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.control.purge()


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        app.worker_main(["worker", "--concurrency=2", "--pool=prefork", "--loglevel=WARNING", "--without-gossip",
                         "--without-mingle", "--without-heartbeat"])
    else:
        run(int(sys.argv[3]))
