"""A worker process's turn and its fetch gate (`teleo.pipeline.turn`, issue 18.6): one job's own work at
a time, the next job taken only when the last one let go of its turn (for its push) or ended."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from teleo.pipeline.turn import FetchGate, Turn


@dataclass
class Job:
    id: int
    task_name: str = "teleo.extract"


@dataclass
class Context:
    job: Job


class App:
    """Procrastinate's app as the gate sees it: its tasks, and a job manager whose `fetch_job` hands out
    the queued jobs in order."""

    def __init__(self, count: int) -> None:
        self.tasks = {"teleo.extract": object()}
        self.job_manager = self
        self.waiting = [Job(n) for n in range(1, count + 1)]
        self.fetched: list[int] = []

    async def fetch_job(self, queues=None, worker_id=None):
        job = self.waiting.pop(0) if self.waiting else None
        if job is not None:
            self.fetched.append(job.id)
        return job


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


class Running:
    """A job as Procrastinate runs it: a task of its own, through the gate's middleware, until `end()`."""

    def __init__(self, gate: FetchGate, job: Job) -> None:
        self.ended = asyncio.Event()
        self.task = asyncio.ensure_future(gate.around_job(self.ended.wait, Context(job), None))

    async def end(self) -> None:
        self.ended.set()
        await self.task


def test_the_next_job_is_fetched_only_once_the_last_one_let_go_or_ended():
    async def scenario() -> None:
        app, stop = App(3), asyncio.Event()
        gate = FetchGate(app, stop)
        first = Running(gate, await app.fetch_job(worker_id=1))
        second_fetch = asyncio.ensure_future(app.fetch_job(worker_id=1))
        await settle()
        assert not second_fetch.done() and app.fetched == [1]  # job 1 still holds its turn
        gate.freed()  # job 1 lets go for its push
        second = Running(gate, await second_fetch)
        assert app.fetched == [1, 2]
        third_fetch = asyncio.ensure_future(app.fetch_job(worker_id=1))
        await first.end()  # job 1's push done: job 2 still holds the turn
        await settle()
        assert not third_fetch.done() and app.fetched == [1, 2]
        await second.end()  # job 2 ends without letting go (a review, a failure)
        assert (await third_fetch).id == 3

    asyncio.run(scenario())


def test_a_fetch_that_finds_nothing_while_a_job_pushes_looks_again_once_that_job_is_finished():
    """What the pushing job's end makes ready (its review, a job its lock held back) is not missed —
    nor does a draining worker stop before its own jobs are done."""
    async def scenario() -> None:
        app, stop = App(1), asyncio.Event()
        gate = FetchGate(app, stop)
        first = Running(gate, await app.fetch_job(worker_id=1))
        gate.freed()
        looking = asyncio.ensure_future(app.fetch_job(worker_id=1))
        await settle()
        assert not looking.done() and app.fetched == [1]  # found nothing, job 1 still in hand: waits
        app.waiting.append(Job(9))  # job 1's follow-up, enqueued as it ends
        await first.end()
        assert (await looking).id == 9
        Running(gate, Job(9))
        gate.freed()
        nothing = asyncio.ensure_future(app.fetch_job(worker_id=1))
        await settle()
        assert not nothing.done()
        stop.set()
        assert await nothing is None

    asyncio.run(scenario())


def test_a_fetch_waiting_for_the_turn_takes_no_job_once_the_worker_stops():
    async def scenario() -> None:
        app, stop = App(2), asyncio.Event()
        gate = FetchGate(app, stop)
        Running(gate, await app.fetch_job(worker_id=1))
        waiting = asyncio.ensure_future(app.fetch_job(worker_id=1))
        await settle()
        stop.set()
        assert await waiting is None
        assert app.fetched == [1] and [j.id for j in app.waiting] == [2]

    asyncio.run(scenario())


def test_a_fetch_with_no_job_in_hand_returns_nothing_and_leaves_the_gate_open():
    async def scenario() -> None:
        app, stop = App(0), asyncio.Event()
        FetchGate(app, stop)
        assert await app.fetch_job(worker_id=1) is None
        app.waiting.append(Job(7))
        assert (await asyncio.wait_for(app.fetch_job(worker_id=1), 60)).id == 7

    asyncio.run(scenario())


def test_a_job_of_a_task_this_worker_does_not_know_does_not_hold_the_gate():
    """Procrastinate fails such a job without running it (nor the middleware): the gate must not wait for it."""
    async def scenario() -> None:
        app, stop = App(0), asyncio.Event()
        FetchGate(app, stop)
        app.waiting += [Job(1, "teleo.unknown"), Job(2)]
        assert (await app.fetch_job(worker_id=1)).id == 1
        assert (await asyncio.wait_for(app.fetch_job(worker_id=1), 60)).id == 2

    asyncio.run(scenario())


def test_a_job_lets_go_of_its_turn_for_its_push_and_takes_it_back_after_a_lost_lease():
    freed = []
    turn = Turn(on_free=lambda: freed.append(True))
    order: list[str] = []
    first_let_go, second_in, second_may_let_go, first_back = (threading.Event() for _ in range(4))

    def first() -> None:
        with turn.job():
            order.append("first works")
            turn.let_go()
            first_let_go.set()
            second_in.wait(60)
            turn.resume()  # a lost lease: waits until the second job lets go
            order.append("first again")
            first_back.set()

    def second() -> None:
        first_let_go.wait(60)
        with turn.job():
            order.append("second works")
            second_in.set()
            second_may_let_go.wait(60)
            order.append("second lets go")
            turn.let_go()
            turn.let_go()  # once per job: a second call changes nothing

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_in.wait(60)
    assert not first_back.wait(0.3)  # the second job holds the turn: the first waits
    second_may_let_go.set()
    for thread in threads:
        thread.join(60)
    assert order == ["first works", "second works", "second lets go", "first again"]
    assert freed == [True, True]
    with turn.job():  # nobody holds it any more
        pass
