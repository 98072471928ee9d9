//! ungsam's transport: decode and validate requests, call the store, encode answers.
//! Authorisation happened in the platform's auth layer; errors become statuses in the platform's mapping.

use chrono::{Datelike, NaiveDate};
use tonic::{Request, Response, Status};
use trappan_api::common::v1 as common;
use trappan_api::ungsam::v1::{self as api, ungsam_service_server::UngsamService};
use trappan_platform::auth::context;
use trappan_platform::clock::today;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{parse_date, parse_request_id, parse_uuid, required_text, to_date, to_timestamp};
use trappan_platform::outbox::FeedStream;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::server::ServiceContext;
use trappan_platform::store::{PageRequest, next_page_token};

use crate::domain::target_group::age_on;
use crate::domain::{
    ConsentScope, ContactChannel, ContactOutcome, Eligibility, ExitReason, IdentificationSource, ImportRow,
    TargetGroupRule, parse_import,
};
use crate::store::handovers::api_state;
use crate::store::import::Registered;
use crate::store::outreach::{NewContact, outcome_from_code};
use crate::store::partners::{ActivityKind, NewJointActivity, PartnerKind};
use crate::store::{self, NewYoungPerson, YoungPersonFilter, YoungPersonView};

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

/// The longest free text (notes, needs, plans, reasons) accepted, in characters.
const MAX_NOTE_CHARS: usize = 2000;
/// The longest needs or plan accepted, in characters.
const MAX_DETAIL_CHARS: usize = 4000;
/// The contact interval of the coach view when the caller gives none, in days.
const DEFAULT_CONTACT_INTERVAL_DAYS: i64 = 14;

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

/// Parses an optional date that must not be in the future; empty means `today`.
fn past_date(value: Option<&common::Date>, field: &str, today: NaiveDate) -> Result<NaiveDate, ServiceError> {
    let Some(value) = value else {
        return Ok(today);
    };
    let date = parse_date(Some(value), field)?;
    if date > today {
        return Err(ServiceError::invalid(field, "must not be in the future"));
    }
    Ok(date)
}

/// Optional free text: empty means none; longer than `max_chars` or with control characters other than
/// line breaks is invalid. The message never quotes the text.
fn optional_text(value: &str, field: &str, max_chars: usize) -> Result<Option<String>, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max_chars {
        return Err(ServiceError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(ServiceError::invalid(field, "must not contain control characters"));
    }
    Ok(Some(trimmed.to_string()))
}

/// Why a person is outside the target group, naming the rule, never the number or the birth date.
fn outside_target_group(eligibility: Eligibility) -> Option<String> {
    let rule = TargetGroupRule::default();
    let relation = match eligibility {
        Eligibility::InTargetGroup => return None,
        Eligibility::TooYoung => "younger than",
        Eligibility::TooOld => "older than",
    };
    Some(format!(
        "names a person {relation} the target group: {}–{} years old in the month of identification",
        rule.min_age, rule.max_age
    ))
}

/// The age the target-group rule counts (on the first day of the month of identification), if the
/// person is in the group then.
fn target_group_age(personnummer: &Personnummer, identified_on: NaiveDate) -> Result<u32, String> {
    let birth = personnummer.birth_date();
    if let Some(reason) = outside_target_group(TargetGroupRule::default().eligibility(birth, identified_on)) {
        return Err(reason);
    }
    age_on(birth, identified_on.with_day(1).unwrap_or(identified_on))
        .ok_or_else(|| "names a person not yet born on the day of identification".to_string())
}

/// Parses the identity number (short forms resolved against `today`) and checks the person against the
/// target group in the month of `identified_on`. Returns the number and the age the rule counts.
fn parse_identity(
    value: Option<&common::PersonIdentityNumber>,
    today: NaiveDate,
    identified_on: NaiveDate,
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
    match target_group_age(&personnummer, identified_on) {
        Ok(age) => Some((personnummer, age)),
        Err(reason) => {
            violations.push(FieldViolation::new(PERSON_IDENTITY_NUMBER, reason));
            None
        }
    }
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
    let identified_on =
        collect(past_date(person.identified_on.as_ref(), "young_person.identified_on", today), &mut violations)?;
    let identity = match identified_on {
        Some(on) => parse_identity(person.person_identity_number.as_ref(), today, on, &mut violations),
        None => None,
    };
    let given_name = collect(required_text(&person.given_name, "young_person.given_name", 100), &mut violations)?;
    let family_name = collect(required_text(&person.family_name, "young_person.family_name", 100), &mut violations)?;
    let source = store::source_from_api(person.source);
    if source.is_none() {
        violations.push(FieldViolation::new("young_person.source", "must be an identification source"));
    }
    let contact_channel = match person.contact_channel {
        0 => None,
        value => {
            let channel = store::channel_from_api(value);
            if channel.is_none() {
                violations.push(FieldViolation::new("young_person.contact_channel", "must be a contact channel"));
            }
            channel
        }
    };
    let contact_detail =
        collect(optional_text(&person.contact_detail, "young_person.contact_detail", 200), &mut violations)?;
    match (request_id, identity, given_name, family_name, source, identified_on, contact_detail) {
        (
            Some(request_id),
            Some((personnummer, age)),
            Some(given_name),
            Some(family_name),
            Some(source),
            Some(identified_on),
            Some(contact_detail),
        ) if violations.is_empty() => Ok(NewYoungPerson {
            request_id,
            personnummer,
            given_name,
            family_name,
            source,
            age,
            identified_on,
            contact_channel,
            contact_detail,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// Splits an imported full name: "Family, Given" or "Given … Family" (the last word is the family
/// name). A single word is both refused by the caller.
fn split_name(name: &str) -> Option<(String, String)> {
    if let Some((family, given)) = name.split_once(',') {
        let (given, family) = (given.trim(), family.trim());
        return (!given.is_empty() && !family.is_empty()).then(|| (given.to_string(), family.to_string()));
    }
    let (given, family) = name.trim().rsplit_once(char::is_whitespace)?;
    let given = given.trim();
    (!given.is_empty()).then(|| (given.to_string(), family.to_string()))
}

/// The result of one rejected import row.
fn rejected(row_number: usize, field: &str, reason: String) -> api::ImportRowResult {
    api::ImportRowResult {
        row_number: i32::try_from(row_number).unwrap_or(i32::MAX),
        outcome: api::ImportRowOutcome::Rejected as i32,
        young_person_id: String::new(),
        field: field.to_string(),
        reason,
    }
}

/// Turns an accepted CSV row into a registration, or the rejection the target group or the name causes.
fn import_row(
    row: &ImportRow,
    today: NaiveDate,
    identified_on: NaiveDate,
) -> Result<NewYoungPerson, api::ImportRowResult> {
    let personnummer = Personnummer::parse_at(&row.personnummer, today)
        .map_err(|_| rejected(row.row_number, "personnummer", "invalid personnummer".into()))?;
    let age = target_group_age(&personnummer, identified_on)
        .map_err(|reason| rejected(row.row_number, "personnummer", reason))?;
    let (given_name, family_name) = split_name(&row.name)
        .filter(|(given, family)| given.chars().count() <= 100 && family.chars().count() <= 100)
        .ok_or_else(|| {
            rejected(row.row_number, "namn", "must be a given and a family name of at most 100 characters each".into())
        })?;
    Ok(NewYoungPerson {
        request_id: uuid::Uuid::now_v7(),
        personnummer,
        given_name,
        family_name,
        source: row.source,
        age,
        identified_on,
        contact_channel: row.channel,
        contact_detail: row.contact.clone(),
    })
}

fn to_api_status_change(change: &store::status_change::Model) -> api::StatusChange {
    let status = |code: &str| {
        crate::domain::Status::from_code(code).map_or(api::YoungPersonStatus::Unspecified, store::api_status) as i32
    };
    api::StatusChange {
        from_status: change.from_status.as_deref().map_or(0, status),
        to_status: status(&change.to_status),
        changed_on: Some(to_date(change.changed_on)),
        cause: change.cause.clone(),
    }
}

fn to_api_handover(row: &store::handover::Model) -> api::Handover {
    api::Handover {
        handover_id: row.id.to_string(),
        state: api_state(&row.state) as i32,
        participant_id: row.participant_id.clone().unwrap_or_default(),
        handed_over_on: Some(to_date(row.handed_over_on)),
        outcome: row.outcome.unwrap_or_default(),
        exited_on: row.exited_on.map(to_date),
    }
}

fn to_api_young_person(view: YoungPersonView) -> api::YoungPerson {
    let row = view.person;
    api::YoungPerson {
        young_person_id: row.id.to_string(),
        kommun: row.kommun.clone(),
        person_identity_number: Some(common::PersonIdentityNumber { value: row.personnummer.clone() }),
        given_name: row.given_name.clone(),
        family_name: row.family_name.clone(),
        source: IdentificationSource::parse(&row.source)
            .map_or(api::IdentificationSource::Unspecified, store::api_source) as i32,
        create_time: Some(to_timestamp(row.created_at)),
        status: store::status_of(&row).map_or(api::YoungPersonStatus::Unspecified, store::api_status) as i32,
        status_history: view.history.iter().map(to_api_status_change).collect(),
        identified_on: Some(to_date(store::identified_on(&row))),
        contact_channel: row
            .contact_channel
            .as_deref()
            .and_then(ContactChannel::parse)
            .map_or(api::ContactChannel::Unspecified, store::api_channel) as i32,
        contact_detail: row.contact_detail.clone().unwrap_or_default(),
        coach: row.coach.clone().unwrap_or_default(),
        needs: row.needs.clone().unwrap_or_default(),
        plan: row.plan.clone().unwrap_or_default(),
        consent_scopes: view.consents.iter().map(|scope| store::api_scope(*scope) as i32).collect(),
        handover: view.handover.as_ref().map(to_api_handover),
        exit_outcome: row.exit_outcome.unwrap_or_default(),
        first_reached_on: row.first_reached_on.map(to_date),
        consents: view
            .consent_records
            .iter()
            .map(|consent| api::ConsentRecord {
                consent_id: consent.id.to_string(),
                scope: ConsentScope::from_code(&consent.scope).map_or(api::ConsentScope::Unspecified, store::api_scope)
                    as i32,
                given_on: Some(to_date(consent.given_on)),
                withdraw_time: consent.withdrawn_at.map(to_timestamp),
            })
            .collect(),
    }
}

fn to_api_contact(row: store::outreach_contact::Model) -> api::Contact {
    let outcome = match outcome_from_code(&row.outcome) {
        Some(ContactOutcome::Reached) => api::ContactOutcome::Reached,
        Some(ContactOutcome::NotReached) => api::ContactOutcome::NotReached,
        Some(ContactOutcome::Declined) => api::ContactOutcome::Declined,
        None => api::ContactOutcome::Unspecified,
    };
    api::Contact {
        contact_id: row.id.to_string(),
        young_person_id: row.young_person_id.to_string(),
        contacted_on: Some(to_date(row.contacted_on)),
        channel: ContactChannel::parse(&row.channel).map_or(api::ContactChannel::Unspecified, store::api_channel)
            as i32,
        made_by: row.made_by,
        outcome: outcome as i32,
        note: row.note.unwrap_or_default(),
        create_time: Some(to_timestamp(row.created_at)),
    }
}

fn partner_kind_from_api(value: i32) -> Option<PartnerKind> {
    use api::PartnerKind as K;
    Some(match K::try_from(value).ok()? {
        K::Unspecified => return None,
        K::School => PartnerKind::School,
        K::LeisureCentre => PartnerKind::LeisureCentre,
        K::ChurchOfSweden => PartnerKind::ChurchOfSweden,
        K::Ifo => PartnerKind::Ifo,
        K::University => PartnerKind::University,
        K::Other => PartnerKind::Other,
    })
}

fn api_partner_kind(kind: PartnerKind) -> api::PartnerKind {
    match kind {
        PartnerKind::School => api::PartnerKind::School,
        PartnerKind::LeisureCentre => api::PartnerKind::LeisureCentre,
        PartnerKind::ChurchOfSweden => api::PartnerKind::ChurchOfSweden,
        PartnerKind::Ifo => api::PartnerKind::Ifo,
        PartnerKind::University => api::PartnerKind::University,
        PartnerKind::Other => api::PartnerKind::Other,
    }
}

fn activity_kind_from_api(value: i32) -> Option<ActivityKind> {
    use api::JointActivityKind as K;
    Some(match K::try_from(value).ok()? {
        K::Unspecified => return None,
        K::Meeting => ActivityKind::Meeting,
        K::Dialogue => ActivityKind::Dialogue,
        K::Webinar => ActivityKind::Webinar,
    })
}

fn api_activity_kind(kind: ActivityKind) -> api::JointActivityKind {
    match kind {
        ActivityKind::Meeting => api::JointActivityKind::Meeting,
        ActivityKind::Dialogue => api::JointActivityKind::Dialogue,
        ActivityKind::Webinar => api::JointActivityKind::Webinar,
    }
}

fn to_api_partner(row: store::partner::Model) -> api::Partner {
    api::Partner {
        partner_id: row.id.to_string(),
        name: row.name,
        kind: PartnerKind::from_code(&row.kind).map_or(api::PartnerKind::Unspecified, api_partner_kind) as i32,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

fn to_api_activity(row: store::joint_activity::Model) -> api::JointActivity {
    api::JointActivity {
        joint_activity_id: row.id.to_string(),
        kind: ActivityKind::from_code(&row.kind).map_or(api::JointActivityKind::Unspecified, api_activity_kind) as i32,
        title: row.title.clone(),
        partner_ids: store::partners::partner_ids(&row),
        planned_on: Some(to_date(row.planned_on)),
        completed_on: row.completed_on.map(to_date),
        participant_count: row.participant_count,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

/// Parses a contact attempt, collecting every violation.
fn parse_contact(request: &api::RecordContactRequest, today: NaiveDate) -> Result<NewContact, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(contact) = request.contact.as_ref() else {
        violations.push(FieldViolation::new("contact", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let young_person_id = collect(parse_uuid(&contact.young_person_id, "contact.young_person_id"), &mut violations)?;
    let contacted_on = if contact.contacted_on.is_none() {
        violations.push(FieldViolation::new("contact.contacted_on", "is required"));
        None
    } else {
        collect(past_date(contact.contacted_on.as_ref(), "contact.contacted_on", today), &mut violations)?
    };
    let channel = store::channel_from_api(contact.channel);
    if channel.is_none() {
        violations.push(FieldViolation::new("contact.channel", "must be a contact channel"));
    }
    let outcome = match api::ContactOutcome::try_from(contact.outcome) {
        Ok(api::ContactOutcome::Reached) => Some(ContactOutcome::Reached),
        Ok(api::ContactOutcome::NotReached) => Some(ContactOutcome::NotReached),
        Ok(api::ContactOutcome::Declined) => Some(ContactOutcome::Declined),
        _ => {
            violations.push(FieldViolation::new("contact.outcome", "must be reached, not reached or declined"));
            None
        }
    };
    let made_by = collect(required_text(&contact.made_by, "contact.made_by", 200), &mut violations)?;
    let note = collect(optional_text(&contact.note, "contact.note", MAX_NOTE_CHARS), &mut violations)?;
    match (request_id, young_person_id, contacted_on, channel, outcome, made_by, note) {
        (
            Some(request_id),
            Some(young_person_id),
            Some(contacted_on),
            Some(channel),
            Some(outcome),
            Some(made_by),
            Some(note),
        ) if violations.is_empty() => {
            Ok(NewContact { request_id, young_person_id, contacted_on, channel, made_by, outcome, note })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// Parses a manual status change's target and exit outcome: EXITED_AGED_OUT is the service's own, and an
/// outcome must fit the exit reason.
fn parse_target_status(
    request: &api::ChangeStatusRequest,
) -> Result<(crate::domain::Status, Option<common::ExitOutcome>), ServiceError> {
    use common::ExitOutcome as O;
    let Some(to) = store::status_from_api(request.status) else {
        return Err(ServiceError::invalid("status", "must be a status"));
    };
    let outcome = match O::try_from(request.exit_outcome) {
        Ok(O::Unspecified) => None,
        Ok(outcome) => Some(outcome),
        Err(_) => return Err(ServiceError::invalid("exit_outcome", "must be an exit outcome")),
    };
    let fits = match (to, outcome) {
        (crate::domain::Status::Exited(ExitReason::AgedOut), _) => {
            return Err(ServiceError::invalid("status", "aged out is set by the service on the 25th birthday"));
        }
        (_, None) => true,
        (crate::domain::Status::Exited(ExitReason::Work), Some(o)) => {
            matches!(o, O::OrdinaryEmployment | O::SubsidisedEmployment)
        }
        (crate::domain::Status::Exited(ExitReason::Studies), Some(o)) => o == O::Studies,
        (crate::domain::Status::Exited(ExitReason::Other), Some(o)) => {
            matches!(o, O::OtherAuthority | O::Moved | O::Interrupted | O::Unknown)
        }
        (_, Some(_)) => false,
    };
    if !fits {
        return Err(ServiceError::invalid("exit_outcome", "does not fit the status"));
    }
    Ok((to, outcome))
}

/// Parses a joint activity to log.
fn parse_joint_activity(
    request: &api::CreateJointActivityRequest,
    today: NaiveDate,
) -> Result<NewJointActivity, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(activity) = request.joint_activity.as_ref() else {
        violations.push(FieldViolation::new("joint_activity", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let kind = activity_kind_from_api(activity.kind);
    if kind.is_none() {
        violations.push(FieldViolation::new("joint_activity.kind", "must be a meeting, dialogue or webinar"));
    }
    let title = collect(required_text(&activity.title, "joint_activity.title", 200), &mut violations)?;
    let mut partner_ids = Vec::new();
    for (index, id) in activity.partner_ids.iter().enumerate() {
        if let Some(id) = collect(parse_uuid(id, &format!("joint_activity.partner_ids[{index}]")), &mut violations)? {
            partner_ids.push(id);
        }
    }
    if activity.partner_ids.is_empty() {
        violations.push(FieldViolation::new("joint_activity.partner_ids", "needs at least one partner"));
    }
    let planned_on = collect(parse_date(activity.planned_on.as_ref(), "joint_activity.planned_on"), &mut violations)?;
    let completed_on = match activity.completed_on.as_ref() {
        None => None,
        Some(date) => collect(past_date(Some(date), "joint_activity.completed_on", today), &mut violations)?,
    };
    if activity.participant_count < 0 || (completed_on.is_none() && activity.participant_count != 0) {
        violations.push(FieldViolation::new(
            "joint_activity.participant_count",
            "must be zero or more, and zero while the activity is only planned",
        ));
    }
    match (request_id, kind, title, planned_on) {
        (Some(request_id), Some(kind), Some(title), Some(planned_on)) if violations.is_empty() => {
            Ok(NewJointActivity {
                request_id,
                kind,
                title,
                partner_ids,
                planned_on,
                completed_on,
                participant_count: activity.participant_count,
            })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

#[tonic::async_trait]
impl UngsamService for UngsamApi {
    async fn create_young_person(
        &self,
        request: Request<api::CreateYoungPersonRequest>,
    ) -> Result<Response<api::CreateYoungPersonResponse>, Status> {
        let context = context(&request)?;
        let new = parse_young_person(request.get_ref(), today())?;
        let view = store::create_young_person(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::CreateYoungPersonResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn get_young_person(
        &self,
        request: Request<api::GetYoungPersonRequest>,
    ) -> Result<Response<api::GetYoungPersonResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().young_person_id, "young_person_id")?;
        let view = store::get_young_person(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetYoungPersonResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn list_young_people(
        &self,
        request: Request<api::ListYoungPeopleRequest>,
    ) -> Result<Response<api::ListYoungPeopleResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let status = match body.status {
            0 => None,
            value => {
                Some(store::status_from_api(value).ok_or_else(|| ServiceError::invalid("status", "must be a status"))?)
            }
        };
        if body.contact_due_after_days < 0 {
            return Err(ServiceError::invalid("contact_due_after_days", "must be zero or more").into());
        }
        let filter = YoungPersonFilter {
            status,
            coach: body.mine.then(|| context.caller.subject.clone()),
            not_yet_contacted: body.not_yet_contacted,
            contact_due_by: (body.contact_due_after_days > 0)
                .then(|| today() - chrono::Days::new(u64::from(body.contact_due_after_days.unsigned_abs()))),
        };
        let (rows, next) = store::list_young_people(self.context.store.db()?, &context, &filter, page).await?;
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
        request: Request<api::ReceiveHandoverOutcomeRequest>,
    ) -> Result<Response<api::ReceiveHandoverOutcomeResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let report_id = collect(parse_uuid(&body.report_id, "report_id"), &mut violations)?;
        let handover_id = collect(parse_uuid(&body.handover_id, "handover_id"), &mut violations)?;
        let outcome = match common::ExitOutcome::try_from(body.outcome) {
            Ok(common::ExitOutcome::Unspecified) | Err(_) => {
                violations.push(FieldViolation::new("outcome", "must be an exit outcome"));
                None
            }
            Ok(outcome) => Some(outcome),
        };
        let exited_on = if body.exited_on.is_none() {
            violations.push(FieldViolation::new("exited_on", "is required"));
            None
        } else {
            collect(past_date(body.exited_on.as_ref(), "exited_on", today()), &mut violations)?
        };
        let (Some(report_id), Some(handover_id), Some(outcome), Some(exited_on)) =
            (report_id, handover_id, outcome, exited_on)
        else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        store::handovers::receive_outcome(
            self.context.store.db()?,
            &context,
            report_id,
            handover_id,
            outcome,
            exited_on,
        )
        .await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::ReceiveHandoverOutcomeResponse {}))
    }

    async fn change_status(
        &self,
        request: Request<api::ChangeStatusRequest>,
    ) -> Result<Response<api::ChangeStatusResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.young_person_id, "young_person_id")?;
        let (to, outcome) = parse_target_status(body)?;
        let on = past_date(body.changed_on.as_ref(), "changed_on", today())?;
        let view = store::outreach::change_status(self.context.store.db()?, &context, id, to, on, outcome).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::ChangeStatusResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn record_contact(
        &self,
        request: Request<api::RecordContactRequest>,
    ) -> Result<Response<api::RecordContactResponse>, Status> {
        let context = context(&request)?;
        let new = parse_contact(request.get_ref(), today())?;
        let (contact, view) = store::outreach::record_contact(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::RecordContactResponse {
            contact: Some(to_api_contact(contact)),
            young_person: Some(to_api_young_person(view)),
        }))
    }

    async fn list_contacts(
        &self,
        request: Request<api::ListContactsRequest>,
    ) -> Result<Response<api::ListContactsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.young_person_id, "young_person_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::outreach::list_contacts(self.context.store.db()?, &context, id, page).await?;
        Ok(Response::new(api::ListContactsResponse {
            contacts: rows.into_iter().map(to_api_contact).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn import_young_people(
        &self,
        request: Request<api::ImportYoungPeopleRequest>,
    ) -> Result<Response<api::ImportYoungPeopleResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let today = today();
        let identified_on = past_date(body.identified_on.as_ref(), "identified_on", today)?;
        let parsed = parse_import(&body.csv, |number| {
            Personnummer::parse_at(number, today).map(|p| p.birth_date()).map_err(|e| e.to_string())
        })
        .map_err(|error| ServiceError::invalid("csv", error.to_string()))?;
        let mut results = Vec::with_capacity(parsed.len());
        let mut people = Vec::new();
        let mut slots = Vec::new();
        for row in parsed {
            let result = row
                .map_err(|reject| rejected(reject.row_number, &reject.field.to_string(), reject.reason.to_string()))
                .and_then(|row| import_row(&row, today, identified_on).map(|person| (row.row_number, person)));
            match result {
                Ok((row_number, person)) => {
                    slots.push(results.len());
                    results.push(api::ImportRowResult {
                        row_number: i32::try_from(row_number).unwrap_or(i32::MAX),
                        ..Default::default()
                    });
                    people.push(person);
                }
                Err(rejection) => results.push(rejection),
            }
        }
        let registered = store::import::import_young_people(self.context.store.db()?, &context, &people).await?;
        for (slot, registered) in slots.into_iter().zip(registered) {
            let (outcome, id) = match registered {
                Registered::New(id) => (api::ImportRowOutcome::Accepted, id),
                Registered::Existing(id) => (api::ImportRowOutcome::AlreadyRegistered, id),
            };
            results[slot].outcome = outcome as i32;
            results[slot].young_person_id = id.to_string();
        }
        self.context.feed.notify_committed();
        let count = |outcome: api::ImportRowOutcome| {
            i32::try_from(results.iter().filter(|row| row.outcome == outcome as i32).count()).unwrap_or(i32::MAX)
        };
        Ok(Response::new(api::ImportYoungPeopleResponse {
            accepted_count: count(api::ImportRowOutcome::Accepted),
            already_registered_count: count(api::ImportRowOutcome::AlreadyRegistered),
            rejected_count: count(api::ImportRowOutcome::Rejected),
            rows: results,
        }))
    }

    async fn exit_aged_out(
        &self,
        request: Request<api::ExitAgedOutRequest>,
    ) -> Result<Response<api::ExitAgedOutResponse>, Status> {
        let context = context(&request)?;
        let exited = store::outreach::exit_aged_out(self.context.store.db()?, &context, today()).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::ExitAgedOutResponse { exited_count: i32::try_from(exited).unwrap_or(i32::MAX) }))
    }

    async fn record_consent(
        &self,
        request: Request<api::RecordConsentRequest>,
    ) -> Result<Response<api::RecordConsentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let id = collect(parse_uuid(&body.young_person_id, "young_person_id"), &mut violations)?;
        let scope = store::scope_from_api(body.scope);
        if scope.is_none() {
            violations.push(FieldViolation::new("scope", "must be a consent scope"));
        }
        let given_on = collect(past_date(body.given_on.as_ref(), "given_on", today()), &mut violations)?;
        let (Some(id), Some(scope), Some(given_on)) = (id, scope, given_on) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let view = store::consents::record_consent(self.context.store.db()?, &context, id, scope, given_on).await?;
        Ok(Response::new(api::RecordConsentResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn withdraw_consent(
        &self,
        request: Request<api::WithdrawConsentRequest>,
    ) -> Result<Response<api::WithdrawConsentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let id = collect(parse_uuid(&body.young_person_id, "young_person_id"), &mut violations)?;
        let scope = store::scope_from_api(body.scope);
        if scope.is_none() {
            violations.push(FieldViolation::new("scope", "must be a consent scope"));
        }
        let (Some(id), Some(scope)) = (id, scope) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let view = store::consents::withdraw_consent(self.context.store.db()?, &context, id, scope).await?;
        Ok(Response::new(api::WithdrawConsentResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn update_support_details(
        &self,
        request: Request<api::UpdateSupportDetailsRequest>,
    ) -> Result<Response<api::UpdateSupportDetailsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let id = collect(parse_uuid(&body.young_person_id, "young_person_id"), &mut violations)?;
        let needs = collect(optional_text(&body.needs, "needs", MAX_DETAIL_CHARS), &mut violations)?;
        let plan = collect(optional_text(&body.plan, "plan", MAX_DETAIL_CHARS), &mut violations)?;
        let (Some(id), Some(needs), Some(plan)) = (id, needs, plan) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        if needs.is_none() && plan.is_none() {
            return Err(ServiceError::InvalidArgument(vec![
                FieldViolation::new("needs", "needs or plan is required"),
                FieldViolation::new("plan", "needs or plan is required"),
            ])
            .into());
        }
        let view = store::consents::update_support_details(self.context.store.db()?, &context, id, needs, plan).await?;
        Ok(Response::new(api::UpdateSupportDetailsResponse { young_person: Some(to_api_young_person(view)) }))
    }

    async fn hand_over(
        &self,
        request: Request<api::HandOverRequest>,
    ) -> Result<Response<api::HandOverResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let request_id = collect(parse_request_id(&body.request_id), &mut violations)?;
        let id = collect(parse_uuid(&body.young_person_id, "young_person_id"), &mut violations)?;
        let reason = collect(required_text(&body.reason, "reason", MAX_NOTE_CHARS), &mut violations)?;
        let (Some(request_id), Some(id), Some(reason)) = (request_id, id, reason) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let row =
            store::handovers::hand_over(self.context.store.db()?, &context, request_id, id, reason, today()).await?;
        self.context.feed.notify_committed();
        self.context.dispatcher.wake();
        Ok(Response::new(api::HandOverResponse { handover: Some(to_api_handover(&row)) }))
    }

    async fn create_partner(
        &self,
        request: Request<api::CreatePartnerRequest>,
    ) -> Result<Response<api::CreatePartnerResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let request_id = collect(parse_request_id(&body.request_id), &mut violations)?;
        let partner = body.partner.clone().unwrap_or_default();
        let name = collect(required_text(&partner.name, "partner.name", 200), &mut violations)?;
        let kind = partner_kind_from_api(partner.kind);
        if kind.is_none() {
            violations.push(FieldViolation::new("partner.kind", "must be a partner kind"));
        }
        let (Some(request_id), Some(name), Some(kind)) = (request_id, name, kind) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let row = store::partners::create_partner(self.context.store.db()?, &context, request_id, name, kind).await?;
        Ok(Response::new(api::CreatePartnerResponse { partner: Some(to_api_partner(row)) }))
    }

    async fn list_partners(
        &self,
        request: Request<api::ListPartnersRequest>,
    ) -> Result<Response<api::ListPartnersResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::partners::list_partners(self.context.store.db()?, &context, page).await?;
        Ok(Response::new(api::ListPartnersResponse {
            partners: rows.into_iter().map(to_api_partner).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn create_joint_activity(
        &self,
        request: Request<api::CreateJointActivityRequest>,
    ) -> Result<Response<api::CreateJointActivityResponse>, Status> {
        let context = context(&request)?;
        let new = parse_joint_activity(request.get_ref(), today())?;
        let row = store::partners::create_joint_activity(self.context.store.db()?, &context, new).await?;
        Ok(Response::new(api::CreateJointActivityResponse { joint_activity: Some(to_api_activity(row)) }))
    }

    async fn list_joint_activities(
        &self,
        request: Request<api::ListJointActivitiesRequest>,
    ) -> Result<Response<api::ListJointActivitiesResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::partners::list_joint_activities(self.context.store.db()?, &context, page).await?;
        Ok(Response::new(api::ListJointActivitiesResponse {
            joint_activities: rows.into_iter().map(to_api_activity).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn get_outreach_summary(
        &self,
        request: Request<api::GetOutreachSummaryRequest>,
    ) -> Result<Response<api::GetOutreachSummaryResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let interval = match body.contact_interval_days {
            0 => DEFAULT_CONTACT_INTERVAL_DAYS,
            days if days > 0 => i64::from(days),
            _ => return Err(ServiceError::invalid("contact_interval_days", "must be zero or more").into()),
        };
        let due_by = today() - chrono::Duration::days(interval);
        let coach = body.mine.then(|| context.caller.subject.clone());
        let summary = store::outreach::summary(self.context.store.db()?, &context, coach, due_by).await?;
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(Response::new(api::GetOutreachSummaryResponse {
            by_status: summary
                .by_status
                .into_iter()
                .map(|(status, n)| api::StatusCount { status: store::api_status(status) as i32, count: count(n) })
                .collect(),
            not_yet_contacted: count(summary.not_yet_contacted),
            contacts_due: count(summary.contacts_due),
            median_days_to_first_contact: summary.median_days_to_first_contact,
        }))
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
    fn identification_dates_are_checked_against_the_target_group() {
        // The rule counts the age in the month of identification, not today.
        let mut past = request(&number(day(2003, 2, 14), 123));
        if let Some(person) = past.young_person.as_mut() {
            person.identified_on = Some(common::Date { year: 2021, month: 6, day: 1 });
        }
        // Born February 2003: 18 in June 2021.
        let new = parse_young_person(&past, today()).expect("valid");
        assert_eq!(new.age, 18);
        assert_eq!(new.identified_on, day(2021, 6, 1));
        if let Some(person) = past.young_person.as_mut() {
            person.identified_on = Some(common::Date { year: 2020, month: 6, day: 1 });
        }
        let found = violations(parse_young_person(&past, today()).expect_err("17 then"));
        assert_eq!(found[0].field, PERSON_IDENTITY_NUMBER);
        assert!(found[0].description.contains("younger"));
        if let Some(person) = past.young_person.as_mut() {
            person.identified_on = Some(common::Date { year: 2025, month: 6, day: 16 });
        }
        let found = violations(parse_young_person(&past, today()).expect_err("in the future"));
        assert_eq!(found[0].field, "young_person.identified_on");
    }

    #[test]
    fn names_split_both_ways() {
        assert_eq!(split_name("Anna Maria Svensson"), Some(("Anna Maria".into(), "Svensson".into())));
        assert_eq!(split_name("Svensson, Anna"), Some(("Anna".into(), "Svensson".into())));
        assert_eq!(split_name("Anna"), None);
        assert_eq!(split_name(", Anna"), None);
    }

    #[test]
    fn exit_outcomes_must_fit_the_status() {
        let change = |status: api::YoungPersonStatus, outcome: common::ExitOutcome| api::ChangeStatusRequest {
            status: status as i32,
            exit_outcome: outcome as i32,
            ..Default::default()
        };
        use api::YoungPersonStatus as S;
        use common::ExitOutcome as O;
        assert!(parse_target_status(&change(S::ExitedWork, O::SubsidisedEmployment)).is_ok());
        assert!(parse_target_status(&change(S::ExitedWork, O::Unspecified)).is_ok());
        assert!(parse_target_status(&change(S::ExitedStudies, O::Moved)).is_err());
        assert!(parse_target_status(&change(S::Contacted, O::Studies)).is_err());
        assert!(parse_target_status(&change(S::ExitedAgedOut, O::Unspecified)).is_err());
        assert!(parse_target_status(&change(S::Unspecified, O::Unspecified)).is_err());
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

    proptest::proptest! {
        /// Whatever a row holds, an import either registers someone 18–24 in the month of identification
        /// or rejects the row with a reason that quotes none of its values.
        #[test]
        fn imported_rows_are_in_the_target_group_or_rejected_without_quoting_them(
            given in "[A-Z][a-z]{5,10}",
            family in "[A-Z][a-z]{5,10}",
            serial in 0u32..1000,
            years_old in 10i32..60,
            month in 1u32..=12,
            source in proptest::sample::select(vec!["af", "skola", "kaa", "Mars", "Ovrigt", ""]),
        ) {
            let birth = day(2025 - years_old, month, 14);
            let pnr = number(birth, serial);
            let csv = format!("personnummer,namn,kanal,kontakt,kalla\n{pnr},{given} {family},,,{source}\n");
            let rows = parse_import(&csv, |p| {
                Personnummer::parse_at(p, today()).map(|p| p.birth_date()).map_err(|e| e.to_string())
            })
            .expect("the header is right");
            proptest::prop_assert_eq!(rows.len(), 1);
            let outcome = match &rows[0] {
                Ok(row) => import_row(row, today(), today()),
                Err(reject) => Err(rejected(reject.row_number, &reject.field.to_string(), reject.reason.to_string())),
            };
            match outcome {
                Ok(person) => {
                    proptest::prop_assert!((18..=24).contains(&person.age));
                    proptest::prop_assert_eq!((person.given_name, person.family_name), (given, family));
                }
                Err(result) => {
                    let text = format!("{} {}", result.field, result.reason);
                    proptest::prop_assert!(!text.contains(&pnr[..8]) && !text.contains(&pnr[2..]));
                    proptest::prop_assert!(!text.contains(&given) && !text.contains(&family));
                    proptest::prop_assert!(source.is_empty() || !text.contains(source));
                }
            }
        }
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
            status: crate::domain::Status::Contacted.code().into(),
            created_at: chrono::Utc::now(),
            identified_on: Some(day(2021, 3, 1)),
            contact_channel: Some("sms".into()),
            contact_detail: None,
            coach: Some("coach-1".into()),
            needs: None,
            plan: None,
            exit_outcome: None,
            first_reached_on: Some(day(2021, 3, 9)),
            last_contact_on: Some(day(2021, 3, 9)),
        };
        let view = YoungPersonView {
            person: row.clone(),
            history: Vec::new(),
            consents: Vec::new(),
            consent_records: Vec::new(),
            handover: None,
        };
        let person = to_api_young_person(view);
        assert_eq!(person.status, api::YoungPersonStatus::Contacted as i32);
        assert_eq!(person.contact_channel, api::ContactChannel::TextMessage as i32);
        assert_eq!(person.identified_on, Some(common::Date { year: 2021, month: 3, day: 1 }));
        assert_eq!(person.young_person_id, row.id.to_string());
        assert_eq!(person.source, api::IdentificationSource::ActivityResponsibility as i32);
        assert_eq!(person.person_identity_number.map(|p| p.value), Some(row.personnummer));
    }
}
