"""Locust load test for the Coupon Lab API server.

Pick the user class on the command line (see load-test/README.md):

    locust -f load-test/locustfile.py HelloUser   # GET /hello, the baseline
    locust -f load-test/locustfile.py IssueUser   # a flash crowd issuing one coupon

Settings, each an environment variable or the command-line flag next to it:

    COUPON_STRATEGY  --coupon-strategy  strategy in the path (default lua)
    COUPON_ID        --coupon-id        coupon to issue; empty: a fresh one is created at each test start
    COUPON_QUANTITY  --coupon-quantity  totalQuantity of that fresh coupon (default 100)
"""

import logging
import random

import gevent
import requests
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import WorkerRunner

MAX_USER_ID = 10_000_000  # as in the original design: collisions are rare, and answered ALREADY_ISSUED
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


def issuing(environment):
    """True on the master or a lone runner when this run issues coupons, so HelloUser runs create none."""
    return not isinstance(environment.runner, WorkerRunner) and any(
        issubclass(cls, IssueUser) for cls in environment.user_classes
    )


@events.test_start.add_listener
def choose_coupon(environment, **_):
    if not issuing(environment):
        return
    opts = environment.parsed_options
    opts.run_coupon_id = None  # not the previous run's coupon, whatever happens below
    coupon_id = opts.coupon_id
    if not coupon_id:
        # A fresh coupon per run, so a second run from the web UI does not hit one already sold out.
        try:
            response = requests.post(
                f"{environment.host}/v1/coupons",
                json={"title": "Locust flash crowd", "totalQuantity": opts.coupon_quantity},
                timeout=10,
            )
            response.raise_for_status()
            coupon_id = str(response.json()["id"])
        except (requests.RequestException, ValueError, KeyError) as error:
            # No coupon, no test: stop now (after this handler returns) rather than report failures.
            log.error("could not create a coupon at %s: %s", environment.host, error)
            environment.process_exit_code = 1
            gevent.spawn_later(0, environment.runner.quit if opts.headless else environment.runner.stop)
            return
        log.info("created coupon %s with totalQuantity %s", coupon_id, opts.coupon_quantity)
    # Kept apart from --coupon-id so that "empty" still means "create one" on the next run. Every
    # attribute of parsed_options travels to the workers in the spawn message, this one included.
    opts.run_coupon_id = coupon_id
    log.info("issuing coupon %s with strategy %s", coupon_id, opts.coupon_strategy)


@events.test_stop.add_listener
def report_coupon(environment, **_):
    # The over-issue check in one line. With lua, pendingQuantity is what the consumer has yet to write.
    coupon_id = getattr(environment.parsed_options, "run_coupon_id", None)
    if not issuing(environment) or not coupon_id:
        return
    try:
        coupon = requests.get(f"{environment.host}/v1/coupons/{coupon_id}", timeout=10).json()
        issued, pending, total = coupon["issuedQuantity"], coupon["pendingQuantity"], coupon["totalQuantity"]
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("could not read coupon %s: %s", coupon_id, error)
        return
    verdict = "OVER-ISSUED" if issued + pending > total else "ok"
    log.info("coupon %s: issued %s + pending %s of %s: %s", coupon_id, issued, pending, total, verdict)


class HelloUser(FastHttpUser):
    """The baseline: the cheapest answer the server gives, no Redis, no MySQL."""

    wait_time = constant(0)  # no think time: every user is a client firing as fast as it is answered

    @task
    def hello(self):
        self.client.get("/hello")


class IssueUser(FastHttpUser):
    """Everyone presses "issue" for the same coupon, each time as a random user."""

    wait_time = constant(0)

    def on_start(self):
        # Read here, not at import: on a worker the master's options arrive with the spawn message.
        opts = self.environment.parsed_options
        if not getattr(opts, "run_coupon_id", None):
            raise StopUser()  # the master could not create the coupon and is stopping the test
        self.path = f"/v1/strategies/{opts.coupon_strategy}/coupons/{opts.run_coupon_id}/issues"

    @task
    def issue(self):
        user_id = random.randint(1, MAX_USER_ID)
        with self.client.post(self.path, json={"userId": user_id}, catch_response=True) as response:
            if response.status_code in (201, 202):  # issued (synchronous strategies) or accepted (lua)
                response.success()
                return
            try:
                code = response.json().get("code")
            except Exception:  # not JSON: a proxy error page, a reset connection, ...
                code = None
            if response.status_code == 409 and code in EXPECTED_REFUSALS:
                # Sold out and "you already have one" are the right answers once the coupon is gone.
                response.success()
            else:
                # 5xx (LOCK_TIMEOUT, SERVICE_UNAVAILABLE, crashes), 4xx that mean a misconfigured test
                # (wrong strategy, no such coupon, outside the issue window), timeouts: all failures.
                response.failure(f"{response.status_code} {code or ''}".strip())
