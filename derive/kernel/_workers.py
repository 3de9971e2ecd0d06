"""Time limits that cannot corrupt state: the witnesses run in worker processes.

A witness's work is a list of stages (a strategy, a sample point) run in a worker process, each
under a time limit. A worker that overruns a stage is killed, that stage is recorded as timed
out, and the rest of the work goes on in a fresh worker. Nothing is interrupted inside the
kernel's own process, so no precision, cache or interval timer of the caller can be left half
restored; it works from any thread and on every OS (a worker is a plain ``python -m`` child
reading and writing length-prefixed pickles on its standard streams, with a reader thread per
worker on the kernel's side).

Workers run only the kernel's own task functions (``TASKS`` in ``_tasks``), named by string,
from the same derive the kernel was imported from. They live as long as the process that
started them and are reused, so each keeps its caches (``DERIVE_WORKERS`` sets how many stay).
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_HEADER = struct.Struct("!Q")


def write_frame(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream):
    """The next message, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _worker_count() -> int:
    configured = os.environ.get("DERIVE_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(2, os.cpu_count() or 2)


# The worker imports derive from where this process did, so that both run the same kernel.
_DERIVE_HOME = str(Path(__file__).resolve().parents[2])
# Set for a worker that may run a trusted operator's code (kernel._certificate.revive); such a
# worker serves one job and is stopped, so that code cannot reach the witnesses of other claims.
USER_CODE_VARIABLE = "DERIVE_RUN_TRUSTED_CODE"
# Time a fresh worker may take to start (imports) and take in its task, besides the stage's limit.
_START_SECONDS = 120.0


class _Worker:
    """One child process and the thread that reads its messages into a queue."""

    def __init__(self, inbox: queue.Queue, runs_user_code: bool = False):
        path = os.pathsep.join(filter(None, [_DERIVE_HOME, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, USER_CODE_VARIABLE: "1" if runs_user_code else ""}
        self.runs_user_code = runs_user_code
        self.process = subprocess.Popen([sys.executable, "-c", "from derive.kernel._tasks import serve; serve()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=env)
        self.inbox = inbox
        self.last_key: tuple = ()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                message = read_frame(self.process.stdout)
            except Exception:  # noqa: BLE001 - a stream that cannot be read is a worker lost
                message = None
            self.inbox.put((self, message))
            if message is None:
                return

    def send(self, message) -> bool:
        try:
            write_frame(self.process.stdin, message)
            return True
        except (OSError, ValueError):
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Pool:
    """Idle workers, reused across claims; more are started as concurrent work needs them. A
    task goes to the worker that last ran the same task where one is idle: its caches hold
    what the previous claim computed (a derivation's steps share their expressions)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []

    def take(self, inbox: queue.Queue, key: tuple, runs_user_code: bool = False) -> _Worker:
        """An idle worker that last ran a job of the same affinity, else any; a new one when
        none is idle, and always for a job that runs a trusted operator's code."""
        if runs_user_code:
            return _Worker(inbox, runs_user_code=True)
        with self.lock:
            self.idle = [w for w in self.idle if w.process.poll() is None]
            if self.idle:
                worker = max(self.idle, key=lambda w: w.last_key == key)
                self.idle.remove(worker)
                worker.inbox, worker.last_key = inbox, key
                return worker
        worker = _Worker(inbox)
        worker.last_key = key
        return worker

    def give_back(self, worker: _Worker) -> None:
        with self.lock:
            if not worker.runs_user_code and worker.process.poll() is None and len(self.idle) < _worker_count():
                self.idle.append(worker)
                return
        worker.kill()

    def warm(self) -> None:
        """Start the workers now, so that the first claim does not wait for their imports."""
        with self.lock:
            missing = _worker_count() - len(self.idle)
        started = [_Worker(queue.Queue()) for _ in range(missing)]
        with self.lock:
            self.idle += started

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.kill()


_POOL = _Pool()
atexit.register(_POOL.close)


def warm() -> None:
    _POOL.warm()


@dataclass
class Stage:
    """What became of one stage: 'ok' with the task's payload, 'timeout', or 'crash'; and how
    long it took."""

    index: int
    name: str
    kind: str
    payload: object = None
    seconds: float = 0.0
    limit: float = 0.0  # the seconds a stage may take, which a 'timeout' overran (by how much depends on the load)


@dataclass
class _Job:
    task: str
    args: tuple
    seconds: float
    key: tuple = ()
    runs_user_code: bool = False
    stages: list[Stage] = field(default_factory=list)
    worker: _Worker | None = None
    current: tuple[int, str] | None = None  # the stage under way
    began: float = 0.0
    deadline: float = 0.0
    done: bool = False
    failure: str | None = None

    def start(self, inbox: queue.Queue, skip: int) -> None:
        self.worker = _POOL.take(inbox, self.key, self.runs_user_code)
        self.current, self.deadline = (skip, "start"), time.monotonic() + _START_SECONDS + self.seconds
        if not self.worker.send((self.task, self.args, skip)):
            self._lose("crash")

    def _lose(self, kind: str, inbox: queue.Queue | None = None) -> None:
        """The worker overran or died in the current stage: record it and go on from the next
        stage in a fresh worker; one lost before any stage began ends the task."""
        index, name = self.current
        self.worker.kill()
        self.worker = None
        if inbox is None or name == "start":
            self.done = True
            self.failure = f"the worker {'took too long to start' if kind == 'timeout' else 'died'} (stage {index + 1})"
            return
        self.stages.append(Stage(index, name, kind, seconds=time.monotonic() - self.began, limit=self.seconds))
        self.start(inbox, index + 1)

    def receive(self, message, inbox: queue.Queue) -> None:
        if message is None:
            self._lose("crash", inbox)
            return
        kind = message[0]
        if kind == "begin":
            _, index, name = message
            self.began = time.monotonic()
            self.current, self.deadline = (index, name), self.began + self.seconds
        elif kind == "end":
            _, index, name, payload = message
            self.stages.append(Stage(index, name, "ok", payload, time.monotonic() - self.began))
        elif kind == "done":
            self.done = True
            _POOL.give_back(self.worker)
            self.worker = None
        elif kind == "failed":
            self.done, self.failure = True, message[1]
            _POOL.give_back(self.worker)
            self.worker = None

    def overran(self, inbox: queue.Queue) -> None:
        self._lose("timeout", inbox)


@dataclass(frozen=True)
class Job:
    """A task to run: its name in ``_tasks.TASKS``, its arguments, the seconds each stage may
    take, and an affinity: jobs of the same affinity prefer the same worker, whose caches hold
    what the previous one computed (the steps of a derivation share their expressions)."""

    task: str
    args: tuple
    seconds: float
    affinity: object = None
    runs_user_code: bool = False  # the claim holds a trusted operator: a worker of its own


def run(jobs: list[Job], concurrency: int | None = None) -> list[tuple[list[Stage], str | None]]:
    """Run the jobs, at most ``concurrency`` at a time (default: the number of workers), each in
    a worker of its own, and wait for all; for each, its stages in order and the failure of the
    task itself, if any."""
    inbox: queue.Queue = queue.Queue()
    limit = max(1, concurrency or _worker_count())
    pending = [_Job(job.task, job.args, job.seconds, key=(job.affinity,), runs_user_code=job.runs_user_code)
               for job in jobs]
    everything, running = list(pending), []

    def start_next(after: _Job | None) -> None:
        """The next job: one of the same affinity as the job just done (its worker is free and
        holds its caches), else one of an affinity no running job has, else the first."""
        if not pending:
            return
        busy = {job.key for job in running}
        same = [j for j in pending if after is not None and j.key == after.key]
        other = [j for j in pending if j.key not in busy]
        chosen = (same or other or pending)[0]
        pending.remove(chosen)
        running.append(chosen)
        chosen.start(inbox, 0)

    for _ in range(min(limit, len(pending))):
        start_next(None)
    while running:
        wait = max(0.0, min(job.deadline for job in running) - time.monotonic())
        try:
            worker, message = inbox.get(timeout=wait)
        except queue.Empty:
            now = time.monotonic()
            for job in [j for j in running if j.deadline <= now]:
                job.overran(inbox)
                if job.done:
                    running.remove(job)
                    start_next(job)
            continue
        owner = next((job for job in running if job.worker is worker), None)
        if owner is None:  # a message from a worker already killed
            continue
        owner.receive(message, inbox)
        if owner.done:
            running.remove(owner)
            start_next(owner)
    return [(job.stages, job.failure) for job in everything]
