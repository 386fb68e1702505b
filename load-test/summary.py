"""
Writes a run's totals as JSON when Locust quits, to the file COUPON_LAB_SUMMARY_FILE names (nothing without
it): what `npm run load:locust` reads. Taken from Locust's own statistics at the end of the run, which its
`--csv` files are not: Locust 2.12 rewrites them once a second and not again when the run stops, so they miss
up to the last second of requests (locustio/locust#1806, #2299). Imported by both locustfiles.
"""

import json
import os

from locust import events
from locust.runners import WorkerRunner


@events.quitting.add_listener
def write_summary(environment, **_):
    path = os.environ.get("COUPON_LAB_SUMMARY_FILE")
    if not path or isinstance(environment.runner, WorkerRunner):  # the master's statistics hold the workers'
        return
    total = environment.runner.stats.total
    percentile = total.get_response_time_percentile
    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "throughput": total.total_rps,  # requests over the time from the first to the last
        # In ms; Locust keeps times above 100 ms rounded to 10 ms, above 1 s to 100 ms.
        "latency": {"p50": percentile(0.5), "p90": percentile(0.9), "p99": percentile(0.99), "max": total.max_response_time}
        if total.num_requests
        else None,
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(summary, file)
