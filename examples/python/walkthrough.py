#!/usr/bin/env python3
"""A case from household to report, through the Python stubs of `make stubs`, against a running suite.

Registers a household in bistand, calculates its riksnorm, applies for a month, decides, plans and pays the
payment, records the applicant's consent and refers them to the labour-market unit (insatser), follows
bistand's change feed from rapport's cursor until it has seen its own events, and reads rapport's monthly
report. Each step is printed; any failure exits non-zero.

Tokens come from `trappan token --role ROLE --kommun KOD` (the suite's dev key, so run it with the same
TRAPPAN__DATA_DIR as the suite), one per role the calls need:
  socialsekreterare          bistand's case work
  system                     bistand's StreamChanges (the feed is rapport's: in development, without TLS,
                             the token names the workload, `--subject workload:rapport`)
  arbetsmarknadskoordinator  insatser's GetParticipant
  enhetschef                 rapport's reports and feed status

  python3 walkthrough.py --trappan target/debug/trappan      (or TRAPPAN_BIN; ports as TRAPPAN__<SVC>__PORT)
"""

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, os.environ.get("TRAPPAN_PY_STUBS", str(ROOT / "gen" / "python")))

try:
    import grpc
    from trappan.bistand.v1 import bistand_pb2 as b, bistand_pb2_grpc as b_grpc
    from trappan.common.v1 import common_pb2 as c
    from trappan.insatser.v1 import insatser_pb2 as i, insatser_pb2_grpc as i_grpc
    from trappan.rapport.v1 import rapport_pb2 as r, rapport_pb2_grpc as r_grpc
except ImportError as error:  # pragma: no cover - a setup problem, said plainly
    sys.exit(f"walkthrough: the stubs are missing ({error}); run `make stubs` and use .tools/py/bin/python")


class Failed(Exception):
    pass


def step(text):
    print(f"==> {text}", flush=True)


def info(text):
    print(f"    {text}", flush=True)


def check(condition, what):
    if not condition:
        raise Failed(what)


def new_id():
    return str(uuid.uuid4())


def personnummer(year, month, day, serial):
    """A valid 12-digit personnummer (YYYYMMDDNNNC, C the Luhn digit over YYMMDDNNN)."""
    body = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    total = 0
    for index, digit in enumerate(body):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{year:04d}{month:02d}{day:02d}{serial:03d}{(10 - total % 10) % 10}"


def kr(money):
    return f"{money.ore / 100:,.2f} kr".replace(",", " ")


class Suite:
    def __init__(self, args):
        self.args = args
        self.tokens = {}
        self.channels = {}

    def token(self, role):
        if role not in self.tokens:
            command = [self.args.trappan, "token", "--role", role, "--kommun", self.args.kommun]
            if role == "system":
                # Only rapport reads the feeds; with TLS it would be known by its certificate instead.
                command += ["--subject", "workload:rapport"]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise Failed(f"`{' '.join(command)}`: {error}") from None
            if done.returncode != 0:
                raise Failed(f"`{' '.join(command)}` failed: {done.stderr.strip()}")
            self.tokens[role] = done.stdout.strip()
            info(f"token for {role} ({len(self.tokens[role])} characters)")
        return self.tokens[role]

    def metadata(self, role):
        return (("authorization", f"Bearer {self.token(role)}"),)

    def channel(self, port):
        if port not in self.channels:
            self.channels[port] = grpc.insecure_channel(f"{self.args.host}:{port}")
        return self.channels[port]

    def call(self, stub_class, port, method, request, role):
        stub = stub_class(self.channel(port))
        try:
            return getattr(stub, method)(request, metadata=self.metadata(role), timeout=self.args.call_timeout)
        except grpc.RpcError as error:
            raise Failed(f"{method} as {role}: {error.code().name}: {error.details()}") from None

    def bistand(self, method, request, role="socialsekreterare"):
        return self.call(b_grpc.BistandServiceStub, self.args.bistand_port, method, request, role)

    def insatser(self, method, request, role="arbetsmarknadskoordinator"):
        return self.call(i_grpc.InsatserServiceStub, self.args.insatser_port, method, request, role)

    def rapport(self, method, request, role="enhetschef"):
        return self.call(r_grpc.RapportServiceStub, self.args.rapport_port, method, request, role)

    def close(self):
        for channel in self.channels.values():
            channel.close()


def eventually(what, check_once, seconds):
    """Polls check_once (every 200 ms) until it returns something truthy; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check_once()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {seconds} s waiting until {what}")
        time.sleep(0.2)


FEED_EVENTS = {
    f"trappan.bistand.v1.{name}": getattr(b, name)
    for name in ("HouseholdRegisteredEvent", "ReferralCreatedEvent", "DecisionMadeEvent", "PaymentStatusChangedEvent")
}


def follow_feed(suite, cursor, household_id, wanted):
    """Reads bistand's feed after `cursor` until every event kind in `wanted` was seen for the household."""
    seen = {}
    stream = b_grpc.BistandServiceStub(suite.channel(suite.args.bistand_port)).StreamChanges(
        b.StreamChangesRequest(after_sequence=cursor),
        metadata=suite.metadata("system"),
        timeout=suite.args.wait_seconds,
    )
    try:
        for item in stream:
            event = item.event
            check(event.sequence > cursor, f"the feed answered sequence {event.sequence} after cursor {cursor}")
            cursor = event.sequence
            message_type = FEED_EVENTS.get(event.payload.type_url.rsplit("/", 1)[-1])
            if message_type is None:
                continue
            payload = message_type()
            check(event.payload.Unpack(payload), f"event {event.sequence} unpacks as {message_type.__name__}")
            if payload.household_id != household_id:
                continue
            kind = message_type.__name__
            if kind == "PaymentStatusChangedEvent":
                kind = f"{kind}({b.PaymentStatus.Name(payload.status)})"
            info(f"feed #{event.sequence} {kind} at {event.occurred_at.ToJsonString()}")
            seen[kind] = event.sequence
            if wanted <= set(seen):
                return seen
    except grpc.RpcError as error:
        raise Failed(
            f"StreamChanges: {error.code().name}: {error.details()} (saw {sorted(seen)}, wanted {sorted(wanted)})"
        ) from None
    finally:
        stream.cancel()
    raise Failed(f"the feed ended before showing {sorted(wanted - set(seen))}")


def walkthrough(suite, args):
    year, month = (int(part) for part in args.month.split("-"))
    ym = c.YearMonth(year=year, month=month)
    birth = (1988, random.randint(1, 12), random.randint(1, 28))
    number = personnummer(*birth, random.randint(100, 899))

    step("tokens (trappan token)")
    for role in ("socialsekreterare", "system", "arbetsmarknadskoordinator", "enhetschef"):
        suite.token(role)

    step("cursor: how far rapport has followed bistand's feed (RapportService/GetFeedStatus)")
    feeds = suite.rapport("GetFeedStatus", r.GetFeedStatusRequest()).feeds
    cursor = next((feed.applied_sequence for feed in feeds if feed.producer == "bistand"), 0)
    info(f"bistand feed: rapport has applied up to #{cursor}; events of this walkthrough come after it")

    step("register a one-adult household (BistandService/CreateHousehold)")
    household = suite.bistand(
        "CreateHousehold",
        b.CreateHouseholdRequest(
            request_id=new_id(),
            household=b.Household(
                members=[
                    b.HouseholdMember(
                        person_identity_number=c.PersonIdentityNumber(value=number),
                        given_name="Alva",
                        family_name="Exempelsson",
                        role=b.MEMBER_ROLE_APPLICANT,
                        member_from=ym,
                    )
                ]
            ),
        ),
    ).household
    applicant = household.members[0]
    check(household.household_id and applicant.member_id, "the household and its member have identifiers")
    info(f"household {household.household_id}, applicant member {applicant.member_id}")

    step(f"riksnorm for {args.month} (BistandService/CalculateNorm)")
    breakdown = suite.bistand(
        "CalculateNorm",
        b.CalculateNormRequest(
            month=ym,
            persons=[b.NormPerson(role=b.MEMBER_ROLE_APPLICANT, birth_date=c.Date(year=birth[0], month=birth[1], day=birth[2]))],
        ),
    ).breakdown
    check(breakdown.total.ore > 0, "the norm is positive")
    for row in breakdown.rows:
        info(f"{row.item}: {kr(row.amount)}")
    info(f"norm total {kr(breakdown.total)}")

    step(f"apply for {args.month}: housing 5 000 kr, no income (BistandService/CreateApplication)")
    application = suite.bistand(
        "CreateApplication",
        b.CreateApplicationRequest(
            request_id=new_id(),
            application=b.Application(
                household_id=household.household_id,
                month=ym,
                cost_lines=[b.CostLine(kind=b.COST_KIND_HOUSING, claimed=c.Money(ore=500_000))],
                income_verified=True,
            ),
        ),
    ).application
    check(application.state == b.APPLICATION_STATE_WAITING_FOR_DECISION, "the application waits for a decision")
    info(f"application {application.application_id}: {b.ApplicationState.Name(application.state)}")

    step("decide: bifall (BistandService/DecideApplication)")
    decided_on = c.Date(year=year, month=month, day=10)
    decision = suite.bistand(
        "DecideApplication",
        b.DecideApplicationRequest(
            request_id=new_id(),
            application_id=application.application_id,
            outcome=b.DECISION_OUTCOME_GRANTED,
            decided_on=decided_on,
            notified_on=decided_on,
        ),
    ).decision
    check(decision.outcome == b.DECISION_OUTCOME_GRANTED, "the decision is a bifall")
    check(decision.granted.ore > 0, "a bifall grants an amount")
    info(f"decision {decision.decision_id}: granted {kr(decision.granted)} (norm {kr(breakdown.total)} and the approved housing)")

    step("plan and pay the payment (BistandService/CreatePayment, MarkPaymentPaid)")
    pay_day = c.Date(year=year, month=month, day=25)
    payment = suite.bistand(
        "CreatePayment",
        b.CreatePaymentRequest(request_id=new_id(), decision_id=decision.decision_id, planned_on=pay_day),
    ).payment
    check(payment.status == b.PAYMENT_STATUS_PLANNED, "the payment is planned")
    check(payment.amount.ore == decision.granted.ore, "the payment is the granted amount")
    info(f"payment {payment.payment_id}: {b.PaymentStatus.Name(payment.status)} {kr(payment.amount)}")
    paid = suite.bistand("MarkPaymentPaid", b.MarkPaymentPaidRequest(payment_id=payment.payment_id, paid_on=pay_day)).payment
    check(paid.status == b.PAYMENT_STATUS_PAID, "the payment is paid")
    info(f"payment {paid.payment_id}: {b.PaymentStatus.Name(paid.status)} on {paid.paid_on.year}-{paid.paid_on.month:02d}-{paid.paid_on.day:02d}")

    step("consent to referral and reporting back to the labour-market unit (BistandService/RecordConsent)")
    consent = suite.bistand(
        "RecordConsent",
        b.RecordConsentRequest(
            request_id=new_id(),
            consent=b.Consent(
                household_id=household.household_id,
                member_id=applicant.member_id,
                recipient_unit=b.RECIPIENT_UNIT_ARBETSMARKNADSENHETEN,
                scopes=[b.CONSENT_SCOPE_REFERRAL, b.CONSENT_SCOPE_REPORT_BACK],
                given_on=decided_on,
            ),
        ),
    ).consent
    info(f"consent {consent.consent_id}: {', '.join(b.ConsentScope.Name(s) for s in consent.scopes)}")

    step("refer to insatser (BistandService/CreateReferral), delivered by bistand's worker")
    referral = suite.bistand(
        "CreateReferral",
        b.CreateReferralRequest(
            request_id=new_id(),
            household_id=household.household_id,
            member_id=applicant.member_id,
            reason="Behöver stöd mot arbete",
        ),
    ).referral
    info(f"referral {referral.referral_id}: {b.ReferralState.Name(referral.state)}")

    def delivered():
        referrals = suite.bistand("ListReferrals", b.ListReferralsRequest(household_id=household.household_id)).referrals
        return next((x for x in referrals if x.referral_id == referral.referral_id and x.state == b.REFERRAL_STATE_DELIVERED), None)

    referral = eventually("insatser acknowledged the referral", delivered, args.wait_seconds)
    info(f"referral {referral.referral_id}: DELIVERED, insatser participant {referral.insatser_participant_id}")
    participant = suite.insatser("GetParticipant", i.GetParticipantRequest(participant_id=referral.insatser_participant_id)).participant
    check(participant.referral_id == referral.referral_id, "insatser's participant names bistand's referral")
    check(participant.person_identity_number.value == number, "insatser has the referred person")
    info(f"insatser participant {participant.participant_id}: {i.ReferralSource.Name(participant.source)}")

    step(f"follow bistand's change feed after #{cursor} (BistandService/StreamChanges) until this household's events")
    wanted = {
        "HouseholdRegisteredEvent",
        "DecisionMadeEvent",
        "PaymentStatusChangedEvent(PAYMENT_STATUS_PLANNED)",
        "PaymentStatusChangedEvent(PAYMENT_STATUS_PAID)",
        "ReferralCreatedEvent",
    }
    seen = follow_feed(suite, cursor, household.household_id, wanted)
    last = max(seen.values())
    info(f"all {len(wanted)} events seen, the last at #{last}")

    step(f"rapport's monthly report for {args.month} (RapportService/GetBistandReport)")

    def caught_up():
        feeds = suite.rapport("GetFeedStatus", r.GetFeedStatusRequest()).feeds
        return any(feed.producer == "bistand" and feed.applied_sequence >= last for feed in feeds)

    eventually(f"rapport has applied bistand's feed up to #{last}", caught_up, args.wait_seconds)
    report = suite.rapport("GetBistandReport", r.GetBistandReportRequest(month=ym))
    figures = report.current

    def count(people):
        return "suppressed (below the threshold)" if people.suppressed else str(people.value)

    info(f"registered households: {count(report.registered_households)}")
    info(f"granted households: {count(figures.granted_households)}, persons: {count(figures.persons)}")
    info(f"paid for {args.month}: {kr(figures.paid)}")
    check(figures.granted_households.suppressed or figures.granted_households.value >= 1, "rapport counts the granted household")
    check(figures.paid.ore >= paid.amount.ore or figures.granted_households.suppressed, "rapport counts the payment")
    step("done: the case went from household to rapport's report")


def main():
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trappan", default=env("TRAPPAN_BIN", str(ROOT / "target" / "debug" / "trappan")),
                        help="the trappan binary, for `trappan token` (env TRAPPAN_BIN)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bistand-port", type=int, default=int(env("TRAPPAN__BISTAND__PORT", "50051")))
    parser.add_argument("--insatser-port", type=int, default=int(env("TRAPPAN__INSATSER__PORT", "50052")))
    parser.add_argument("--rapport-port", type=int, default=int(env("TRAPPAN__RAPPORT__PORT", "50054")))
    parser.add_argument("--kommun", default="0767")
    parser.add_argument("--month", default="2023-03", help="the month applied for (YYYY-MM; riksnorm tables 2019-2023)")
    parser.add_argument("--call-timeout", type=float, default=30.0, help="seconds per unary call")
    parser.add_argument("--wait-seconds", type=float, default=60.0, help="bound on each wait (delivery, feed, rapport)")
    args = parser.parse_args()
    suite = Suite(args)
    try:
        walkthrough(suite, args)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        suite.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
