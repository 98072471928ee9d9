//! insatser's transport: decode and validate requests, call the store, encode answers.
//! Authorisation happened in the platform's auth layer; errors become statuses in the platform's mapping.

use tonic::{Request, Response, Status};
use trappan_api::common::v1 as common;
use trappan_api::insatser::v1::{self as api, insatser_service_server::InsatserService};
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{parse_request_id, parse_uuid, required_text, to_timestamp};
use trappan_platform::outbox::FeedStream;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::server::ServiceContext;
use trappan_platform::store::{PageRequest, next_page_token};

use crate::store::{self, NewParticipant, Origin, ParticipantSource};

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
    match (request_id, personnummer, given_name, family_name, source) {
        (Some(request_id), Some(personnummer), Some(given_name), Some(family_name), Some(source))
            if violations.is_empty() =>
        {
            Ok(NewParticipant {
                origin: Origin::Direct { request_id },
                personnummer,
                given_name,
                family_name,
                source,
                report_back_allowed: participant.report_back_allowed,
            })
        }
        _ => Err(ServiceError::InvalidArgument(violations)),
    }
}

fn to_api_participant(row: store::participant::Model) -> api::Participant {
    api::Participant {
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
        let (rows, next) = store::list_participants(self.context.store.db()?, &context, page).await?;
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
        };
        let participant = to_api_participant(row.clone());
        assert_eq!(participant.participant_id, row.id.to_string());
        assert_eq!(participant.source, api::ReferralSource::Ungsam as i32);
        assert_eq!(participant.referral_id, "r-1");
        assert_eq!(participant.person_identity_number.map(|p| p.value).as_deref(), Some(PERSONNUMMER));
        let direct = to_api_participant(store::participant::Model { referral_id: None, source: "self".into(), ..row });
        assert_eq!(direct.referral_id, "");
        assert_eq!(direct.source, api::ReferralSource::Self_ as i32);
    }
}
