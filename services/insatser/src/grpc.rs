//! insatser's transport: decode and validate requests, call the store, encode answers.
//! Authorisation happened in the platform's auth layer; errors become statuses in the platform's mapping.

use tonic::{Request, Response, Status};
use trappan_api::common::v1 as common;
use trappan_api::insatser::v1::{self as api, insatser_service_server::InsatserService};
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{parse_request_id, parse_uuid, required_text, to_date, to_timestamp};
use trappan_platform::outbox::FeedStream;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::server::ServiceContext;
use trappan_platform::store::{PageRequest, next_page_token};

use crate::store::{self, NewParticipant, Origin, ParticipantFilter, ParticipantSource};

mod path;

/// The longest name the service accepts, in characters.
const NAME_MAX_CHARS: usize = 100;
/// The longest reason the service accepts, in characters.
const REASON_MAX_CHARS: usize = 1000;
/// The longest identifier of another unit (referral, consent) the service accepts, in characters.
const FOREIGN_ID_MAX_CHARS: usize = 100;

/// The InsatserService implementation.
pub struct InsatserApi {
    context: ServiceContext,
}

impl InsatserApi {
    /// The service over `context`'s store and feed.
    pub fn new(context: ServiceContext) -> InsatserApi {
        InsatserApi { context }
    }
}

/// Moves the violations of an invalid-argument result into `violations`; other errors pass through.
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

/// Parses a required identity number, naming `field` on failure (never echoing the value).
fn parse_personnummer(value: Option<&common::PersonIdentityNumber>, field: &str) -> Result<Personnummer, ServiceError> {
    let value = value.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    Personnummer::parse(&value.value).map_err(|error| ServiceError::invalid(field, error.to_string()))
}

/// Parses a required identifier chosen by another unit (a referral or consent identifier): 1–100
/// visible characters without whitespace, kept exactly as given since it is compared, not shown.
fn parse_foreign_id(value: &str, field: &str, missing: &str) -> Result<String, ServiceError> {
    if value.is_empty() {
        return Err(ServiceError::invalid(field, missing));
    }
    if value.chars().count() > FOREIGN_ID_MAX_CHARS {
        return Err(ServiceError::invalid(field, format!("must be at most {FOREIGN_ID_MAX_CHARS} characters")));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::invalid(field, "must not contain whitespace or control characters"));
    }
    Ok(value.to_string())
}

/// Parses a referral from another unit, collecting every violation rather than stopping at the first.
fn parse_referral(request: &api::ReceiveReferralRequest) -> Result<NewParticipant, ServiceError> {
    let mut violations = Vec::new();
    let referral_id = collect(
        parse_foreign_id(&request.referral_id, "referral_id", "is required: the referring unit's referral identifier"),
        &mut violations,
    )?;
    let source = match ParticipantSource::from_api(request.source) {
        Some(source) if source.is_referral() => Some(source),
        _ => {
            violations.push(FieldViolation::new(
                "source",
                "must be REFERRAL_SOURCE_EKONOMISKT_BISTAND or REFERRAL_SOURCE_UNGSAM",
            ));
            None
        }
    };
    let personnummer = collect(
        parse_personnummer(request.person_identity_number.as_ref(), "person_identity_number"),
        &mut violations,
    )?;
    let given_name = collect(required_text(&request.given_name, "given_name", NAME_MAX_CHARS), &mut violations)?;
    let family_name = collect(required_text(&request.family_name, "family_name", NAME_MAX_CHARS), &mut violations)?;
    let consent_id = collect(
        parse_foreign_id(
            &request.consent_id,
            "consent_id",
            "is required: a referral between units needs the person's consent",
        ),
        &mut violations,
    )?;
    let reason = collect(required_text(&request.reason, "reason", REASON_MAX_CHARS), &mut violations)?;
    match (referral_id, source, personnummer, given_name, family_name, consent_id, reason) {
        (
            Some(referral_id),
            Some(source),
            Some(personnummer),
            Some(given_name),
            Some(family_name),
            Some(consent_id),
            Some(reason),
        ) if violations.is_empty() => Ok(NewParticipant {
            origin: Origin::Referral { referral_id, consent_id, reason },
            personnummer,
            given_name,
            family_name,
            source,
            report_back_allowed: request.report_back_allowed,
            registered_on: trappan_platform::clock::today(),
            born_abroad: None,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// Parses a direct registration, collecting every violation rather than stopping at the first.
fn parse_participant(request: &api::CreateParticipantRequest) -> Result<NewParticipant, ServiceError> {
    let mut violations = Vec::new();
    let request_id = collect(parse_request_id(&request.request_id), &mut violations)?;
    let Some(participant) = request.participant.as_ref() else {
        violations.push(FieldViolation::new("participant", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    let personnummer = collect(
        parse_personnummer(participant.person_identity_number.as_ref(), "participant.person_identity_number"),
        &mut violations,
    )?;
    let given_name =
        collect(required_text(&participant.given_name, "participant.given_name", NAME_MAX_CHARS), &mut violations)?;
    let family_name =
        collect(required_text(&participant.family_name, "participant.family_name", NAME_MAX_CHARS), &mut violations)?;
    let source = match ParticipantSource::from_api(participant.source) {
        Some(source) if !source.is_referral() => Some(source),
        Some(_) => {
            violations.push(FieldViolation::new(
                "participant.source",
                "is a referral source: referrals from ekonomiskt bistånd and Ungsam arrive through \
                 ReceiveReferral",
            ));
            None
        }
        None => {
            violations.push(FieldViolation::new(
                "participant.source",
                "must be REFERRAL_SOURCE_SELF, REFERRAL_SOURCE_ARBETSFORMEDLINGEN or \
                 REFERRAL_SOURCE_OTHER",
            ));
            None
        }
    };
    let registered_on =
        collect(path::date_or_today(participant.registered_on.as_ref(), "participant.registered_on"), &mut violations)?;
    match (request_id, personnummer, given_name, family_name, source, registered_on) {
        (
            Some(request_id),
            Some(personnummer),
            Some(given_name),
            Some(family_name),
            Some(source),
            Some(registered_on),
        ) if violations.is_empty() => Ok(NewParticipant {
            origin: Origin::Direct { request_id },
            personnummer,
            given_name,
            family_name,
            source,
            report_back_allowed: participant.report_back_allowed,
            registered_on,
            born_abroad: participant.born_abroad,
        }),
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

/// The contract's form of a participant.
fn to_api_participant(row: store::participant::Model) -> api::Participant {
    let status = if row.exited_on.is_some() { api::ParticipantStatus::Exited } else { api::ParticipantStatus::Active };
    api::Participant {
        status: status as i32,
        consent_id: row.consent_id.clone().unwrap_or_default(),
        reason: row.reason.clone(),
        registered_on: Some(to_date(store::registered_on(&row))),
        born_abroad: row.born_abroad,
        responsible_coordinator: row.coordinator.clone().unwrap_or_default(),
        exited_on: row.exited_on.map(to_date),
        exit_outcome: path::stored_exit_outcome(row.exit_outcome.as_deref()),
        participant_id: row.id.to_string(),
        kommun: row.kommun,
        person_identity_number: Some(common::PersonIdentityNumber { value: row.personnummer }),
        given_name: row.given_name,
        family_name: row.family_name,
        source: ParticipantSource::from_code(&row.source)
            .map_or(api::ReferralSource::Unspecified, ParticipantSource::to_api) as i32,
        referral_id: row.referral_id.unwrap_or_default(),
        report_back_allowed: row.report_back_allowed,
        create_time: Some(to_timestamp(row.created_at)),
    }
}

#[tonic::async_trait]
impl InsatserService for InsatserApi {
    async fn receive_referral(
        &self,
        request: Request<api::ReceiveReferralRequest>,
    ) -> Result<Response<api::ReceiveReferralResponse>, Status> {
        let context = context(&request)?;
        let new = parse_referral(request.get_ref())?;
        let row = store::register_participant(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::ReceiveReferralResponse { participant: Some(to_api_participant(row)) }))
    }

    async fn create_participant(
        &self,
        request: Request<api::CreateParticipantRequest>,
    ) -> Result<Response<api::CreateParticipantResponse>, Status> {
        let context = context(&request)?;
        let new = parse_participant(request.get_ref())?;
        let row = store::register_participant(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::CreateParticipantResponse { participant: Some(to_api_participant(row)) }))
    }

    async fn get_participant(
        &self,
        request: Request<api::GetParticipantRequest>,
    ) -> Result<Response<api::GetParticipantResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().participant_id, "participant_id")?;
        let row = store::get_participant(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetParticipantResponse { participant: Some(to_api_participant(row)) }))
    }

    async fn list_participants(
        &self,
        request: Request<api::ListParticipantsRequest>,
    ) -> Result<Response<api::ListParticipantsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let exited = match api::ParticipantStatus::try_from(body.status) {
            Ok(api::ParticipantStatus::Active) => Some(false),
            Ok(api::ParticipantStatus::Exited) => Some(true),
            Ok(api::ParticipantStatus::Unspecified) => None,
            Err(_) => return Err(ServiceError::invalid("status", "is not a participant status").into()),
        };
        if body.only_mine && body.without_plan {
            // The caller is a participant's coordinator only through a plan, so the two filters exclude each other.
            return Err(ServiceError::invalid("without_plan", "cannot be combined with only_mine").into());
        }
        let filter = ParticipantFilter { exited, only_mine: body.only_mine, without_plan: body.without_plan };
        let (rows, next) = store::list_participants(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListParticipantsResponse {
            participants: rows.into_iter().map(to_api_participant).collect(),
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

    async fn get_unit_rules(
        &self,
        request: Request<api::GetUnitRulesRequest>,
    ) -> Result<Response<api::GetUnitRulesResponse>, Status> {
        let context = context(&request)?;
        let rules = store::rules::load(self.context.store.db()?, context.kommun()).await?;
        Ok(Response::new(api::GetUnitRulesResponse { rules: Some(path::to_api_rules(&rules)) }))
    }

    async fn update_unit_rules(
        &self,
        request: Request<api::UpdateUnitRulesRequest>,
    ) -> Result<Response<api::UpdateUnitRulesResponse>, Status> {
        let context = context(&request)?;
        let rules = path::parse_rules(request.get_ref())?.validate()?;
        let rules = store::rules::update(self.context.store.db()?, &context, rules).await?;
        Ok(Response::new(api::UpdateUnitRulesResponse { rules: Some(path::to_api_rules(&rules)) }))
    }

    async fn create_plan(
        &self,
        request: Request<api::CreatePlanRequest>,
    ) -> Result<Response<api::CreatePlanResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let new = path::parse_plan(&body.request_id, body.plan.as_ref(), &context.caller.subject)?;
        let (row, _) =
            store::plans::record_plan(self.context.store.db()?, &context, store::plans::PlanChange::Create, new)
                .await?;
        Ok(Response::new(api::CreatePlanResponse { plan: Some(path::to_api_plan(row)?) }))
    }

    async fn revise_plan(
        &self,
        request: Request<api::RevisePlanRequest>,
    ) -> Result<Response<api::RevisePlanResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let new = path::parse_plan(&body.request_id, body.plan.as_ref(), &context.caller.subject)?;
        let (row, reported) =
            store::plans::record_plan(self.context.store.db()?, &context, store::plans::PlanChange::Revise, new)
                .await?;
        if reported {
            self.context.dispatcher.wake();
        }
        Ok(Response::new(api::RevisePlanResponse { plan: Some(path::to_api_plan(row)?) }))
    }

    async fn get_plan(&self, request: Request<api::GetPlanRequest>) -> Result<Response<api::GetPlanResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().participant_id, "participant_id")?;
        let row = store::plans::current_plan(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetPlanResponse { plan: Some(path::to_api_plan(row)?) }))
    }

    async fn list_plan_revisions(
        &self,
        request: Request<api::ListPlanRevisionsRequest>,
    ) -> Result<Response<api::ListPlanRevisionsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.participant_id, "participant_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::plans::list_revisions(self.context.store.db()?, &context, id, page).await?;
        Ok(Response::new(api::ListPlanRevisionsResponse {
            plans: rows.into_iter().map(path::to_api_plan).collect::<Result<_, _>>()?,
            next_page_token: next_page_token(next),
        }))
    }

    async fn list_catalogue_entries(
        &self,
        request: Request<api::ListCatalogueEntriesRequest>,
    ) -> Result<Response<api::ListCatalogueEntriesResponse>, Status> {
        let context = context(&request)?;
        let catalogue = store::rules::catalogue(self.context.store.db()?, context.kommun()).await?;
        Ok(Response::new(api::ListCatalogueEntriesResponse {
            entries: catalogue.entries().iter().map(path::to_api_entry).collect(),
        }))
    }

    async fn create_catalogue_entry(
        &self,
        request: Request<api::CreateCatalogueEntryRequest>,
    ) -> Result<Response<api::CreateCatalogueEntryResponse>, Status> {
        let context = context(&request)?;
        let (request_id, entry) = path::parse_catalogue_entry(request.get_ref())?;
        let entry = store::rules::add_catalogue_entry(self.context.store.db()?, &context, request_id, entry).await?;
        Ok(Response::new(api::CreateCatalogueEntryResponse { entry: Some(path::to_api_entry(&entry)) }))
    }

    async fn create_employer(
        &self,
        request: Request<api::CreateEmployerRequest>,
    ) -> Result<Response<api::CreateEmployerResponse>, Status> {
        let context = context(&request)?;
        let new = path::parse_employer(request.get_ref())?;
        let row = store::work::create_employer(self.context.store.db()?, &context, new).await?;
        Ok(Response::new(api::CreateEmployerResponse { employer: Some(path::to_api_employer(row)) }))
    }

    async fn list_employers(
        &self,
        request: Request<api::ListEmployersRequest>,
    ) -> Result<Response<api::ListEmployersResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::work::list_employers(self.context.store.db()?, &context, page).await?;
        Ok(Response::new(api::ListEmployersResponse {
            employers: rows.into_iter().map(path::to_api_employer).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn start_intervention(
        &self,
        request: Request<api::StartInterventionRequest>,
    ) -> Result<Response<api::StartInterventionResponse>, Status> {
        let context = context(&request)?;
        let new = path::parse_intervention(request.get_ref())?;
        let row = store::work::start_intervention(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::StartInterventionResponse { intervention: Some(path::to_api_intervention(row)) }))
    }

    async fn end_intervention(
        &self,
        request: Request<api::EndInterventionRequest>,
    ) -> Result<Response<api::EndInterventionResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let id = collect(parse_uuid(&body.intervention_id, "intervention_id"), &mut violations)?;
        let ended_on = collect(path::date_or_today(body.ended_on.as_ref(), "ended_on"), &mut violations)?;
        let (Some(id), Some(ended_on)) = (id, ended_on) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let row = store::work::end_intervention(self.context.store.db()?, &context, id, ended_on).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::EndInterventionResponse { intervention: Some(path::to_api_intervention(row)) }))
    }

    async fn list_interventions(
        &self,
        request: Request<api::ListInterventionsRequest>,
    ) -> Result<Response<api::ListInterventionsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let filter = path::parse_intervention_filter(body)?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::work::list_interventions(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListInterventionsResponse {
            interventions: rows.into_iter().map(path::to_api_intervention).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn record_attendance(
        &self,
        request: Request<api::RecordAttendanceRequest>,
    ) -> Result<Response<api::RecordAttendanceResponse>, Status> {
        let context = context(&request)?;
        let new = path::parse_attendance(request.get_ref())?;
        let outcome = store::work::record_attendance(self.context.store.db()?, &context, new).await?;
        if outcome.reported {
            self.context.dispatcher.wake();
        }
        Ok(Response::new(api::RecordAttendanceResponse {
            attendance_id: outcome.row.id.to_string(),
            unexcused_in_window: i32::try_from(outcome.unexcused_in_window).unwrap_or(i32::MAX),
            reported_to_bistand: outcome.reported,
            threshold_reached: outcome.threshold_reached,
        }))
    }

    async fn list_follow_ups(
        &self,
        request: Request<api::ListFollowUpsRequest>,
    ) -> Result<Response<api::ListFollowUpsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let mut violations = Vec::new();
        let as_of = collect(
            body.as_of
                .as_ref()
                .map_or(Ok(trappan_platform::clock::today()), |d| trappan_platform::grpc::parse_date(Some(d), "as_of")),
            &mut violations,
        )?;
        let participant_id = if body.participant_id.is_empty() {
            Some(None)
        } else {
            collect(parse_uuid(&body.participant_id, "participant_id"), &mut violations)?.map(Some)
        };
        let page = collect(PageRequest::parse(body.page_size, &body.page_token), &mut violations)?;
        let (Some(as_of), Some(participant_id), Some(page)) = (as_of, participant_id, page) else {
            return Err(ServiceError::InvalidArgument(violations).into());
        };
        let filter = store::follow_ups::FollowUpFilter {
            as_of,
            only_mine: body.only_mine,
            only_overdue: body.only_overdue,
            participant_id,
        };
        let (views, next) = store::follow_ups::list(self.context.store.db()?, &context, filter, page).await?;
        Ok(Response::new(api::ListFollowUpsResponse {
            follow_ups: views.into_iter().map(path::to_api_follow_up).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn record_follow_up(
        &self,
        request: Request<api::RecordFollowUpRequest>,
    ) -> Result<Response<api::RecordFollowUpResponse>, Status> {
        let context = context(&request)?;
        let done = path::parse_follow_up(request.get_ref())?;
        let (done, next) = store::follow_ups::record(self.context.store.db()?, &context, done).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::RecordFollowUpResponse {
            follow_up: Some(path::to_api_follow_up(done)),
            next: next.map(path::to_api_follow_up),
        }))
    }

    async fn exit_participant(
        &self,
        request: Request<api::ExitParticipantRequest>,
    ) -> Result<Response<api::ExitParticipantResponse>, Status> {
        let context = context(&request)?;
        let exit = path::parse_exit(request.get_ref())?;
        let db = self.context.store.db()?;
        let (participant, follow_ups) = store::follow_ups::exit(db, &context, exit).await?;
        self.context.feed.notify_committed();
        self.context.dispatcher.wake();
        let rules = store::rules::load(db, context.kommun()).await?;
        let follow_ups = follow_ups
            .into_iter()
            .map(|row| {
                path::to_api_follow_up(store::follow_ups::FollowUpView {
                    state: store::follow_ups::state_on(&row, &rules.follow_up, trappan_platform::clock::today()),
                    coordinator: participant.coordinator.clone(),
                    row,
                })
            })
            .collect();
        Ok(Response::new(api::ExitParticipantResponse {
            participant: Some(to_api_participant(participant)),
            follow_ups,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid identity number (Luhn check digit matches).
    const PERSONNUMMER: &str = "198112189876";

    fn fields(error: ServiceError) -> Vec<String> {
        match error {
            ServiceError::InvalidArgument(violations) => violations.into_iter().map(|v| v.field).collect(),
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    fn referral() -> api::ReceiveReferralRequest {
        api::ReceiveReferralRequest {
            referral_id: "0190a5b8-6f3e-7c3a-9d2e-3b4c5d6e7f80".into(),
            source: api::ReferralSource::EkonomisktBistand as i32,
            person_identity_number: Some(common::PersonIdentityNumber { value: PERSONNUMMER.into() }),
            given_name: " Anna ".into(),
            family_name: "Andersson".into(),
            consent_id: "0190a5b8-6f3e-7c3a-9d2e-3b4c5d6e7f81".into(),
            report_back_allowed: true,
            reason: "Behöver stöd mot arbete".into(),
        }
    }

    fn direct() -> api::CreateParticipantRequest {
        api::CreateParticipantRequest {
            request_id: "0190a5b8-6f3e-7c3a-9d2e-3b4c5d6e7f82".into(),
            participant: Some(api::Participant {
                person_identity_number: Some(common::PersonIdentityNumber { value: PERSONNUMMER.into() }),
                given_name: "Anna".into(),
                family_name: "Andersson".into(),
                source: api::ReferralSource::Self_ as i32,
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_complete_referral_parses() {
        let parsed = parse_referral(&referral()).expect("valid referral");
        assert_eq!(parsed.source, ParticipantSource::EkonomisktBistand);
        assert_eq!(parsed.personnummer.as_canonical(), PERSONNUMMER);
        assert_eq!(parsed.given_name, "Anna");
        assert!(parsed.report_back_allowed);
        match parsed.origin {
            Origin::Referral { referral_id, consent_id, reason } => {
                assert_eq!(referral_id, "0190a5b8-6f3e-7c3a-9d2e-3b4c5d6e7f80");
                assert_eq!(consent_id, "0190a5b8-6f3e-7c3a-9d2e-3b4c5d6e7f81");
                assert_eq!(reason, "Behöver stöd mot arbete");
            }
            other => panic!("expected a referral origin, got {other:?}"),
        }
    }

    #[test]
    fn an_ungsam_referral_parses() {
        let request = api::ReceiveReferralRequest { source: api::ReferralSource::Ungsam as i32, ..referral() };
        assert_eq!(parse_referral(&request).expect("valid").source, ParticipantSource::Ungsam);
    }

    #[test]
    fn a_referral_with_a_bad_check_digit_names_the_identity_number() {
        let request = api::ReceiveReferralRequest {
            person_identity_number: Some(common::PersonIdentityNumber { value: "198112189875".into() }),
            ..referral()
        };
        let error = parse_referral(&request).expect_err("bad check digit");
        assert_eq!(fields(error), ["person_identity_number"]);
    }

    #[test]
    fn identity_number_errors_do_not_echo_the_value() {
        let request = api::ReceiveReferralRequest {
            person_identity_number: Some(common::PersonIdentityNumber { value: "198112189875".into() }),
            ..referral()
        };
        let status: Status = parse_referral(&request).expect_err("bad check digit").into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(!status.message().contains("1981"));
    }

    #[test]
    fn a_referral_without_consent_is_refused() {
        let request = api::ReceiveReferralRequest { consent_id: String::new(), ..referral() };
        assert_eq!(fields(parse_referral(&request).expect_err("no consent")), ["consent_id"]);
    }

    #[test]
    fn a_referral_must_come_from_a_referring_unit() {
        for source in [
            api::ReferralSource::Unspecified,
            api::ReferralSource::Self_,
            api::ReferralSource::Arbetsformedlingen,
            api::ReferralSource::Other,
        ] {
            let request = api::ReceiveReferralRequest { source: source as i32, ..referral() };
            assert_eq!(fields(parse_referral(&request).expect_err("not a referral")), ["source"]);
        }
        let request = api::ReceiveReferralRequest { source: 42, ..referral() };
        assert_eq!(fields(parse_referral(&request).expect_err("unknown source")), ["source"]);
    }

    #[test]
    fn an_empty_referral_names_every_field() {
        let error = parse_referral(&api::ReceiveReferralRequest::default()).expect_err("empty referral");
        assert_eq!(
            fields(error),
            ["referral_id", "source", "person_identity_number", "given_name", "family_name", "consent_id", "reason"]
        );
    }

    #[test]
    fn referral_ids_are_bounded_and_without_whitespace() {
        for bad in ["a b", "x".repeat(101).as_str(), "\n"] {
            let request = api::ReceiveReferralRequest { referral_id: bad.into(), ..referral() };
            assert_eq!(fields(parse_referral(&request).expect_err("bad id")), ["referral_id"]);
        }
        let request = api::ReceiveReferralRequest { referral_id: "x".repeat(100), ..referral() };
        assert!(parse_referral(&request).is_ok());
    }

    #[test]
    fn overlong_names_and_reasons_are_refused() {
        let request =
            api::ReceiveReferralRequest { given_name: "a".repeat(101), reason: "r".repeat(1001), ..referral() };
        assert_eq!(fields(parse_referral(&request).expect_err("too long")), ["given_name", "reason"]);
    }

    #[test]
    fn a_complete_direct_registration_parses() {
        let parsed = parse_participant(&direct()).expect("valid participant");
        assert_eq!(parsed.source, ParticipantSource::SelfReferral);
        assert!(!parsed.report_back_allowed);
        assert!(matches!(parsed.origin, Origin::Direct { .. }));
        for source in [api::ReferralSource::Arbetsformedlingen, api::ReferralSource::Other] {
            let mut request = direct();
            if let Some(participant) = request.participant.as_mut() {
                participant.source = source as i32;
            }
            assert!(parse_participant(&request).is_ok());
        }
    }

    #[test]
    fn a_direct_registration_may_not_claim_a_referral_source() {
        for source in
            [api::ReferralSource::EkonomisktBistand, api::ReferralSource::Ungsam, api::ReferralSource::Unspecified]
        {
            let mut request = direct();
            if let Some(participant) = request.participant.as_mut() {
                participant.source = source as i32;
            }
            assert_eq!(fields(parse_participant(&request).expect_err("referral source")), ["participant.source"]);
        }
    }

    #[test]
    fn a_direct_registration_needs_a_request_id_and_a_participant() {
        let request = api::CreateParticipantRequest { request_id: String::new(), participant: None };
        assert_eq!(fields(parse_participant(&request).expect_err("empty")), ["request_id", "participant"]);
        let request = api::CreateParticipantRequest { request_id: "not-a-uuid".into(), ..direct() };
        assert_eq!(fields(parse_participant(&request).expect_err("bad id")), ["request_id"]);
    }

    #[test]
    fn a_direct_registration_collects_every_violation() {
        let request = api::CreateParticipantRequest {
            request_id: "nope".into(),
            participant: Some(api::Participant {
                person_identity_number: Some(common::PersonIdentityNumber { value: "12".into() }),
                ..Default::default()
            }),
        };
        assert_eq!(
            fields(parse_participant(&request).expect_err("all wrong")),
            [
                "request_id",
                "participant.person_identity_number",
                "participant.given_name",
                "participant.family_name",
                "participant.source"
            ]
        );
    }

    #[test]
    fn stored_rows_convert_to_the_contract() {
        let row = store::participant::Model {
            id: uuid::Uuid::now_v7(),
            kommun: "0767".into(),
            request_id: None,
            referral_id: Some("r-1".into()),
            personnummer: PERSONNUMMER.into(),
            given_name: "Anna".into(),
            family_name: "Andersson".into(),
            source: "ungsam".into(),
            report_back_allowed: true,
            consent_id: Some("c-1".into()),
            reason: "stöd".into(),
            created_at: chrono::Utc::now(),
            registered_on: chrono::NaiveDate::from_ymd_opt(2020, 3, 2),
            born_abroad: Some(true),
            coordinator: Some("koordinator-1".into()),
            plan_start: None,
            exited_on: chrono::NaiveDate::from_ymd_opt(2020, 9, 30),
            exit_outcome: Some("studies".into()),
        };
        let participant = to_api_participant(row.clone());
        assert_eq!(participant.status, api::ParticipantStatus::Exited as i32);
        assert_eq!(participant.exit_outcome, common::ExitOutcome::Studies as i32);
        assert_eq!(participant.consent_id, "c-1");
        assert_eq!(participant.born_abroad, Some(true));
        assert_eq!(participant.participant_id, row.id.to_string());
        assert_eq!(participant.source, api::ReferralSource::Ungsam as i32);
        assert_eq!(participant.referral_id, "r-1");
        assert_eq!(participant.person_identity_number.map(|p| p.value).as_deref(), Some(PERSONNUMMER));
        let direct = to_api_participant(store::participant::Model { referral_id: None, source: "self".into(), ..row });
        assert_eq!(direct.referral_id, "");
        assert_eq!(direct.source, api::ReferralSource::Self_ as i32);
    }
}
