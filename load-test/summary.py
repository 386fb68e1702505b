"""
Writes a run's totals as JSON when Locust quits, to the file COUPON_LAB_SUMMARY_FILE names (nothing without
it): what `npm run load-locust` reads. Taken from Locust's own statistics at the end of the run, which its
`--csv` files are not: Locust 2.12 rewrites them once a second and not again when the run stops, so they miss
up to the last second of requests (locustio/locust#1806, #2299). Imported by both locustfiles.

With them, what the crowd was told (record_answer, called by locustfile-issue.py): `npm run load-locust`
judges Locust's coupon as the bench judges its own, and a user told yes must hold a row. Kept only when
COUPON_LAB_SUMMARY_FILE is set, so that a long run from the web UI does not keep every user it served.
"""

import json
import os

from locust import events
from locust.runners import WorkerRunner

SUMMARY_FILE = os.environ.get("COUPON_LAB_SUMMARY_FILE")
EXPECTED_REFUSALS = {"COUPON_SOLD_OUT": "soldOut", "ALREADY_ISSUED": "alreadyIssued"}

answers = {"success": 0, "soldOut": 0, "alreadyIssued": 0, "errors": {}}
successful_users = []


def record_answer(user_id, status, code):
    """Counts one answer as the bench's Tally does: 201/202, sold out, already issued, or an error by code."""
    if not SUMMARY_FILE:
        return
    if status in (201, 202):
        answers["success"] += 1
        successful_users.append(user_id)
    elif status == 409 and code in EXPECTED_REFUSALS:
        answers[EXPECTED_REFUSALS[code]] += 1
    else:
        key = code or (f"HTTP_{status}" if status else "CONNECTION_ERROR")
        answers["errors"][key] = answers["errors"].get(key, 0) + 1


@events.quitting.add_listener
def write_summary(environment, **_):
    if not SUMMARY_FILE or isinstance(environment.runner, WorkerRunner):  # the master's statistics hold the workers'
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
        # What this process's users were told: with workers the master sends nothing and knows none of it.
        "answers": answers,
        "successfulUsers": successful_users,
    }
    with open(SUMMARY_FILE, "w", encoding="utf-8") as file:
        json.dump(summary, file)
