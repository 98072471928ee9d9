//! The thin slice through every service, on SQLite and on PostgreSQL: bistand stores a household
//! (validated, idempotent, audited, tenant-scoped); a referral reaches insatser over gRPC, later when
//! insatser is down, never twice, and never without consent; ungsam stores a young person; rapport
//! consumes bistand's feed and answers a count; the change feed resumes from a cursor.

use crate::common;

use common::{KOMMUN, OTHER_KOMMUN, TestSuite, backend_tests, count_rows, eventually, new_request_id, number};
use futures::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::{Date, PersonIdentityNumber, YearMonth};
use trappan_api::insatser::v1 as insatser;
use trappan_api::rapport::v1 as rapport;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::{Role, Workload};
use trappan_platform::config::ServiceKind;

fn household_request(request_id: &str, applicant: &str) -> bistand::CreateHouseholdRequest {
    bistand::CreateHouseholdRequest {
        request_id: request_id.into(),
        household: Some(bistand::Household {
            members: vec![
                common::member(applicant, bistand::MemberRole::Applicant),
                common::member(&trappan::demo::demo_personnummer(2015, 3, 12, 0), bistand::MemberRole::Child),
            ],
            ..Default::default()
        }),
    }
}

async fn create_household(suite: &TestSuite, kommun: &str, serial: u32) -> bistand::Household {
    suite
        .bistand(Role::Socialsekreterare, kommun)
        .create_household(household_request(&new_request_id(), &number((1981, 12, 18, serial))))
        .await
        .expect("household created")
        .into_inner()
        .household
        .expect("household")
}

async fn a_household_is_stored_once_audited_and_visible_only_to_its_municipality(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let request_id = new_request_id();
    let first = client.create_household(household_request(&request_id, "811218-9876")).await.expect("created");
    let again = client.create_household(household_request(&request_id, "811218-9876")).await.expect("replayed");
    let household = first.into_inner().household.expect("household");
    assert_eq!(household.household_id, again.into_inner().household.expect("household").household_id);
    assert_eq!(household.kommun, KOMMUN);
    assert_eq!(household.members[0].person_identity_number.as_ref().expect("pnr").value, "198112189876");

    let read = client
        .get_household(bistand::GetHouseholdRequest { household_id: household.household_id.clone() })
        .await
        .expect("read");
    assert_eq!(read.into_inner().household.expect("household").members.len(), 2);

    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "household").await, 1, "a retried create stores nothing twice");
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'created'").await, 1);
    assert_eq!(count_rows(&db, "audit_log WHERE outcome = 'read'").await, 1, "the read is audited");

    let mut other = suite.bistand(Role::Socialsekreterare, OTHER_KOMMUN);
    let refused = other
        .get_household(bistand::GetHouseholdRequest { household_id: household.household_id.clone() })
        .await
        .expect_err("another municipality cannot read it");
    assert_eq!(refused.code(), Code::NotFound);
    let listed = other.list_households(bistand::ListHouseholdsRequest::default()).await.expect("list");
    assert!(listed.into_inner().households.is_empty());
    suite
}
backend_tests!(a_household_is_stored_once_audited_and_visible_only_to_its_municipality);

async fn invalid_input_names_the_fields_and_stores_nothing(suite: TestSuite) -> TestSuite {
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut request = household_request(&new_request_id(), "811218-9875");
    if let Some(household) = request.household.as_mut() {
        household.members[1].given_name.clear();
    }
    let status = client.create_household(request).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert!(fields.contains(&"household.members[0].person_identity_number".to_string()), "{fields:?}");
    assert!(fields.contains(&"household.members[1].given_name".to_string()), "{fields:?}");
    assert!(!status.message().contains("811218"), "no identity number in error messages");
    let missing_id = client.create_household(household_request("", "811218-9876")).await.expect_err("no id");
    assert_eq!(missing_id.code(), Code::InvalidArgument);
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "household").await, 0);
    assert_eq!(count_rows(&db, "household_member").await, 0);
    suite
}
backend_tests!(invalid_input_names_the_fields_and_stores_nothing);

async fn households_page_newest_first_without_gaps(suite: TestSuite) -> TestSuite {
    let mut created = Vec::new();
    for serial in 0..7 {
        created.push(create_household(&suite, KOMMUN, 100 + serial).await.household_id);
    }
    let mut client = suite.bistand(Role::Enhetschef, KOMMUN);
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_households(bistand::ListHouseholdsRequest {
                page_size: 3,
                page_token: token.clone(),
                only_mine: false,
            })
            .await
            .expect("page")
            .into_inner();
        seen.extend(page.households.into_iter().map(|h| h.household_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    created.reverse();
    assert_eq!(seen, created);
    let bad = client
        .list_households(bistand::ListHouseholdsRequest {
            page_size: 3,
            page_token: "garbage".into(),
            only_mine: false,
        })
        .await
        .expect_err("bad token");
    assert_eq!(bad.code(), Code::InvalidArgument);
    suite
}
backend_tests!(households_page_newest_first_without_gaps);

async fn consent(suite: &TestSuite, household: &bistand::Household) -> bistand::Consent {
    suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .record_consent(bistand::RecordConsentRequest {
            request_id: new_request_id(),
            consent: Some(bistand::Consent {
                household_id: household.household_id.clone(),
                member_id: household.members[0].member_id.clone(),
                recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                scopes: vec![bistand::ConsentScope::Referral as i32],
                given_on: Some(Date { year: 2020, month: 3, day: 2 }),
                ..Default::default()
            }),
        })
        .await
        .expect("consent")
        .into_inner()
        .consent
        .expect("consent")
}

fn referral_request(household: &bistand::Household) -> bistand::CreateReferralRequest {
    bistand::CreateReferralRequest {
        request_id: new_request_id(),
        household_id: household.household_id.clone(),
        member_id: household.members[0].member_id.clone(),
        reason: "arbetsträning".into(),
    }
}

async fn a_referral_needs_consent_and_reaches_insatser_once_even_when_it_was_down(mut suite: TestSuite) -> TestSuite {
    let household = create_household(&suite, KOMMUN, 200).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let refused = client.create_referral(referral_request(&household)).await.expect_err("no consent");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(count_rows(&suite.database(ServiceKind::Bistand).await, "referral").await, 0);

    consent(&suite, &household).await;
    suite.stop(ServiceKind::Insatser).await;
    let referral = client
        .create_referral(referral_request(&household))
        .await
        .expect("referral accepted while insatser is down")
        .into_inner()
        .referral
        .expect("referral");
    assert_eq!(referral.state, bistand::ReferralState::Pending as i32);
    suite.wait_for_failed_delivery(ServiceKind::Bistand).await;
    suite.restart(ServiceKind::Insatser).await;

    suite.wait_for_referral(&household.household_id, bistand::ReferralState::Delivered).await;
    let delivered = suite.referrals(&household.household_id).await.remove(0);
    assert!(!delivered.insatser_participant_id.is_empty());

    // Delivered again (a retry after a lost acknowledgement): still one participant.
    let mut system = suite.insatser_from(Workload::Bistand, KOMMUN);
    let again = system
        .receive_referral(insatser::ReceiveReferralRequest {
            referral_id: referral.referral_id.clone(),
            source: insatser::ReferralSource::EkonomisktBistand as i32,
            person_identity_number: Some(PersonIdentityNumber { value: number((1981, 12, 18, 200)) }),
            given_name: "Test".into(),
            family_name: "Testsson".into(),
            consent_id: referral.consent_id.clone(),
            report_back_allowed: false,
            reason: "arbetsträning".into(),
        })
        .await
        .expect("replayed")
        .into_inner()
        .participant
        .expect("participant");
    assert_eq!(again.participant_id, delivered.insatser_participant_id);
    let participants = suite
        .insatser(Role::Arbetsmarknadskoordinator, KOMMUN)
        .list_participants(insatser::ListParticipantsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .participants;
    assert_eq!(participants.len(), 1);
    assert_eq!(participants[0].source, insatser::ReferralSource::EkonomisktBistand as i32);
    suite
}
backend_tests!(a_referral_needs_consent_and_reaches_insatser_once_even_when_it_was_down);

async fn a_consent_withdrawn_before_delivery_cancels_the_referral(mut suite: TestSuite) -> TestSuite {
    let household = create_household(&suite, KOMMUN, 300).await;
    let given = consent(&suite, &household).await;
    suite.stop(ServiceKind::Insatser).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    client.create_referral(referral_request(&household)).await.expect("referral");
    client
        .withdraw_consent(bistand::WithdrawConsentRequest {
            consent_id: given.consent_id.clone(),
            withdrawn_on: Some(Date { year: 2020, month: 4, day: 1 }),
        })
        .await
        .expect("withdrawn");
    suite.restart(ServiceKind::Insatser).await;
    suite.wait_for_referral(&household.household_id, bistand::ReferralState::Cancelled).await;
    assert_eq!(count_rows(&suite.database(ServiceKind::Insatser).await, "participant").await, 0);
    suite
}
backend_tests!(a_consent_withdrawn_before_delivery_cancels_the_referral);

async fn the_change_feed_resumes_from_a_cursor_without_gaps_or_duplicates(suite: TestSuite) -> TestSuite {
    for serial in 0..5 {
        create_household(&suite, KOMMUN, 400 + serial).await;
    }
    create_household(&suite, OTHER_KOMMUN, 499).await;
    let mut feed = suite.bistand_from(Workload::Rapport, KOMMUN);
    let take = |after: u64, n: usize| {
        let mut feed = feed.clone();
        async move {
            let stream = feed
                .stream_changes(bistand::StreamChangesRequest { after_sequence: after })
                .await
                .expect("stream")
                .into_inner();
            stream.take(n).map(|m| m.expect("event").event.expect("event")).collect::<Vec<_>>().await
        }
    };
    let all = take(0, 5).await;
    let sequences: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "ordered: {sequences:?}");
    assert!(all.iter().all(|e| e.kommun == KOMMUN), "only the caller's municipality");
    let resumed = take(sequences[2], 2).await;
    assert_eq!(resumed.iter().map(|e| e.sequence).collect::<Vec<_>>(), sequences[3..].to_vec());
    // A stream that has caught up follows new commits: once it has handed over the commit made after it
    // opened, it has read everything there was, and must still deliver the next one.
    let mut follower = feed
        .stream_changes(bistand::StreamChangesRequest { after_sequence: sequences[4] })
        .await
        .expect("stream")
        .into_inner();
    let within = std::time::Duration::from_secs(30);
    create_household(&suite, KOMMUN, 440).await;
    let caught_up = tokio::time::timeout(within, follower.message()).await.expect("the first commit within 30 s");
    let caught_up = caught_up.expect("event").expect("open").event.expect("event");
    assert!(caught_up.sequence > sequences[4]);
    create_household(&suite, KOMMUN, 450).await;
    let next = tokio::time::timeout(within, follower.message()).await.expect("the next commit within 30 s");
    let next = next.expect("event").expect("open").event.expect("event");
    assert!(next.sequence > caught_up.sequence);
    let payload = next.payload.as_ref().expect("payload");
    assert!(payload.type_url.ends_with("trappan.bistand.v1.HouseholdRegisteredEvent"));
    let event =
        <bistand::HouseholdRegisteredEvent as prost::Message>::decode(payload.value.as_slice()).expect("decodes");
    assert_eq!((event.persons, event.adults, event.children), (2, 1, 1));
    suite
}
backend_tests!(the_change_feed_resumes_from_a_cursor_without_gaps_or_duplicates);

async fn ungsam_stores_a_young_person_in_the_target_group_only(suite: TestSuite) -> TestSuite {
    use chrono::Datelike;
    let year = chrono::Utc::now().year();
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let young = |number: String| ungsam::CreateYoungPersonRequest {
        request_id: new_request_id(),
        young_person: Some(ungsam::YoungPerson {
            person_identity_number: Some(PersonIdentityNumber { value: number }),
            given_name: "Nora".into(),
            family_name: "Ung".into(),
            source: ungsam::IdentificationSource::School as i32,
            ..Default::default()
        }),
    };
    let stored = client
        .create_young_person(young(trappan::demo::demo_personnummer(year - 20, 1, 15, 123)))
        .await
        .expect("stored")
        .into_inner()
        .young_person
        .expect("young person");
    assert_eq!(stored.kommun, KOMMUN);
    let too_old = client
        .create_young_person(young(trappan::demo::demo_personnummer(year - 40, 1, 15, 124)))
        .await
        .expect_err("outside the target group");
    assert_eq!(too_old.code(), Code::InvalidArgument);
    suite
}
backend_tests!(ungsam_stores_a_young_person_in_the_target_group_only);

async fn rapport_counts_households_from_the_feed_and_suppresses_small_numbers(suite: TestSuite) -> TestSuite {
    use chrono::Datelike;
    let today = chrono::Utc::now();
    let month = Some(YearMonth { year: today.year(), month: today.month() as i32 });
    for serial in 0..3 {
        create_household(&suite, KOMMUN, 500 + serial).await;
    }
    let report = || {
        let mut client = suite.rapport(Role::Analytiker, KOMMUN);
        async move {
            client
                .get_bistand_report(rapport::GetBistandReportRequest { month, ..Default::default() })
                .await
                .expect("report")
                .into_inner()
                .registered_households
                .expect("count")
        }
    };
    let status = || {
        let mut client = suite.rapport(Role::Analytiker, KOMMUN);
        async move { client.get_feed_status(rapport::GetFeedStatusRequest {}).await.expect("status").into_inner().feeds }
    };
    eventually("rapport has applied 3 events", || async {
        status().await.iter().any(|f| f.producer == "bistand" && f.applied_sequence >= 3)
    })
    .await;
    let small = report().await;
    assert!(small.suppressed, "3 households are fewer than 5 and are suppressed");
    for serial in 3..6 {
        create_household(&suite, KOMMUN, 500 + serial).await;
    }
    eventually("rapport counts 6 households", || async { report().await.value == 6 }).await;
    let db = suite.database(ServiceKind::Rapport).await;
    let identifiers = count_rows(&db, "bistand_household WHERE pseudonym LIKE '%-%'").await;
    assert_eq!(identifiers, 0, "rapport stores keyed hashes, not the producer's UUIDs");
    suite
}
backend_tests!(rapport_counts_households_from_the_feed_and_suppresses_small_numbers);
