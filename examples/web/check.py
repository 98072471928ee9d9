#!/usr/bin/env python3
"""The web example in headless Chromium against a running suite (scripts/example-client.sh runs it).

Registers a household through the Python stubs and takes it through one month (application, bifall, payment
planned and paid), serves examples/web on 127.0.0.1:WEB_PORT, an origin the suite lists in
server.cors_allowed_origins, and loads the page with a dev socialsekreterare token and the household in its
fragment. The page calls bistand over gRPC-Web; what it shows must be the household's case history as bistand
answers it to the Python stubs (every entry, with month, state and amount). Then the same page from
http://localhost:WEB_PORT, an origin the suite does not list, must fail: the browser refuses the call because
bistand's preflight answer allows no such origin.

  check.py --trappan target/debug/trappan --bistand-port 50051 --web-port 8080
"""

import argparse
import functools
import html.parser
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, os.environ.get("TRAPPAN_PY_STUBS", str(ROOT / "gen" / "python")))

import grpc  # noqa: E402
from trappan.bistand.v1 import bistand_pb2 as b, bistand_pb2_grpc as b_grpc  # noqa: E402
from trappan.common.v1 import common_pb2 as c  # noqa: E402

sys.path.insert(0, str(ROOT / "examples" / "python"))
from walkthrough import personnummer  # noqa: E402  (one Luhn rule for both examples)

CHROMIUM = "/usr/bin/chromium"
PAGE = ROOT / "examples" / "web"


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)


class Page(html.parser.HTMLParser):
    """The parts of the dumped DOM the check reads: the body's state, the status line, and the rows of the
    households and history tables, each as its data-* attributes and cell texts."""

    def __init__(self):
        super().__init__()
        self.state = None
        self.status = ""
        self.rows = {"household-rows": [], "history-rows": []}
        self._table = None
        self._row = None
        self._in_status = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.state = attrs.get("data-state")
        elif tag == "p" and attrs.get("id") == "status":
            self._in_status = True
        elif tag == "tbody" and attrs.get("id") in self.rows:
            self._table = attrs["id"]
        elif tag == "tr" and self._table:
            self._row = {"attrs": attrs, "cells": []}
        elif tag == "td" and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_status = False
        elif tag == "tbody":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.rows[self._table].append(self._row)
            self._row = None
        elif tag == "td" and self._cell is not None:
            self._row["cells"].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._in_status:
            self.status += data
        if self._cell is not None:
            self._cell += data


def seed(bistand, metadata):
    """A household with one month's case: application (housing 4 000 kr), bifall, payment planned and paid. The
    riksnorm tables cover 2019-2023; February 2023 keeps clear of the walkthrough's March."""
    def call(method, request):
        return getattr(bistand, method)(request, metadata=metadata, timeout=10)

    month = c.YearMonth(year=2023, month=2)
    household = call("CreateHousehold", b.CreateHouseholdRequest(
        request_id=str(uuid.uuid4()),
        household=b.Household(members=[b.HouseholdMember(
            person_identity_number=c.PersonIdentityNumber(value=personnummer(1990, 5, 14, random.randint(100, 899))), given_name="Webb", family_name="Exempelsson",
            role=b.MEMBER_ROLE_APPLICANT, member_from=month)]),
    )).household
    application = call("CreateApplication", b.CreateApplicationRequest(
        request_id=str(uuid.uuid4()),
        application=b.Application(household_id=household.household_id, month=month, income_verified=True,
                                  cost_lines=[b.CostLine(kind=b.COST_KIND_HOUSING, claimed=c.Money(ore=400_000))]),
    )).application
    decided_on = c.Date(year=2023, month=2, day=8)
    decision = call("DecideApplication", b.DecideApplicationRequest(
        request_id=str(uuid.uuid4()), application_id=application.application_id, outcome=b.DECISION_OUTCOME_GRANTED,
        decided_on=decided_on, notified_on=decided_on,
    )).decision
    pay_day = c.Date(year=2023, month=2, day=24)
    payment = call("CreatePayment", b.CreatePaymentRequest(
        request_id=str(uuid.uuid4()), decision_id=decision.decision_id, planned_on=pay_day)).payment
    call("MarkPaymentPaid", b.MarkPaymentPaidRequest(payment_id=payment.payment_id, paid_on=pay_day))
    return household.household_id


def kronor(money):
    """As the page writes an amount: 5 950,00 kr."""
    ore = money.ore
    whole = f"{abs(ore) // 100:,}".replace(",", " ")
    return f"{'-' if ore < 0 else ''}{whole},{abs(ore) % 100:02d} kr"


def month(ym):
    return f"{ym.year}-{ym.month:02d}"


def expected_rows(history):
    """(kind, month, state, amount, id) per history entry, as the page must show them."""
    rows = []
    for entry in history:
        which = entry.WhichOneof("entry")
        if which == "application":
            a = entry.application
            rows.append(("application", month(a.month), b.ApplicationState.Name(a.state).removeprefix("APPLICATION_STATE_"), "", a.application_id))
        elif which == "decision":
            d = entry.decision
            rows.append(("decision", month(d.month), b.DecisionOutcome.Name(d.outcome).removeprefix("DECISION_OUTCOME_"), kronor(d.granted), d.decision_id))
        elif which == "payment":
            p = entry.payment
            rows.append(("payment", month(p.month), b.PaymentStatus.Name(p.status).removeprefix("PAYMENT_STATUS_"), kronor(p.amount), p.payment_id))
        elif which == "referral":
            r = entry.referral
            rows.append(("referral", "", b.ReferralState.Name(r.state).removeprefix("REFERRAL_STATE_"), "", r.referral_id))
    return rows


def shown_rows(page):
    return [
        (row["attrs"].get("data-kind"), row["cells"][1], row["cells"][2], row["cells"][3], row["cells"][5])
        if len(row["cells"]) == 6
        else (row["attrs"].get("data-kind"),)
        for row in page.rows["history-rows"]
    ]


def serve_page(port):
    handler = functools.partial(QuietHandler, directory=str(PAGE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def load(url, wait_ms):
    """The page's DOM once it has settled: Chromium's virtual time does not advance while a request is
    pending, so the budget is spent only once the page's calls have answered."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                # Nothing outside this machine: loopback is never proxied, everything else goes nowhere.
                "--proxy-server=127.0.0.1:9",
                f"--user-data-dir={profile}", f"--virtual-time-budget={wait_ms}", "--dump-dom", url,
            ],
            capture_output=True, text=True, timeout=120,
        )
    check(done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    page = Page()
    page.feed(done.stdout)
    return page


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trappan", default=os.environ.get("TRAPPAN_BIN", "target/debug/trappan"))
    parser.add_argument("--bistand-port", type=int, default=int(os.environ.get("TRAPPAN__BISTAND__PORT", "50051")))
    parser.add_argument("--web-port", type=int, required=True)
    parser.add_argument("--kommun", default="0767")
    parser.add_argument("--wait-ms", type=int, default=20000)
    args = parser.parse_args()
    check(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    check((PAGE / "dist" / "app.js").exists(), "examples/web/dist/app.js is missing: run `make web`")

    token = subprocess.run(
        [args.trappan, "token", "--role", "socialsekreterare", "--kommun", args.kommun],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(f"127.0.0.1:{args.bistand_port}") as channel:
        bistand = b_grpc.BistandServiceStub(channel)
        household = seed(bistand, metadata)
        history = bistand.GetHouseholdHistory(
            b.GetHouseholdHistoryRequest(household_id=household, page_size=500), metadata=metadata, timeout=10
        ).entries
    expected = expected_rows(history)
    kinds = sorted(row[:3] for row in expected)
    wanted = [("application", "2023-02", "DECIDED"), ("decision", "2023-02", "GRANTED"), ("payment", "2023-02", "PAID")]
    check(kinds == wanted, f"bistand's history of the new household: {kinds}")

    server = serve_page(args.web_port)
    try:
        fragment = f"#endpoint=http://127.0.0.1:{args.bistand_port}&token={token}&household={household}"
        page = load(f"http://127.0.0.1:{args.web_port}/index.html{fragment}", args.wait_ms)
        check(page.state == "ready", f"the page did not finish: state {page.state!r}, status {page.status.strip()!r}")
        shown = shown_rows(page)
        check(shown == expected, f"the page shows\n  {shown}\nbistand answers\n  {expected}")
        listed = [row["attrs"].get("data-household") for row in page.rows["household-rows"]]
        check(household in listed, f"the household list lacks {household}: {listed}")
        print(f"web: the page (origin http://127.0.0.1:{args.web_port}) shows {len(shown)} history entries "
              f"of household {household} over gRPC-Web, as bistand answers them")
        for row in shown:
            print(f"    {row[0]:<12} {row[1]:<8} {row[2]:<20} {row[3]:>14}")

        refused = load(f"http://localhost:{args.web_port}/index.html{fragment}", args.wait_ms)
        check(refused.state == "error", f"from an origin not allowed the page should fail: state {refused.state!r}")
        check(not refused.rows["history-rows"], "from an origin not allowed the page shows history")
        print(f"web: from http://localhost:{args.web_port} (not allowed) the browser refuses: {refused.status.strip()}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    try:
        main()
    except Failed as failure:
        sys.exit(f"web: FAILED: {failure}")
