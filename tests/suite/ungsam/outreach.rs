//! ungsam's outreach through the gRPC API, on SQLite and PostgreSQL: the target group's age limits with
//! an identification date, contacts and the allowed status transitions, the CSV import with mixed rows
//! and a re-import, the automatic exit at 25, consent withdrawal erasing what it covered, partners and
//! joint activities, the coach view's figures, and municipality isolation.

use crate::common;

use chrono::{Datelike, Months, NaiveDate};
use common::{
    KOMMUN, OTHER_KOMMUN, TestSuite, backend_tests, calendar_date, count_rows, new_request_id, number_born, today,
};
use prost::Message;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tonic::Code;
use tonic_types::StatusExt;
use trappan_api::common::v1::{ExitOutcome, PersonIdentityNumber};
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

/// A birth date that makes the person `years` old on the first of this month and for the rest of it.
fn born_aged(years: u32) -> NaiveDate {
    let first = today().with_day(1).expect("first of the month");
    first - Months::new(12 * years + 1)
}

fn young(number: String, identified_on: Option<NaiveDate>) -> ungsam::CreateYoungPersonRequest {
    ungsam::CreateYoungPersonRequest {
        request_id: new_request_id(),
        young_person: Some(ungsam::YoungPerson {
            person_identity_number: Some(PersonIdentityNumber { value: number }),
            given_name: "Nora".into(),
            family_name: "Ung".into(),
            source: ungsam::IdentificationSource::School as i32,
            identified_on: identified_on.map(calendar_date),
            contact_channel: ungsam::ContactChannel::TextMessage as i32,
            contact_detail: "070-0000000".into(),
            ..Default::default()
        }),
    }
}

async fn register(
    suite: &TestSuite,
    kommun: &str,
    number: String,
    identified_on: Option<NaiveDate>,
) -> ungsam::YoungPerson {
    suite
        .ungsam(Role::Ungdomscoach, kommun)
        .create_young_person(young(number, identified_on))
        .await
        .expect("registered")
        .into_inner()
        .young_person
        .expect("young person")
}

async fn get(suite: &TestSuite, kommun: &str, id: &str) -> ungsam::YoungPerson {
    suite
        .ungsam(Role::Ungdomscoach, kommun)
        .get_young_person(ungsam::GetYoungPersonRequest { young_person_id: id.into() })
        .await
        .expect("get")
        .into_inner()
        .young_person
        .expect("young person")
}

fn contact(id: &str, on: NaiveDate, outcome: ungsam::ContactOutcome) -> ungsam::RecordContactRequest {
    ungsam::RecordContactRequest {
        request_id: new_request_id(),
        contact: Some(ungsam::Contact {
            young_person_id: id.into(),
            contacted_on: Some(calendar_date(on)),
            channel: ungsam::ContactChannel::Phone as i32,
            made_by: "Coach Ett".into(),
            outcome: outcome as i32,
            note: "ringde på eftermiddagen".into(),
            ..Default::default()
        }),
    }
}

fn change(id: &str, status: ungsam::YoungPersonStatus) -> ungsam::ChangeStatusRequest {
    ungsam::ChangeStatusRequest { young_person_id: id.into(), status: status as i32, ..Default::default() }
}

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// The feed's status changes for one person, decoded from ungsam's outbox.
async fn status_events(suite: &TestSuite, id: &str) -> Vec<ungsam::StatusChangedEvent> {
    let db = suite.database(ServiceKind::Ungsam).await;
    trappan_platform::outbox::entity::Entity::find()
        .filter(trappan_platform::outbox::entity::Column::EventType.contains("StatusChangedEvent"))
        .all(&db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|row| ungsam::StatusChangedEvent::decode(row.payload.as_slice()).expect("an event"))
        .filter(|event| event.young_person_id == id)
        .collect()
}

async fn registration_checks_the_age_in_the_month_of_identification(suite: TestSuite) -> TestSuite {
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let stored = register(&suite, KOMMUN, number_born(born_aged(20), 101), None).await;
    assert_eq!(stored.status, ungsam::YoungPersonStatus::Identified as i32);
    assert_eq!(stored.identified_on, Some(calendar_date(today())));
    assert_eq!(stored.coach, "tester");
    assert_eq!(stored.status_history.len(), 1);
    assert_eq!(stored.status_history[0].cause, "registered");
    assert_eq!(stored.contact_channel, ungsam::ContactChannel::TextMessage as i32);

    for (birth, serial) in [(born_aged(17), 102), (born_aged(25), 103), (born_aged(40), 104)] {
        let refused = client.create_young_person(young(number_born(birth, serial), None)).await.expect_err("outside");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&refused), ["young_person.person_identity_number"]);
        assert!(!refused.message().contains(&number_born(birth, serial)[..8]));
    }
    // 18 and 24 in the month are in the group.
    register(&suite, KOMMUN, number_born(born_aged(18), 105), None).await;
    register(&suite, KOMMUN, number_born(born_aged(24), 106), None).await;

    // History: 22 now, 18 when identified four years ago; 17 five years ago.
    let birth = born_aged(22);
    let four_years_ago = today() - Months::new(48);
    let past = register(&suite, KOMMUN, number_born(birth, 107), Some(four_years_ago)).await;
    assert_eq!(past.identified_on, Some(calendar_date(four_years_ago)));
    assert_eq!(past.status_history[0].changed_on, Some(calendar_date(four_years_ago)));
    let too_early = client
        .create_young_person(young(number_born(birth, 108), Some(today() - Months::new(60))))
        .await
        .expect_err("17 then");
    assert_eq!(violated_fields(&too_early), ["young_person.person_identity_number"]);
    let future = client
        .create_young_person(young(number_born(birth, 109), Some(today() + chrono::Days::new(1))))
        .await
        .expect_err("in the future");
    assert_eq!(violated_fields(&future), ["young_person.identified_on"]);

    // The same person from the same source once; a retry answers with the first registration.
    let request = young(number_born(born_aged(21), 110), None);
    let first = client.create_young_person(request.clone()).await.expect("first").into_inner().young_person;
    let again = client.create_young_person(request.clone()).await.expect("retry").into_inner().young_person;
    assert_eq!(first.map(|p| p.young_person_id), again.map(|p| p.young_person_id));
    let duplicate = client
        .create_young_person(ungsam::CreateYoungPersonRequest { request_id: new_request_id(), ..request })
        .await
        .expect_err("registered already");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    suite
}
backend_tests!(registration_checks_the_age_in_the_month_of_identification);

async fn contacts_and_status_changes_follow_the_allowed_transitions(suite: TestSuite) -> TestSuite {
    use ungsam::ContactOutcome as O;
    use ungsam::YoungPersonStatus as S;
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let identified = today() - chrono::Days::new(20);
    let person = register(&suite, KOMMUN, number_born(born_aged(19), 201), Some(identified)).await;
    let id = person.young_person_id.clone();

    let answer = client
        .record_contact(contact(&id, identified + chrono::Days::new(2), O::NotReached))
        .await
        .expect("recorded")
        .into_inner();
    assert_eq!(answer.young_person.as_ref().map(|p| p.status), Some(S::NotReachable as i32));

    let forbidden = client.change_status(change(&id, S::InActivity)).await.expect_err("forbidden");
    assert_eq!(forbidden.code(), Code::FailedPrecondition);
    assert!(forbidden.message().contains("not_reachable") && forbidden.message().contains("in_activity"));

    let reached = contact(&id, identified + chrono::Days::new(6), O::Reached);
    let first = client.record_contact(reached.clone()).await.expect("recorded").into_inner();
    let again = client.record_contact(reached).await.expect("retried").into_inner();
    assert_eq!(first.contact.as_ref().map(|c| &c.contact_id), again.contact.as_ref().map(|c| &c.contact_id));
    let after = first.young_person.expect("person");
    assert_eq!(after.status, S::Contacted as i32);
    assert_eq!(after.first_reached_on, Some(calendar_date(identified + chrono::Days::new(6))));
    let contacts = client
        .list_contacts(ungsam::ListContactsRequest { young_person_id: id.clone(), page_size: 1, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(contacts.contacts.len(), 1);
    assert_eq!(contacts.contacts[0].outcome, O::Reached as i32);
    assert_eq!(contacts.contacts[0].note, "ringde på eftermiddagen");
    let rest = client
        .list_contacts(ungsam::ListContactsRequest {
            young_person_id: id.clone(),
            page_size: 1,
            page_token: contacts.next_page_token,
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(rest.contacts.len(), 1);
    assert!(rest.next_page_token.is_empty());

    client.change_status(change(&id, S::InDialogue)).await.expect("contacted → in dialogue");
    client.change_status(change(&id, S::InActivity)).await.expect("in dialogue → in activity");
    let exited = client
        .change_status(ungsam::ChangeStatusRequest {
            exit_outcome: ExitOutcome::SubsidisedEmployment as i32,
            ..change(&id, S::ExitedWork)
        })
        .await
        .expect("in activity → exited to work")
        .into_inner()
        .young_person
        .expect("person");
    assert_eq!(exited.exit_outcome, ExitOutcome::SubsidisedEmployment as i32);
    let statuses: Vec<i32> = exited.status_history.iter().map(|c| c.to_status).collect();
    assert_eq!(
        statuses,
        [S::Identified, S::NotReachable, S::Contacted, S::InDialogue, S::InActivity, S::ExitedWork].map(|s| s as i32)
    );

    let terminal = client.change_status(change(&id, S::Contacted)).await.expect_err("exited is terminal");
    assert_eq!(terminal.code(), Code::FailedPrecondition);
    let late = client.record_contact(contact(&id, today(), O::Reached)).await.expect_err("exited");
    assert_eq!(late.code(), Code::FailedPrecondition);
    let manual_age_out =
        client.change_status(change(&id, S::ExitedAgedOut)).await.expect_err("the service's own status");
    assert_eq!(manual_age_out.code(), Code::InvalidArgument);

    let events = status_events(&suite, &id).await;
    assert_eq!(events.len(), 5);
    let last = events.last().expect("the exit");
    assert_eq!((last.from_status.as_str(), last.to_status.as_str()), ("in_activity", "exited"));
    assert_eq!(last.exit_outcome, ExitOutcome::SubsidisedEmployment as i32);
    assert!(!last.aged_out);

    let other = register(&suite, KOMMUN, number_born(born_aged(19), 202), Some(identified)).await;
    let invalid = client
        .record_contact(ungsam::RecordContactRequest {
            request_id: new_request_id(),
            contact: Some(ungsam::Contact {
                young_person_id: other.young_person_id.clone(),
                contacted_on: Some(calendar_date(today() + chrono::Days::new(3))),
                ..Default::default()
            }),
        })
        .await
        .expect_err("invalid");
    assert_eq!(
        violated_fields(&invalid),
        ["contact.contacted_on", "contact.channel", "contact.outcome", "contact.made_by"]
    );
    let before = client
        .record_contact(contact(&other.young_person_id, identified - chrono::Days::new(1), O::Reached))
        .await
        .expect_err("before identification");
    assert_eq!(violated_fields(&before), ["contact.contacted_on"]);
    let declined = client
        .record_contact(contact(&other.young_person_id, identified, O::Declined))
        .await
        .expect("declined")
        .into_inner();
    assert_eq!(declined.young_person.map(|p| p.status), Some(S::Declined as i32));
    suite
}
backend_tests!(contacts_and_status_changes_follow_the_allowed_transitions);

async fn an_import_accepts_and_rejects_rows_and_a_reimport_adds_nothing(suite: TestSuite) -> TestSuite {
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let valid_a = number_born(born_aged(19), 301);
    let valid_b = number_born(born_aged(23), 302);
    let too_old = number_born(born_aged(30), 303);
    let mut bad_check = number_born(born_aged(20), 304);
    let last = bad_check.pop().and_then(|c| c.to_digit(10)).expect("a digit");
    bad_check.push(char::from_digit((last + 1) % 10, 10).expect("a digit"));
    let single_name = number_born(born_aged(21), 305);
    let csv = format!(
        "personnummer,namn,kanal,kontakt,kalla\n\
         {valid_a},Alva Lind,sms,070-1112233,af\n\
         {valid_b},\"Ek, Bo\",,,skola\n\
         {too_old},Carl Berg,,,kaa\n\
         {bad_check},Dana Holm,,,kaa\n\
         {single_name},Eva,,,kaa\n\
         {},Fia Sund,,,mars\n\
         {valid_a},Alva Lind,,,af\n",
        number_born(born_aged(20), 306)
    );
    let first = client
        .import_young_people(ungsam::ImportYoungPeopleRequest { csv: csv.clone(), identified_on: None })
        .await
        .expect("imported")
        .into_inner();
    use ungsam::ImportRowOutcome as R;
    let outcomes: Vec<(i32, i32, &str)> =
        first.rows.iter().map(|row| (row.row_number, row.outcome, row.field.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            (2, R::Accepted as i32, ""),
            (3, R::Accepted as i32, ""),
            (4, R::Rejected as i32, "personnummer"),
            (5, R::Rejected as i32, "personnummer"),
            (6, R::Rejected as i32, "namn"),
            (7, R::Rejected as i32, "kalla"),
            (8, R::Rejected as i32, "personnummer"),
        ]
    );
    assert_eq!((first.accepted_count, first.already_registered_count, first.rejected_count), (2, 0, 5));
    assert!(first.rows[2].reason.contains("older than the target group"));
    assert!(first.rows[6].reason.contains("row 2"));
    for row in &first.rows {
        assert!(!row.reason.contains(&too_old[..8]) && !row.reason.contains("Carl"), "{}", row.reason);
    }
    let bo = get(&suite, KOMMUN, &first.rows[1].young_person_id).await;
    assert_eq!((bo.given_name.as_str(), bo.family_name.as_str()), ("Bo", "Ek"));
    assert_eq!(bo.source, ungsam::IdentificationSource::School as i32);
    let alva = get(&suite, KOMMUN, &first.rows[0].young_person_id).await;
    assert_eq!(alva.contact_channel, ungsam::ContactChannel::TextMessage as i32);
    assert_eq!(alva.contact_detail, "070-1112233");

    let db = suite.database(ServiceKind::Ungsam).await;
    let stored = count_rows(&db, "young_person").await;
    let again = client
        .import_young_people(ungsam::ImportYoungPeopleRequest { csv, identified_on: None })
        .await
        .expect("re-imported")
        .into_inner();
    assert_eq!((again.accepted_count, again.already_registered_count, again.rejected_count), (0, 2, 5));
    assert_eq!(again.rows[0].young_person_id, first.rows[0].young_person_id);
    assert_eq!(count_rows(&db, "young_person").await, stored);

    let bad_header = client
        .import_young_people(ungsam::ImportYoungPeopleRequest { csv: "namn;kalla\n".into(), identified_on: None })
        .await
        .expect_err("not the header");
    assert_eq!(violated_fields(&bad_header), ["csv"]);
    suite
}
backend_tests!(an_import_accepts_and_rejects_rows_and_a_reimport_adds_nothing);

async fn everyone_who_turned_25_is_exited_as_aged_out(suite: TestSuite) -> TestSuite {
    // Turned 25 ten days ago; identified at 20.
    let birth = today() - Months::new(25 * 12) - chrono::Days::new(10);
    let identified = birth + Months::new(20 * 12) + chrono::Days::new(40);
    let aged = register(&suite, KOMMUN, number_born(birth, 401), Some(identified)).await;
    let young = register(&suite, KOMMUN, number_born(born_aged(24), 402), None).await;

    let mut operator = suite.ungsam(Role::Enhetschef, KOMMUN);
    operator.exit_aged_out(ungsam::ExitAgedOutRequest {}).await.expect("ran");
    let exited = get(&suite, KOMMUN, &aged.young_person_id).await;
    assert_eq!(exited.status, ungsam::YoungPersonStatus::ExitedAgedOut as i32);
    let last = exited.status_history.last().expect("the exit");
    assert_eq!(last.cause, "aged_out");
    assert_eq!(last.changed_on, Some(calendar_date(birth + Months::new(25 * 12))));
    assert_eq!(get(&suite, KOMMUN, &young.young_person_id).await.status, ungsam::YoungPersonStatus::Identified as i32);

    let events = status_events(&suite, &aged.young_person_id).await;
    assert_eq!(events.len(), 1);
    assert!(events[0].aged_out);
    assert_eq!(events[0].to_status, "exited");
    assert!(status_events(&suite, &young.young_person_id).await.is_empty());

    let second = operator.exit_aged_out(ungsam::ExitAgedOutRequest {}).await.expect("ran").into_inner();
    assert_eq!(second.exited_count, 0);
    suite
}
backend_tests!(everyone_who_turned_25_is_exited_as_aged_out);

async fn withdrawing_consent_erases_what_it_covered(suite: TestSuite) -> TestSuite {
    use ungsam::ConsentScope as C;
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let person = register(&suite, KOMMUN, number_born(born_aged(20), 501), None).await;
    let id = person.young_person_id.clone();
    let details = || ungsam::UpdateSupportDetailsRequest {
        young_person_id: id.clone(),
        needs: "behöver stöd med CV".into(),
        plan: "praktik i vår".into(),
    };
    let refused = client.update_support_details(details()).await.expect_err("no consent yet");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    for scope in [C::Needs, C::Plans] {
        client
            .record_consent(ungsam::RecordConsentRequest {
                young_person_id: id.clone(),
                scope: scope as i32,
                given_on: None,
            })
            .await
            .expect("consent");
    }
    let full = client.update_support_details(details()).await.expect("stored").into_inner().young_person.expect("p");
    assert_eq!((full.needs.as_str(), full.plan.as_str()), ("behöver stöd med CV", "praktik i vår"));
    assert_eq!(full.consent_scopes, [C::Needs as i32, C::Plans as i32]);

    let withdrawn = client
        .withdraw_consent(ungsam::WithdrawConsentRequest { young_person_id: id.clone(), scope: C::Needs as i32 })
        .await
        .expect("withdrawn")
        .into_inner()
        .young_person
        .expect("p");
    assert_eq!(withdrawn.needs, "");
    assert_eq!(withdrawn.plan, "praktik i vår");
    assert_eq!(withdrawn.consent_scopes, [C::Plans as i32]);
    let recorded: Vec<(i32, bool)> = withdrawn.consents.iter().map(|c| (c.scope, c.withdraw_time.is_some())).collect();
    assert_eq!(recorded, [(C::Needs as i32, true), (C::Plans as i32, false)]);
    assert_eq!(withdrawn.consents[0].given_on, Some(calendar_date(today())));
    assert_eq!(
        (withdrawn.given_name.as_str(), withdrawn.source),
        ("Nora", ungsam::IdentificationSource::School as i32)
    );
    assert_eq!(withdrawn.contact_detail, "070-0000000");

    let db = suite.database(ServiceKind::Ungsam).await;
    let row = trappan_ungsam::store::young_person::Entity::find_by_id(uuid::Uuid::parse_str(&id).expect("uuid"))
        .one(&db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.needs, None);
    assert!(row.plan.is_some());
    let erased = trappan_platform::audit::entity::Entity::find()
        .filter(trappan_platform::audit::entity::Column::Outcome.eq("erased"))
        .filter(trappan_platform::audit::entity::Column::SubjectRef.eq(id.clone()))
        .all(&db)
        .await
        .expect("audit");
    assert_eq!(erased.len(), 1);

    let again = client
        .withdraw_consent(ungsam::WithdrawConsentRequest { young_person_id: id.clone(), scope: C::Needs as i32 })
        .await
        .expect_err("not in force");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let needs_again = client
        .update_support_details(ungsam::UpdateSupportDetailsRequest {
            young_person_id: id.clone(),
            needs: "nytt".into(),
            plan: String::new(),
        })
        .await
        .expect_err("consent withdrawn");
    assert_eq!(needs_again.code(), Code::FailedPrecondition);
    let plans = client
        .withdraw_consent(ungsam::WithdrawConsentRequest { young_person_id: id.clone(), scope: C::Plans as i32 })
        .await
        .expect("withdrawn")
        .into_inner()
        .young_person
        .expect("p");
    assert_eq!((plans.needs.as_str(), plans.plan.as_str()), ("", ""));
    assert!(plans.consent_scopes.is_empty());
    suite
}
backend_tests!(withdrawing_consent_erases_what_it_covered);

async fn partners_activities_and_the_coach_view(suite: TestSuite) -> TestSuite {
    let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
    let partner = |name: &str, kind: ungsam::PartnerKind| ungsam::CreatePartnerRequest {
        request_id: new_request_id(),
        partner: Some(ungsam::Partner { name: name.into(), kind: kind as i32, ..Default::default() }),
    };
    let church = client
        .create_partner(partner("Svenska kyrkan Centrum", ungsam::PartnerKind::ChurchOfSweden))
        .await
        .expect("partner")
        .into_inner()
        .partner
        .expect("p");
    let school = client
        .create_partner(partner("Gymnasiet", ungsam::PartnerKind::School))
        .await
        .expect("partner")
        .into_inner()
        .partner
        .expect("p");
    let activity =
        |partner_ids: Vec<String>, completed: Option<NaiveDate>, count: i32| ungsam::CreateJointActivityRequest {
            request_id: new_request_id(),
            joint_activity: Some(ungsam::JointActivity {
                kind: ungsam::JointActivityKind::Meeting as i32,
                title: "Träff om sommarjobb".into(),
                partner_ids,
                planned_on: Some(calendar_date(today() - chrono::Days::new(7))),
                completed_on: completed.map(calendar_date),
                participant_count: count,
                ..Default::default()
            }),
        };
    let logged = client
        .create_joint_activity(activity(
            vec![church.partner_id.clone(), school.partner_id.clone()],
            Some(today() - chrono::Days::new(7)),
            12,
        ))
        .await
        .expect("logged")
        .into_inner()
        .joint_activity
        .expect("a");
    assert_eq!(logged.partner_ids.len(), 2);
    let unknown = client
        .create_joint_activity(activity(vec![uuid::Uuid::now_v7().to_string()], None, 0))
        .await
        .expect_err("unknown partner");
    assert_eq!(unknown.code(), Code::NotFound);
    let planned_with_people =
        client.create_joint_activity(activity(vec![church.partner_id.clone()], None, 3)).await.expect_err("planned");
    assert_eq!(violated_fields(&planned_with_people), ["joint_activity.participant_count"]);
    let partners = client.list_partners(ungsam::ListPartnersRequest::default()).await.expect("list").into_inner();
    assert_eq!(partners.partners.len(), 2);
    let activities =
        client.list_joint_activities(ungsam::ListJointActivitiesRequest::default()).await.expect("list").into_inner();
    assert_eq!(activities.joint_activities.len(), 1);

    // Reached after 4 and 10 days; one never reached: median 7.
    let identified = today() - chrono::Days::new(30);
    for (serial, days) in [(601u32, Some(4u64)), (602, Some(10)), (603, None)] {
        let person = register(&suite, KOMMUN, number_born(born_aged(20), serial), Some(identified)).await;
        if let Some(days) = days {
            client
                .record_contact(contact(
                    &person.young_person_id,
                    identified + chrono::Days::new(days),
                    ungsam::ContactOutcome::Reached,
                ))
                .await
                .expect("contact");
        }
    }
    let summary = client
        .get_outreach_summary(ungsam::GetOutreachSummaryRequest { mine: true, contact_interval_days: 14 })
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(summary.median_days_to_first_contact, Some(7.0));
    assert_eq!(summary.not_yet_contacted, 1);
    assert_eq!(summary.contacts_due, 3);
    let counts: Vec<(i32, i32)> = summary.by_status.iter().map(|c| (c.status, c.count)).collect();
    assert_eq!(
        counts,
        [(ungsam::YoungPersonStatus::Identified as i32, 1), (ungsam::YoungPersonStatus::Contacted as i32, 2)]
    );
    let not_contacted = client
        .list_young_people(ungsam::ListYoungPeopleRequest { not_yet_contacted: true, mine: true, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(not_contacted.young_people.len(), 1);
    let contacted = client
        .list_young_people(ungsam::ListYoungPeopleRequest {
            status: ungsam::YoungPersonStatus::Contacted as i32,
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(contacted.young_people.len(), 1);
    assert!(!contacted.next_page_token.is_empty());
    let due = |days: i32| {
        let mut client = suite.ungsam(Role::Ungdomscoach, KOMMUN);
        async move {
            client
                .list_young_people(ungsam::ListYoungPeopleRequest {
                    contact_due_after_days: days,
                    mine: true,
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .young_people
                .len()
        }
    };
    // Last attempts 26 and 20 days ago, and one identified 30 days ago without attempts.
    assert_eq!(due(14).await, 3);
    assert_eq!(due(25).await, 2);
    assert_eq!(due(31).await, 0);
    let another_coach = suite
        .ungsam_as(Role::Ungdomscoach, KOMMUN, "another-coach")
        .get_outreach_summary(ungsam::GetOutreachSummaryRequest { mine: true, contact_interval_days: 0 })
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(another_coach.median_days_to_first_contact, None);
    assert!(another_coach.by_status.is_empty());
    suite
}
backend_tests!(partners_activities_and_the_coach_view);

async fn municipalities_never_see_each_others_young_people(suite: TestSuite) -> TestSuite {
    let person = register(&suite, KOMMUN, number_born(born_aged(20), 701), None).await;
    let id = person.young_person_id.clone();
    let mut other = suite.ungsam(Role::Ungdomscoach, OTHER_KOMMUN);
    let read = other.get_young_person(ungsam::GetYoungPersonRequest { young_person_id: id.clone() }).await;
    assert_eq!(read.err().map(|s| s.code()), Some(Code::NotFound));
    let contacted = other.record_contact(contact(&id, today(), ungsam::ContactOutcome::Reached)).await;
    assert_eq!(contacted.err().map(|s| s.code()), Some(Code::NotFound));
    let changed = other.change_status(change(&id, ungsam::YoungPersonStatus::Contacted)).await;
    assert_eq!(changed.err().map(|s| s.code()), Some(Code::NotFound));
    let consent = other
        .record_consent(ungsam::RecordConsentRequest {
            young_person_id: id.clone(),
            scope: ungsam::ConsentScope::Needs as i32,
            given_on: None,
        })
        .await;
    assert_eq!(consent.err().map(|s| s.code()), Some(Code::NotFound));
    let listed = other.list_young_people(ungsam::ListYoungPeopleRequest::default()).await.expect("list");
    assert!(listed.into_inner().young_people.is_empty());
    let summary = other.get_outreach_summary(ungsam::GetOutreachSummaryRequest::default()).await.expect("summary");
    assert!(summary.into_inner().by_status.is_empty());
    assert_eq!(get(&suite, KOMMUN, &id).await.status, ungsam::YoungPersonStatus::Identified as i32);
    suite
}
backend_tests!(municipalities_never_see_each_others_young_people);
