//! The försörjningshinder recorded per adult on SQLite and PostgreSQL: every option is stored and answered
//! back unchanged, a member without one answers unspecified, and a child with one or an unknown value is
//! refused naming the field, with nothing stored.

use crate::common;
use trappan_platform::testing::Backend;

use common::{KOMMUN, TestSuite, count_rows, new_request_id};
use tonic::Code;
use tonic_types::StatusExt;
use trappan::demo::demo_personnummer;
use trappan_api::bistand::v1::{self as bistand, Forsorjningshinder, MemberRole};
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;

fn adult(serial: u32, role: MemberRole, hinder: i32) -> bistand::HouseholdMember {
    let mut member = common::member(&demo_personnummer(1970 + (serial % 30) as i32, 2, 3, 300 + serial), role);
    member.forsorjningshinder = hinder;
    member
}

fn request(members: Vec<bistand::HouseholdMember>) -> bistand::CreateHouseholdRequest {
    bistand::CreateHouseholdRequest {
        request_id: new_request_id(),
        household: Some(bistand::Household { members, ..Default::default() }),
    }
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect()
}

async fn every_option_is_stored_and_answered_back(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    // The applicant and 22 other adults carry the 23 options; a child and one more adult carry none.
    let options: Vec<i32> = (1..=23).collect();
    let mut members: Vec<bistand::HouseholdMember> = options
        .iter()
        .enumerate()
        .map(|(i, hinder)| {
            adult(i as u32, if i == 0 { MemberRole::Applicant } else { MemberRole::OtherAdult }, *hinder)
        })
        .collect();
    members.push(adult(40, MemberRole::OtherAdult, 0));
    members.push(common::member(&demo_personnummer(2015, 6, 7, 400), MemberRole::Child));
    let created =
        client.create_household(request(members)).await.expect("created").into_inner().household.expect("household");
    let fetched = client
        .get_household(bistand::GetHouseholdRequest { household_id: created.household_id.clone() })
        .await
        .expect("read")
        .into_inner()
        .household
        .expect("household");
    for household in [&created, &fetched] {
        let answered: Vec<i32> = household.members.iter().map(|m| m.forsorjningshinder).collect();
        let mut expected = options.clone();
        expected.extend([0, 0]);
        assert_eq!(answered, expected, "{backend:?}");
    }
    assert_eq!(
        fetched.members[21].forsorjningshinder(),
        Forsorjningshinder::LacksChildcare,
        "the API's values keep their meaning"
    );
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "household_member WHERE forsorjningshinder = 'lacks_childcare'").await, 1);
    assert_eq!(count_rows(&db, "household_member WHERE forsorjningshinder = 'unemployed_no_benefit'").await, 1);
    assert_eq!(count_rows(&db, "household_member WHERE forsorjningshinder IS NULL").await, 2);
    suite.shutdown().await;
}

async fn a_child_or_an_unknown_value_is_refused(backend: Backend) {
    let suite = TestSuite::spawn(backend).await;
    let mut client = suite.bistand(Role::Socialsekreterare, KOMMUN);
    let mut child = common::member(&demo_personnummer(2015, 6, 7, 400), MemberRole::Child);
    child.forsorjningshinder = Forsorjningshinder::NoObstacle as i32;
    let members = vec![
        adult(1, MemberRole::Applicant, Forsorjningshinder::SocialReasons as i32),
        adult(2, MemberRole::CoApplicant, 99),
        child,
    ];
    let refused = client.create_household(request(members)).await.expect_err("invalid");
    assert_eq!(refused.code(), Code::InvalidArgument, "{backend:?}");
    assert_eq!(
        fields(&refused),
        vec!["household.members[1].forsorjningshinder".to_string(), "household.members[2].forsorjningshinder".into()]
    );
    let db = suite.database(ServiceKind::Bistand).await;
    assert_eq!(count_rows(&db, "household").await, 0);
    assert_eq!(count_rows(&db, "household_member").await, 0);
    suite.shutdown().await;
}

common::backend_tests!(on_backend: every_option_is_stored_and_answered_back, a_child_or_an_unknown_value_is_refused);
