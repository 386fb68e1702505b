"""Locust baseline for the Coupon Lab API server: GET /hello, as fast as it is answered.

    locust -f load-test/locustfile-hello.py --headless -u 200 -r 200 -t 30s -H http://127.0.0.1:8080

/hello is the cheapest answer the server gives (no Redis, no MySQL). What a generator reaches here is the
ceiling of the pair "this generator + this server on this machine"; an issue run can only be compared with
it, never exceed it. See docs/load-testing.md.
"""

from locust import FastHttpUser, constant, task

import summary  # noqa: F401  (registers the listener that writes the totals for npm run load-locust)


class HelloUser(FastHttpUser):
    """A client firing GET /hello, the next request as soon as the last one is answered."""

    wait_time = constant(0)  # no think time: each user is one connection kept busy, like an autocannon connection

    @task
    def hello(self):
        self.client.get("/hello")
