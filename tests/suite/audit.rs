//! The dataskyddsombud's review and verification of the audit log, through `trappan.audit.v1.AuditService`
//! as every service serves it: filters, paging, the municipality boundary, the role boundary, the review's
//! own entry, and a chain that verifies until someone with the owner's rights changes an entry.

use std::collections::HashSet;

use tonic::service::interceptor::InterceptedService;
use trappan_api::audit::v1 as audit;
use trappan_api::audit::v1::audit_service_client::AuditServiceClient;
use trappan_api::bistand::v1 as bistand;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

use crate::common::{self, Authed, Bearer, KOMMUN, OTHER_KOMMUN, TestSuite};

const SERVICES: [ServiceKind; 4] =
    [ServiceKind::Bistand, ServiceKind::Insatser, ServiceKind::Ungsam, ServiceKind::Rapport];
const LIST_HOUSEHOLDS: &str = "/trappan.bistand.v1.BistandService/ListHouseholds";
const REVIEW: &str = "/trappan.audit.v1.AuditService/ReviewAuditLog";

fn audit_client(
    suite: &TestSuite,
    kind: ServiceKind,
    role: Role,
    kommun: &str,
    subject: &str,
) -> AuditServiceClient<Authed> {
    let token = suite.token_for(role, kommun, subject);
    AuditServiceClient::new(InterceptedService::new(suite.channel(kind), Bearer(Some(token))))
}

/// Every page of `request`'s entries, `page_size` at a time.
async fn all_pages(
    client: &mut AuditServiceClient<Authed>,
    request: audit::ReviewAuditLogRequest,
) -> Vec<Vec<audit::AuditEntry>> {
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .review_audit_log(audit::ReviewAuditLogRequest { page_token: token, ..request.clone() })
            .await
            .expect("review")
            .into_inner();
        pages.push(page.entries);
        if page.next_page_token.is_empty() {
            return pages;
        }
        token = page.next_page_token;
    }
}

async fn review(
    client: &mut AuditServiceClient<Authed>,
    request: audit::ReviewAuditLogRequest,
) -> Vec<audit::AuditEntry> {
    all_pages(client, request).await.concat()
}

/// `times` calls of ListHouseholds as an analytiker named `subject`, each refused and audited.
async fn refused_calls(suite: &TestSuite, kommun: &str, subject: &str, times: usize) {
    let mut client = suite.bistand_as(Role::Analytiker, kommun, subject);
    for _ in 0..times {
        let refused = client.list_households(bistand::ListHouseholdsRequest::default()).await.expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    }
}

fn micros(time: &Option<prost_types::Timestamp>) -> i64 {
    let time = time.as_ref().expect("a time");
    time.seconds * 1_000_000 + i64::from(time.nanos) / 1_000
}

/// Filters by actor, subject and RPC and period, pages without gaps or duplicates, never shows another
/// municipality's entries, and records each review as an entry of its own.
async fn the_dataskyddsombud_reviews_its_municipalitys_log(suite: TestSuite) -> TestSuite {
    let mut worker = suite.bistand_as(Role::Socialsekreterare, KOMMUN, "handlaggare-1");
    let first = common::applicant_household(&mut worker, &common::number((1980, 1, 1, 11))).await;
    let second = common::applicant_household(&mut worker, &common::number((1981, 2, 2, 12))).await;
    refused_calls(&suite, KOMMUN, "nyfiken", 7).await;
    let mut neighbour = suite.bistand_as(Role::Socialsekreterare, OTHER_KOMMUN, "granne");
    common::applicant_household(&mut neighbour, &common::number((1982, 3, 3, 13))).await;
    refused_calls(&suite, OTHER_KOMMUN, "nyfiken", 2).await;

    let mut ombud = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, KOMMUN, "ombud-1");

    // Actor, with paging: 7 entries in pages of 3, newest first, none twice, none left out.
    let by_actor = audit::ReviewAuditLogRequest { actor: "nyfiken".into(), page_size: 3, ..Default::default() };
    let pages = all_pages(&mut ombud, by_actor.clone()).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let paged: Vec<audit::AuditEntry> = pages.concat();
    let whole = review(&mut ombud, audit::ReviewAuditLogRequest { page_size: 500, ..by_actor.clone() }).await;
    assert_eq!(paged, whole, "paging neither skips nor repeats an entry");
    assert_eq!(paged.iter().map(|e| e.id.as_str()).collect::<HashSet<_>>().len(), 7, "only this kommun's seven");
    let mut ids: Vec<uuid::Uuid> = paged.iter().map(|e| e.id.parse().expect("uuid")).collect();
    let newest_first = ids.clone();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");
    for entry in &paged {
        assert_eq!(
            (entry.actor.as_str(), entry.role.as_str(), entry.rpc.as_str(), entry.outcome.as_str()),
            ("nyfiken", "analytiker", LIST_HOUSEHOLDS, "refused")
        );
        assert_eq!((entry.subject_kind.as_str(), entry.subject_ref.as_str()), ("rpc", ""));
    }

    // Subject: the first household's entries, and none of the second's.
    let by_subject = audit::ReviewAuditLogRequest {
        subject_kind: "household".into(),
        subject_ref: first.household_id.clone(),
        ..Default::default()
    };
    let about_first = review(&mut ombud, by_subject).await;
    assert!(about_first.iter().any(|e| e.outcome == "created" && e.actor == "handlaggare-1"), "{about_first:?}");
    assert!(about_first.iter().all(|e| e.subject_ref == first.household_id && e.subject_kind == "household"));
    let about_second = review(
        &mut ombud,
        audit::ReviewAuditLogRequest { subject_ref: second.household_id.clone(), ..Default::default() },
    )
    .await;
    assert!(!about_second.is_empty() && about_second.iter().all(|e| e.subject_ref == second.household_id));

    // RPC: the case worker's creations, never the neighbouring municipality's.
    let creations = review(
        &mut ombud,
        audit::ReviewAuditLogRequest {
            rpc: "/trappan.bistand.v1.BistandService/CreateHousehold".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(!creations.is_empty());
    assert!(creations.iter().all(|e| e.actor == "handlaggare-1"), "{creations:?}");

    // Period: [from, until) over the refused calls' own times.
    let from = paged[5].occur_time;
    let until = paged[1].occur_time;
    let expected: Vec<&audit::AuditEntry> = paged
        .iter()
        .filter(|e| micros(&e.occur_time) >= micros(&from) && micros(&e.occur_time) < micros(&until))
        .collect();
    assert!(!expected.is_empty());
    let in_period =
        review(&mut ombud, audit::ReviewAuditLogRequest { from_time: from, until_time: until, ..by_actor.clone() })
            .await;
    assert_eq!(in_period.iter().collect::<Vec<_>>(), expected);

    // The neighbouring municipality's dataskyddsombud sees its own entries only.
    let mut other = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, OTHER_KOMMUN, "ombud-2");
    assert_eq!(review(&mut other, by_actor.clone()).await.len(), 2);
    let foreign =
        review(&mut other, audit::ReviewAuditLogRequest { actor: "handlaggare-1".into(), ..Default::default() });
    assert!(foreign.await.is_empty(), "another kommun's entries are never visible");
    assert!(
        review(&mut ombud, audit::ReviewAuditLogRequest { actor: "granne".into(), ..Default::default() })
            .await
            .is_empty()
    );

    // The reviews themselves: each one an entry naming the dataskyddsombud.
    let mut checker = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, KOMMUN, "ombud-3");
    review(&mut checker, audit::ReviewAuditLogRequest::default()).await;
    let reviews =
        review(&mut ombud, audit::ReviewAuditLogRequest { actor: "ombud-3".into(), ..Default::default() }).await;
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(
        (
            reviews[0].rpc.as_str(),
            reviews[0].role.as_str(),
            reviews[0].subject_kind.as_str(),
            reviews[0].outcome.as_str()
        ),
        (REVIEW, "dataskyddsombud", "audit_log", "read")
    );

    // A page token this service did not issue is refused.
    let bad = ombud
        .review_audit_log(audit::ReviewAuditLogRequest { page_token: "not-a-token".into(), ..Default::default() })
        .await
        .expect_err("invalid");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    suite
}
common::backend_tests!(the_dataskyddsombud_reviews_its_municipalitys_log);

/// Every service serves the review for its own log, to the dataskyddsombud only; the dataskyddsombud is
/// refused every other RPC, and the refusals are in the log it reviews.
async fn only_the_dataskyddsombud_reviews_and_it_reads_nothing_else(suite: TestSuite) -> TestSuite {
    for kind in SERVICES {
        let mut ombud = audit_client(&suite, kind, Role::Dataskyddsombud, KOMMUN, "ombud-1");
        ombud.review_audit_log(audit::ReviewAuditLogRequest::default()).await.expect("the dataskyddsombud reviews");
        ombud.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect("the dataskyddsombud verifies");
        for role in Role::ALL.into_iter().filter(|role| *role != Role::Dataskyddsombud) {
            let mut client = audit_client(&suite, kind, role, KOMMUN, "tester");
            let review = client.review_audit_log(audit::ReviewAuditLogRequest::default()).await.expect_err("refused");
            assert_eq!(review.code(), tonic::Code::PermissionDenied, "{kind} {}", role.name());
            let verify = client.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect_err("refused");
            assert_eq!(verify.code(), tonic::Code::PermissionDenied, "{kind} {}", role.name());
        }
    }
    let mut households = suite.bistand_as(Role::Dataskyddsombud, KOMMUN, "ombud-1");
    let refused = households.list_households(bistand::ListHouseholdsRequest::default()).await.expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let mut ombud = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, KOMMUN, "ombud-1");
    let own = review(
        &mut ombud,
        audit::ReviewAuditLogRequest { actor: "ombud-1".into(), rpc: LIST_HOUSEHOLDS.into(), ..Default::default() },
    )
    .await;
    assert_eq!(own.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>(), ["refused"]);
    suite
}
common::backend_tests!(only_the_dataskyddsombud_reviews_and_it_reads_nothing_else);

/// VerifyAuditLog reports the caller's municipality's chain intact, then the first changed entry once
/// someone with the owner's rights has changed it behind the triggers; the other municipality's chain
/// stays intact.
async fn verify_reports_an_intact_chain_and_then_the_tampered_entry(suite: TestSuite) -> TestSuite {
    use sea_orm::ConnectionTrait;
    refused_calls(&suite, KOMMUN, "nyfiken", 4).await;
    refused_calls(&suite, OTHER_KOMMUN, "nyfiken", 1).await;
    let mut ombud = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, KOMMUN, "ombud-1");
    let mut other = audit_client(&suite, ServiceKind::Bistand, Role::Dataskyddsombud, OTHER_KOMMUN, "ombud-2");

    let intact = ombud.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect("verify").into_inner();
    assert_eq!(
        intact,
        audit::VerifyAuditLogResponse {
            intact: true,
            verified_entries: 4,
            broken_seq: 0,
            break_reason: audit::BreakReason::Unspecified.into()
        },
        "the four refusals, all sealed"
    );
    let again = ombud.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect("verify").into_inner();
    assert_eq!((again.intact, again.verified_entries), (true, 5), "the first verification is in the chain too");

    let db = suite.database(ServiceKind::Bistand).await;
    let disable = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        _ => "DROP TRIGGER audit_log_seal_once",
    };
    db.execute_unprepared(disable).await.expect("an owner disables the trigger");
    let tamper = format!("UPDATE audit_log SET actor = 'someone-else' WHERE kommun = '{KOMMUN}' AND chain_seq = 2");
    assert_eq!(db.execute_unprepared(&tamper).await.expect("tamper").rows_affected(), 1);
    db.close().await.expect("close");

    let broken = ombud.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect("verify").into_inner();
    assert_eq!(
        broken,
        audit::VerifyAuditLogResponse {
            intact: false,
            verified_entries: 1,
            broken_seq: 2,
            break_reason: audit::BreakReason::HashMismatch.into()
        }
    );
    let untouched = other.verify_audit_log(audit::VerifyAuditLogRequest {}).await.expect("verify").into_inner();
    assert_eq!((untouched.intact, untouched.verified_entries), (true, 1), "another kommun's chain is its own");
    suite
}
common::backend_tests!(verify_reports_an_intact_chain_and_then_the_tampered_entry);
