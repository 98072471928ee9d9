//! ungsam's transport: decode and validate requests, call the store, encode answers.
//! Authorisation happened in the platform's auth layer; errors become statuses in the platform's mapping.

use chrono::{Datelike, NaiveDate};
use tonic::{Request, Response, Status};
use trappan_api::common::v1 as common;
use trappan_api::ungsam::v1::{self as api, ungsam_service_server::UngsamService};
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{parse_request_id, parse_uuid, required_text, to_timestamp};
use trappan_platform::outbox::FeedStream;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::server::ServiceContext;
use trappan_platform::store::{PageRequest, next_page_token};

use crate::domain::target_group::age_on;
use crate::domain::{Eligibility, IdentificationSource, TargetGroupRule};
use crate::store::{self, NewYoungPerson};

/// The UngsamService implementation.
pub struct UngsamApi {
    context: ServiceContext,
}

impl UngsamApi {
    /// The service over `context`'s store and feed.
    pub fn new(context: ServiceContext) -> UngsamApi {
        UngsamApi { context }
    }
}

/// The field the identity number and the target-group rule are reported on.
const PERSON_IDENTITY_NUMBER: &str = "young_person.person_identity_number";

/// Moves the violations of an invalid-argument result into `violations`.
fn collect<T>(
    result: Result<T, ServiceError>,
    violations: &mut Vec<FieldViolation>,
) -> Result<Option<T>, ServiceError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(ServiceError::InvalidArgument(mut found)) => {
            violations.append(&mut found);
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Parses the identity number and checks the person against the target group in the month of `today`.
/// Returns the number and the age the rule counts (on the first day of the month). Messages name the
/// rule, never the number or the birth date.
fn parse_identity(
    value: Option<&common::PersonIdentityNumber>,
    today: NaiveDate,
    violations: &mut Vec<FieldViolation>,
) -> Option<(Personnummer, u32)> {
    let Some(value) = value.filter(|p| !p.value.trim().is_empty()) else {
        violations.push(FieldViolation::new(PERSON_IDENTITY_NUMBER, "is required"));
        return None;
    };
    let personnummer = match Personnummer::parse_at(&value.value, today) {
        Ok(parsed) => parsed,
        Err(error) => {
            violations.push(FieldViolation::new(PERSON_IDENTITY_NUMBER, error.to_string()));
            return None;
        }
    };
    let rule = TargetGroupRule::default();
    let birth = personnummer.birth_date();
    let outside = |relation: &str| {
        format!(
            "names a person {relation} the target group: {}–{} years old in the month of registration",
            rule.min_age, rule.max_age
        )
    };
    match rule.eligibility(birth, today) {
        Eligibility::InTargetGroup => {}
        Eligibility::TooYoung => {
            violations.push(FieldViolation::new(PERSON_IDENTITY_NUMBER, outside("younger than")));
            return None;
        }
        Eligibility::TooOld => {
            violations.push(FieldViolation::new(PERSON_IDENTITY_NUMBER, outside("older than")));
            return None;
        }
    }
    // The rule counts the age on the first day of the month, so it is within the group's bounds.
    let age = age_on(birth, today.with_day(1).unwrap_or(today))?;
    Some((personnummer, age))
}

/// Parses a young person to register on `today`, collecting every violation rather than stopping at the
/// first.
fn parse_young_person(
    request: &api::CreateYoungPersonRequest,
    today: NaiveDate,
) -> Result<NewYoungPerson, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(person) = request.young_person.as_ref() else {
        violations.push(FieldViolation::new("young_person", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let identity = parse_identity(person.person_identity_number.as_ref(), today, &mut violations);
    let given_name = collect(required_text(&person.given_name, "young_person.given_name", 100), &mut violations)?;
    let family_name = collect(required_text(&person.family_name, "young_person.family_name", 100), &mut violations)?;
    let source = store::source_from_api(person.source);
    if source.is_none() {
        violations.push(FieldViolation::new("young_person.source", "must be an identification source"));
    }
    match (request_id, identity, given_name, family_name, source) {
        (Some(request_id), Some((personnummer, age)), Some(given_name), Some(family_name), Some(source))
            if violations.is_empty() =>
        {
            Ok(NewYoungPerson { request_id, personnummer, given_name, family_name, source, age })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

fn to_api_young_person(row: store::young_person::Model) -> api::YoungPerson {
    api::YoungPerson {
        young_person_id: row.id.to_string(),
        kommun: row.kommun,
        person_identity_number: Some(common::PersonIdentityNumber { value: row.personnummer }),
        given_name: row.given_name,
        family_name: row.family_name,
        source: IdentificationSource::parse(&row.source)
            .map_or(api::IdentificationSource::Unspecified, store::api_source) as i32,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

/// Today's date where the municipality is, as the identity-number parser reckons it.
fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[tonic::async_trait]
impl UngsamService for UngsamApi {
    async fn create_young_person(
        &self,
        request: Request<api::CreateYoungPersonRequest>,
    ) -> Result<Response<api::CreateYoungPersonResponse>, Status> {
        let context = context(&request)?;
        let new = parse_young_person(request.get_ref(), today())?;
        let row = store::create_young_person(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::CreateYoungPersonResponse { young_person: Some(to_api_young_person(row)) }))
    }

    async fn get_young_person(
        &self,
        request: Request<api::GetYoungPersonRequest>,
    ) -> Result<Response<api::GetYoungPersonResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().young_person_id, "young_person_id")?;
        let row = store::get_young_person(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetYoungPersonResponse { young_person: Some(to_api_young_person(row)) }))
    }

    async fn list_young_people(
        &self,
        request: Request<api::ListYoungPeopleRequest>,
    ) -> Result<Response<api::ListYoungPeopleResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::list_young_people(self.context.store.db()?, &context, page).await?;
        Ok(Response::new(api::ListYoungPeopleResponse {
            young_people: rows.into_iter().map(to_api_young_person).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    type StreamChangesStream = FeedStream<api::StreamChangesResponse>;

    async fn stream_changes(
        &self,
        request: Request<api::StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        let context = context(&request)?;
        let after = request.get_ref().after_sequence;
        let events =
            self.context.feed.serve(&context, after, |event| api::StreamChangesResponse { event: Some(event) })?;
        Ok(Response::new(events))
    }
    async fn receive_handover_outcome(
        &self,
        _request: Request<api::ReceiveHandoverOutcomeRequest>,
    ) -> Result<Response<api::ReceiveHandoverOutcomeResponse>, Status> {
        Err(Status::unimplemented("handover outcomes are not received yet"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
    }

    /// A valid 12-digit number for `birth` with serial `serial` (three digits).
    fn number(birth: NaiveDate, serial: u32) -> String {
        let serial = u16::try_from(serial).expect("three digits");
        Personnummer::for_birth(birth, serial).expect("a three-digit serial").as_canonical().to_string()
    }

    fn request(pnr: &str) -> api::CreateYoungPersonRequest {
        api::CreateYoungPersonRequest {
            request_id: "0190f5a8-7c1e-7000-8000-000000000001".into(),
            young_person: Some(api::YoungPerson {
                person_identity_number: Some(common::PersonIdentityNumber { value: pnr.into() }),
                given_name: " Alva ".into(),
                family_name: "Lind".into(),
                source: api::IdentificationSource::School as i32,
                ..Default::default()
            }),
        }
    }

    fn violations(error: ServiceError) -> Vec<FieldViolation> {
        match error {
            ServiceError::InvalidArgument(violations) => violations,
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    const TODAY: (i32, u32, u32) = (2025, 6, 15);

    fn today() -> NaiveDate {
        day(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn a_person_in_the_target_group_is_accepted() {
        let birth = day(2003, 2, 14);
        let new = parse_young_person(&request(&number(birth, 123)), today()).expect("valid");
        assert_eq!(new.personnummer.birth_date(), birth);
        assert_eq!(new.given_name, "Alva");
        assert_eq!(new.family_name, "Lind");
        assert_eq!(new.source, IdentificationSource::School);
        assert_eq!(new.age, 22);
    }

    #[test]
    fn short_forms_are_accepted() {
        let full = number(day(2003, 2, 14), 123);
        let short = format!("{}-{}", &full[2..8], &full[8..]);
        let new = parse_young_person(&request(&short), today()).expect("valid");
        assert_eq!(new.personnummer.as_canonical(), full);
    }

    #[test]
    fn age_is_counted_on_the_first_day_of_the_month() {
        // Turns 25 during the month of registration: still in the group, aged 24.
        let new = parse_young_person(&request(&number(day(2000, 6, 10), 123)), today()).expect("valid");
        assert_eq!(new.age, 24);
        // Turns 18 on the first day of the month: in the group.
        let new = parse_young_person(&request(&number(day(2007, 6, 1), 123)), today()).expect("valid");
        assert_eq!(new.age, 18);
    }

    #[test]
    fn people_outside_the_target_group_are_refused_without_echoing_the_number() {
        for (birth, relation) in [
            (day(2007, 6, 2), "younger"), // turns 18 during the month: eligible from next month
            (day(2010, 1, 1), "younger"),
            (day(2000, 5, 31), "older"), // 25 already on the first day of the month
            (day(1980, 1, 1), "older"),
        ] {
            let pnr = number(birth, 123);
            let found = violations(parse_young_person(&request(&pnr), today()).expect_err("outside the group"));
            assert_eq!(found.len(), 1, "{birth}");
            assert_eq!(found[0].field, PERSON_IDENTITY_NUMBER);
            let description = &found[0].description;
            assert!(description.contains(relation), "{description}");
            assert!(!description.contains(&pnr[..8]), "{description}");
            assert!(!description.contains(&pnr[2..]), "{description}");
            assert!(!description.contains(&birth.year().to_string()), "{description}");
            assert!(!description.contains(&birth.to_string()), "{description}");
        }
    }

    #[test]
    fn invalid_numbers_name_the_field() {
        let mut pnr = number(day(2003, 2, 14), 123);
        let last = pnr.pop().and_then(|c| c.to_digit(10)).expect("a digit");
        pnr.push(char::from_digit((last + 1) % 10, 10).expect("a digit"));
        for value in [pnr.as_str(), "abc", "", "20030230-1234"] {
            let found = violations(parse_young_person(&request(value), today()).expect_err("invalid"));
            assert_eq!(found.len(), 1, "{value}");
            assert_eq!(found[0].field, PERSON_IDENTITY_NUMBER);
            if !value.is_empty() {
                assert!(!found[0].description.contains(value), "{}", found[0].description);
            }
        }
        let mut missing = request("");
        if let Some(person) = missing.young_person.as_mut() {
            person.person_identity_number = None;
        }
        let found = violations(parse_young_person(&missing, today()).expect_err("missing"));
        assert_eq!(found[0].field, PERSON_IDENTITY_NUMBER);
    }

    #[test]
    fn every_violation_is_reported() {
        let mut bad = request(&number(day(1990, 1, 1), 123));
        bad.request_id = "not-a-uuid".into();
        if let Some(person) = bad.young_person.as_mut() {
            person.given_name = "  ".into();
            person.family_name = "x".repeat(101);
            person.source = api::IdentificationSource::Unspecified as i32;
        }
        let found = violations(parse_young_person(&bad, today()).expect_err("invalid"));
        let fields: Vec<&str> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "request_id",
                PERSON_IDENTITY_NUMBER,
                "young_person.given_name",
                "young_person.family_name",
                "young_person.source"
            ]
        );
    }

    #[test]
    fn request_id_and_person_are_required() {
        let mut bare = request(&number(day(2003, 2, 14), 123));
        bare.request_id.clear();
        let found = violations(parse_young_person(&bare, today()).expect_err("no request id"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "request_id");
        bare.young_person = None;
        let found = violations(parse_young_person(&bare, today()).expect_err("no person"));
        let fields: Vec<&str> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["request_id", "young_person"]);
    }

    #[test]
    fn unknown_sources_are_refused() {
        let mut bad = request(&number(day(2003, 2, 14), 123));
        if let Some(person) = bad.young_person.as_mut() {
            person.source = 42;
        }
        let found = violations(parse_young_person(&bad, today()).expect_err("unknown source"));
        assert_eq!(found[0].field, "young_person.source");
    }

    #[test]
    fn stored_rows_convert_to_the_contract() {
        let row = store::young_person::Model {
            id: uuid::Uuid::now_v7(),
            kommun: "0180".into(),
            request_id: uuid::Uuid::now_v7(),
            personnummer: number(day(2003, 2, 14), 123),
            given_name: "Alva".into(),
            family_name: "Lind".into(),
            source: IdentificationSource::Kaa.code().into(),
            status: crate::domain::Status::Identified.code().into(),
            created_at: chrono::Utc::now(),
        };
        let person = to_api_young_person(row.clone());
        assert_eq!(person.young_person_id, row.id.to_string());
        assert_eq!(person.source, api::IdentificationSource::ActivityResponsibility as i32);
        assert_eq!(person.person_identity_number.map(|p| p.value), Some(row.personnummer));
    }
}
