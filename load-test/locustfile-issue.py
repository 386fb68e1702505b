"""Locust flash crowd for the Coupon Lab API server: everyone presses "issue" on one coupon.

    locust -f load-test/locustfile-issue.py --headless -u 200 -r 200 -t 30s -H http://127.0.0.1:8080

Settings, each an environment variable or the command-line flag next to it (see docs/load-testing.md):

    COUPON_STRATEGY  --coupon-strategy  strategy in the path (default lua)
    COUPON_ID        --coupon-id        coupon to issue; empty: a fresh one is created at each test start
    COUPON_QUANTITY  --coupon-quantity  totalQuantity of that fresh coupon (default 100)
    USER_ID_MIN      --user-id-min      smallest user id sent (default 1)
    USER_ID_MAX      --user-id-max      largest user id sent (default 10,000,000)
    ADMIN_TOKEN      --admin-token      bearer token for creating the coupon, when the API has ADMIN_TOKEN set

Every request is a user never seen before in the run: no id is drawn twice, on one process or across workers.
"""

import itertools
import logging
import math
import random

import gevent
import requests
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

import summary  # registers the listener that writes the totals for npm run load-locust; counts the answers

EXPECTED_REFUSALS = {"COUPON_SOLD_OUT", "ALREADY_ISSUED"}

log = logging.getLogger("coupon-lab")


@events.init_command_line_parser.add_listener
def add_arguments(parser):
    # Custom arguments (rather than bare os.environ) because Locust forwards them from the master
    # to every worker with each spawn message: the master's settings are the ones that count.
    parser.add_argument("--coupon-strategy", env_var="COUPON_STRATEGY", default="lua", help="issue strategy")
    parser.add_argument("--coupon-id", env_var="COUPON_ID", default="", help="coupon to issue (empty: create one)")
    parser.add_argument("--coupon-quantity", env_var="COUPON_QUANTITY", type=int, default=100,
                        help="totalQuantity of the coupon created when --coupon-id is empty")
    parser.add_argument("--user-id-min", env_var="USER_ID_MIN", type=int, default=1, help="smallest user id sent")
    parser.add_argument("--user-id-max", env_var="USER_ID_MAX", type=int, default=10_000_000,
                        help="largest user id sent")
    # Kept out of the web UI's form, which shows every other option's value to whoever opens it.
    parser.add_argument("--admin-token", env_var="ADMIN_TOKEN", default="", include_in_web_ui=False,
                        help="bearer token for creating the coupon (the API's ADMIN_TOKEN, if it has one)")


class DistinctUsers:
    """
    The user ids of one run, each at most once, in an order that looks random.

    Why distinct: the original design drew random ids from 10,000,000, and by the birthday bound a run of
    100,000 requests then repeats about 500 of them. A repeat is answered ALREADY_ISSUED (or sold out) and
    counted as a success, so the crowd quietly becomes fewer people than the requests say, and a run no
    longer matches the bench and autocannon, which send a fresh user with every request. Distinct ids keep
    "N requests" meaning "N different people pressed issue", so rows in MySQL can be read against them.

    How: i -> lo + (a*i + c) mod n is a permutation of [lo, lo + n) whenever gcd(a, n) = 1. The master (or
    the lone process) picks a and c once per run; each process walks its own residue class of i, i = index,
    index + stride, index + 2*stride, ..., where index is its worker index and stride covers every index
    handed out when the run started, so two processes never reach the same i.
    """

    def __init__(self, lo, n, a, c, index, stride):
        self.lo, self.n, self.a, self.c = lo, n, a, c
        self.positions = itertools.count(index, stride)  # gevent switches only on I/O: next() is atomic here

    def next(self):
        i = next(self.positions)
        return None if i >= self.n else self.lo + (self.a * i + self.c) % self.n


run_users = None  # this process's DistinctUsers for the current run, set at test start
exhausted_logged = False


def own_process(environment):
    """True on the master or a lone runner: the process that creates the coupon and reads it back."""
    return not isinstance(environment.runner, WorkerRunner)


@events.test_start.add_listener
def start_run(environment, **_):
    global run_users
    run_users = None  # not the previous run's (the web UI starts many), whatever happens below
    if own_process(environment):
        environment.parsed_options.run_user_stride = None  # not the previous run's, whatever happens below
        if not (choose_coupon(environment) and choose_permutation(environment)):
            return
    if not isinstance(environment.runner, MasterRunner):  # the master itself sends nothing
        take_residue_class(environment)


def choose_coupon(environment):
    opts = environment.parsed_options
    opts.run_coupon_id = None  # not the previous run's coupon, whatever happens below
    coupon_id = opts.coupon_id
    if not coupon_id:
        # A fresh coupon per run, so a second run from the web UI does not hit one already sold out.
        try:
            response = requests.post(
                f"{environment.host}/v1/coupons",
                json={"title": "Locust flash crowd", "totalQuantity": opts.coupon_quantity},
                headers={"Authorization": f"Bearer {opts.admin_token}"} if opts.admin_token else {},
                timeout=10,
            )
            response.raise_for_status()
            coupon_id = str(response.json()["id"])
        except (requests.RequestException, ValueError, KeyError) as error:
            stop_at_once(environment, f"could not create a coupon at {environment.host}: {error}")
            return False
        log.info("created coupon %s with totalQuantity %s", coupon_id, opts.coupon_quantity)
    # Kept apart from --coupon-id so that "empty" still means "create one" on the next run. Every
    # attribute of parsed_options travels to the workers in the spawn message, these ones included.
    opts.run_coupon_id = coupon_id
    log.info("issuing coupon %s with strategy %s", coupon_id, opts.coupon_strategy)
    return True


def choose_permutation(environment):
    opts = environment.parsed_options
    n = opts.user_id_max - opts.user_id_min + 1
    if opts.user_id_min < 1 or n < 1:
        stop_at_once(environment, f"need 1 <= USER_ID_MIN <= USER_ID_MAX, got {opts.user_id_min} and {opts.user_id_max}")
        return False
    a = random.randrange(1, n) if n > 1 else 1
    while math.gcd(a, n) != 1:
        a = random.randrange(1, n)
    opts.run_user_a, opts.run_user_c = a, random.randrange(n)
    # Worker indexes count up from 0 as workers connect (Locust >= 2.11); a lone process is index 0 of 1.
    runner = environment.runner
    opts.run_user_stride = max(1, getattr(runner, "worker_index_max", 1)) if isinstance(runner, MasterRunner) else 1
    return True


def take_residue_class(environment):
    global run_users, exhausted_logged
    exhausted_logged = False
    opts = environment.parsed_options
    index = getattr(environment.runner, "worker_index", 0)
    stride = getattr(opts, "run_user_stride", None)
    if stride is None or getattr(opts, "run_coupon_id", None) is None:
        return  # the master is stopping the test; on_start stops each user
    if not 0 <= index < stride:
        # Joined after the run started (or a master older than 2.11 that sends no index): no residue class
        # is free, and sharing one would send the same users twice. Its users stop.
        log.error("worker index %s is outside the %s this run started with: this worker sends nothing", index, stride)
        return
    lo = opts.user_id_min
    run_users = DistinctUsers(lo, opts.user_id_max - lo + 1, opts.run_user_a, opts.run_user_c, index, stride)


def stop_at_once(environment, reason):
    # No coupon or no users, no test: stop now (after this handler returns) rather than report failures.
    log.error("%s", reason)
    environment.process_exit_code = 1
    gevent.spawn_later(0, environment.runner.quit if environment.parsed_options.headless else environment.runner.stop)


@events.test_stop.add_listener
def report_coupon(environment, **_):
    # The over-issue check in one line. With lua, pendingQuantity is what the consumer has yet to write.
    coupon_id = getattr(environment.parsed_options, "run_coupon_id", None)
    if not own_process(environment) or not coupon_id:
        return
    try:
        coupon = requests.get(f"{environment.host}/v1/coupons/{coupon_id}", timeout=10).json()
        issued, pending, total = coupon["issuedQuantity"], coupon["pendingQuantity"], coupon["totalQuantity"]
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("could not read coupon %s: %s", coupon_id, error)
        return
    verdict = "OVER-ISSUED" if issued + pending > total else "ok"
    log.info("coupon %s: issued %s + pending %s of %s: %s", coupon_id, issued, pending, total, verdict)


class IssueUser(FastHttpUser):
    """Presses "issue" for the run's coupon, each time as a user no one has sent yet."""

    wait_time = constant(0)  # no think time: each user is one connection kept busy, like an autocannon connection

    def on_start(self):
        # Read here, not at import: on a worker the master's options arrive with the spawn message.
        opts = self.environment.parsed_options
        if not getattr(opts, "run_coupon_id", None) or run_users is None:
            raise StopUser()  # the master is stopping the test, or this worker has no users of its own
        self.path = f"/v1/strategies/{opts.coupon_strategy}/coupons/{opts.run_coupon_id}/issues"

    @task
    def issue(self):
        global exhausted_logged
        user_id = run_users.next() if run_users else None
        if user_id is None:
            if not exhausted_logged:
                exhausted_logged = True
                log.warning("every user id of this process's share of USER_ID_MIN..USER_ID_MAX was sent: its users stop")
            raise StopUser()
        with self.client.post(self.path, json={"userId": user_id}, catch_response=True) as response:
            if response.status_code in (201, 202):  # issued (synchronous strategies) or accepted (lua)
                summary.record_answer(user_id, response.status_code, None)
                response.success()
                return
            try:
                code = response.json().get("code")
            except Exception:  # not JSON: a proxy error page, a reset connection, ...
                code = None
            summary.record_answer(user_id, response.status_code, code)
            if response.status_code == 409 and code in EXPECTED_REFUSALS:
                # Sold out and "you already have one" are the right answers once the coupon is gone.
                response.success()
            else:
                # 5xx (LOCK_TIMEOUT, SERVICE_UNAVAILABLE, crashes), 4xx that mean a misconfigured test
                # (wrong strategy, no such coupon, outside the issue window), timeouts: all failures.
                response.failure(f"{response.status_code} {code or ''}".strip())
