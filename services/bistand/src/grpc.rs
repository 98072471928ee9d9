//! bistand's transport: decode and validate requests, call the store, encode answers.
//! Authorisation happened in the platform's auth layer; errors become statuses in the platform's mapping.

use tonic::{Request, Response, Status};
use trappan_api::bistand::v1::{self as api, bistand_service_server::BistandService};
use trappan_api::common::v1 as common;
use trappan_platform::auth::context;
use trappan_platform::error::{FieldViolation, ServiceError};
use trappan_platform::grpc::{
    parse_date, parse_request_id, parse_uuid, parse_year_month, required_text, to_date, to_timestamp,
};
use trappan_platform::outbox::FeedStream;
use trappan_platform::personnummer::Personnummer;
use trappan_platform::server::ServiceContext;
use trappan_platform::store::{PageRequest, next_page_token};

use crate::domain::YearMonth;
use crate::domain::socialstyrelsen::Forsorjningshinder;
use crate::norms::LoadedNorms;
use crate::store::{self, MemberRole, NewConsent, NewHousehold, NewMember, month_key};

mod case_flow;

pub use case_flow::{cost_kind_api, income_kind_api};

/// The BistandService implementation.
pub struct BistandApi {
    context: ServiceContext,
    /// The riksnorm tables, or why they could not be loaded (start-up checks them first, see
    /// `Bistand::check_settings`, so the error only shows if the files changed in between).
    norms: Result<LoadedNorms, String>,
}

impl BistandApi {
    /// The service over `context`'s store and feed, with the riksnorm tables its settings name.
    pub fn new(context: ServiceContext) -> BistandApi {
        let norms = LoadedNorms::from_settings(&context.settings).map_err(|e| e.to_string());
        BistandApi { context, norms }
    }

    /// The loaded riksnorm tables.
    fn norms(&self) -> Result<&LoadedNorms, ServiceError> {
        self.norms.as_ref().map_err(|e| ServiceError::FailedPrecondition(e.clone()))
    }
}

fn parse_member(
    index: usize,
    member: &api::HouseholdMember,
    violations: &mut Vec<FieldViolation>,
) -> Option<NewMember> {
    let field = |name: &str| format!("household.members[{index}].{name}");
    let personnummer = match member.person_identity_number.as_ref().map(|p| Personnummer::parse(&p.value)) {
        Some(Ok(parsed)) => Some(parsed),
        Some(Err(error)) => {
            violations.push(FieldViolation::new(field("person_identity_number"), error.to_string()));
            None
        }
        None => {
            violations.push(FieldViolation::new(field("person_identity_number"), "is required"));
            None
        }
    };
    let mut text = |value: &str, name: &str| match required_text(value, &field(name), 100) {
        Ok(text) => Some(text),
        Err(ServiceError::InvalidArgument(mut found)) => {
            violations.append(&mut found);
            None
        }
        Err(_) => None,
    };
    let given_name = text(&member.given_name, "given_name");
    let family_name = text(&member.family_name, "family_name");
    let role = match api::MemberRole::try_from(member.role) {
        Ok(api::MemberRole::Applicant) => Some(MemberRole::Applicant),
        Ok(api::MemberRole::CoApplicant) => Some(MemberRole::CoApplicant),
        Ok(api::MemberRole::Child) => Some(MemberRole::Child),
        Ok(api::MemberRole::OtherAdult) => Some(MemberRole::OtherAdult),
        _ => {
            violations.push(FieldViolation::new(field("role"), "must be a member role"));
            None
        }
    };
    let member_from = match parse_year_month(member.member_from.as_ref(), &field("member_from")) {
        Ok((year, month)) => Some(month_key(year, month)),
        Err(ServiceError::InvalidArgument(mut found)) => {
            violations.append(&mut found);
            None
        }
        Err(_) => None,
    };
    let member_until = match member.member_until.as_ref() {
        None => None,
        Some(until) => match parse_year_month(Some(until), &field("member_until")) {
            Ok((year, month)) => Some(month_key(year, month)),
            Err(ServiceError::InvalidArgument(mut found)) => {
                violations.append(&mut found);
                None
            }
            Err(_) => None,
        },
    };
    let forsorjningshinder = match (api::Forsorjningshinder::try_from(member.forsorjningshinder), role) {
        (Ok(api::Forsorjningshinder::Unspecified), _) => None,
        (Ok(_), Some(MemberRole::Child)) => {
            violations.push(FieldViolation::new(field("forsorjningshinder"), "is recorded for adults only"));
            None
        }
        (Ok(value), _) => forsorjningshinder_from_api(value),
        (Err(_), _) => {
            violations.push(FieldViolation::new(field("forsorjningshinder"), "must be a försörjningshinder"));
            None
        }
    };
    if let (Some(from), Some(until)) = (member_from, member_until)
        && until < from
    {
        violations.push(FieldViolation::new(field("member_until"), "is before member_from"));
    }
    Some(NewMember {
        personnummer: personnummer?,
        given_name: given_name?,
        family_name: family_name?,
        role: role?,
        lunch_at_school: member.lunch_at_school,
        in_upper_secondary_school: member.in_upper_secondary_school,
        born_abroad: member.born_abroad,
        member_from: member_from?,
        member_until,
        forsorjningshinder,
    })
}

/// The domain's försörjningshinder for a recorded (not unspecified) API value.
fn forsorjningshinder_from_api(value: api::Forsorjningshinder) -> Option<Forsorjningshinder> {
    use Forsorjningshinder as H;
    use api::Forsorjningshinder as A;
    Some(match value {
        A::Unspecified => return None,
        A::UnemployedNoBenefit => H::UnemployedNoBenefit,
        A::UnemployedInsufficientBenefit => H::UnemployedInsufficientBenefit,
        A::UnemployedAwaitingBenefit => H::UnemployedAwaitingBenefit,
        A::SickLeaveNoBenefit => H::SickLeaveNoBenefit,
        A::SickLeaveInsufficientBenefit => H::SickLeaveInsufficientBenefit,
        A::SickLeaveAwaitingBenefit => H::SickLeaveAwaitingBenefit,
        A::SicknessCompensationInsufficient => H::SicknessCompensationInsufficient,
        A::SicknessCompensationAwaited => H::SicknessCompensationAwaited,
        A::SocialReasons => H::SocialReasons,
        A::ParentalBenefitInsufficient => H::ParentalBenefitInsufficient,
        A::ParentalBenefitAwaited => H::ParentalBenefitAwaited,
        A::FullTimeInsufficientIncome => H::FullTimeInsufficientIncome,
        A::FullTimeAwaitedIncome => H::FullTimeAwaitedIncome,
        A::PartTimeInsufficientIncome => H::PartTimeInsufficientIncome,
        A::PartTimeAwaitedIncome => H::PartTimeAwaitedIncome,
        A::PensionInsufficient => H::PensionInsufficient,
        A::PensionAwaited => H::PensionAwaited,
        A::EstablishmentInsufficient => H::EstablishmentInsufficient,
        A::EstablishmentAwaited => H::EstablishmentAwaited,
        A::EstablishmentMissing => H::EstablishmentMissing,
        A::UnaccompaniedYoungInSchool => H::UnaccompaniedYoungInSchool,
        A::LacksChildcare => H::LacksChildcare,
        A::NoObstacle => H::NoObstacle,
    })
}

/// The API value of a stored försörjningshinder code; unspecified when none (or unreadable) is stored.
fn forsorjningshinder_to_api(stored: Option<&str>) -> api::Forsorjningshinder {
    let Some(hinder) = stored.and_then(Forsorjningshinder::from_store_code) else {
        return api::Forsorjningshinder::Unspecified;
    };
    (1..=Forsorjningshinder::ALL.len() as i32)
        .filter_map(|value| api::Forsorjningshinder::try_from(value).ok())
        .find(|value| forsorjningshinder_from_api(*value) == Some(hinder))
        .unwrap_or(api::Forsorjningshinder::Unspecified)
}

/// Parses a household to register, collecting every violation rather than stopping at the first.
fn parse_household(request: &api::CreateHouseholdRequest, default_unit: &str) -> Result<NewHousehold, ServiceError> {
    let mut violations = Vec::new();
    let request_id = match parse_request_id(&request.request_id) {
        Ok(id) => Some(id),
        Err(ServiceError::InvalidArgument(mut found)) => {
            violations.append(&mut found);
            None
        }
        Err(error) => return Err(error),
    };
    let Some(household) = request.household.as_ref() else {
        violations.push(FieldViolation::new("household", "is required"));
        return Err(ServiceError::InvalidArgument(violations));
    };
    if household.members.is_empty() {
        violations.push(FieldViolation::new("household.members", "must name at least the applicant"));
    }
    if household.members.len() > 30 {
        violations.push(FieldViolation::new("household.members", "must have at most 30 members"));
    }
    let members: Vec<Option<NewMember>> =
        household.members.iter().enumerate().map(|(i, m)| parse_member(i, m, &mut violations)).collect();
    let roles: Vec<MemberRole> = members.iter().flatten().map(|m| m.role).collect();
    if roles.iter().filter(|r| **r == MemberRole::Applicant).count() != 1 {
        violations.push(FieldViolation::new("household.members", "must have exactly one applicant"));
    } else if roles.first() != Some(&MemberRole::Applicant) && members.iter().all(Option::is_some) {
        violations.push(FieldViolation::new("household.members", "must list the applicant first"));
    }
    if roles.iter().filter(|r| **r == MemberRole::CoApplicant).count() > 1 {
        violations.push(FieldViolation::new("household.members", "may have at most one co-applicant"));
    }
    let mut numbers: Vec<&str> = members.iter().flatten().map(|m| m.personnummer.as_canonical()).collect();
    numbers.sort_unstable();
    if numbers.windows(2).any(|pair| pair[0] == pair[1]) {
        violations.push(FieldViolation::new("household.members", "names the same person twice"));
    }
    if !violations.is_empty() {
        return Err(ServiceError::InvalidArgument(violations));
    }
    let responsible_unit = if household.responsible_unit.trim().is_empty() {
        default_unit.to_string()
    } else {
        required_text(&household.responsible_unit, "household.responsible_unit", 100)?
    };
    Ok(NewHousehold {
        request_id: request_id.ok_or_else(|| ServiceError::invalid("request_id", "is required"))?,
        members: members.into_iter().flatten().collect(),
        responsible_unit,
    })
}

fn year_month(key: i32) -> common::YearMonth {
    common::YearMonth { year: key / 100, month: key % 100 }
}

fn to_api_household(record: store::HouseholdRecord) -> api::Household {
    let household = record.household;
    api::Household {
        household_id: household.id.to_string(),
        kommun: household.kommun,
        members: record
            .members
            .into_iter()
            .map(|m| api::HouseholdMember {
                member_id: m.id.to_string(),
                person_identity_number: Some(common::PersonIdentityNumber { value: m.personnummer }),
                given_name: m.given_name,
                family_name: m.family_name,
                role: match MemberRole::from_code(&m.role) {
                    Some(MemberRole::Applicant) => api::MemberRole::Applicant,
                    Some(MemberRole::CoApplicant) => api::MemberRole::CoApplicant,
                    Some(MemberRole::Child) => api::MemberRole::Child,
                    Some(MemberRole::OtherAdult) => api::MemberRole::OtherAdult,
                    None => api::MemberRole::Unspecified,
                } as i32,
                lunch_at_school: m.lunch_at_school,
                in_upper_secondary_school: m.in_upper_secondary_school,
                born_abroad: m.born_abroad,
                member_from: Some(year_month(m.member_from)),
                member_until: m.member_until.map(year_month),
                forsorjningshinder: forsorjningshinder_to_api(m.forsorjningshinder.as_deref()) as i32,
            })
            .collect(),
        responsible_unit: household.responsible_unit,
        responsible_case_worker: household.responsible_case_worker,
        create_time: Some(to_timestamp(household.created_at)),
    }
}

fn recipient_unit(value: i32) -> Option<(&'static str, api::RecipientUnit)> {
    match api::RecipientUnit::try_from(value) {
        Ok(api::RecipientUnit::Arbetsmarknadsenheten) => {
            Some(("arbetsmarknadsenheten", api::RecipientUnit::Arbetsmarknadsenheten))
        }
        Ok(api::RecipientUnit::Ungsam) => Some(("ungsam", api::RecipientUnit::Ungsam)),
        _ => None,
    }
}

fn to_api_consent(row: store::consent::Model) -> api::Consent {
    api::Consent {
        consent_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        member_id: row.member_id.to_string(),
        recipient_unit: match row.recipient_unit.as_str() {
            "arbetsmarknadsenheten" => api::RecipientUnit::Arbetsmarknadsenheten,
            "ungsam" => api::RecipientUnit::Ungsam,
            _ => api::RecipientUnit::Unspecified,
        } as i32,
        scopes: row
            .scopes
            .split(',')
            .map(|scope| match scope {
                "referral" => api::ConsentScope::Referral as i32,
                "report_back" => api::ConsentScope::ReportBack as i32,
                _ => api::ConsentScope::Unspecified as i32,
            })
            .collect(),
        given_on: Some(to_date(row.given_on)),
        withdrawn_on: row.withdrawn_on.map(to_date),
    }
}

fn to_api_referral(row: store::referral::Model) -> api::Referral {
    api::Referral {
        referral_id: row.id.to_string(),
        household_id: row.household_id.to_string(),
        member_id: row.member_id.to_string(),
        consent_id: row.consent_id.to_string(),
        reason: row.reason,
        state: match row.state.as_str() {
            "pending" => api::ReferralState::Pending,
            "delivered" => api::ReferralState::Delivered,
            "cancelled" => api::ReferralState::Cancelled,
            _ => api::ReferralState::Unspecified,
        } as i32,
        create_time: Some(to_timestamp(row.created_at)),
        insatser_participant_id: row.insatser_participant_id.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl BistandService for BistandApi {
    async fn create_household(
        &self,
        request: Request<api::CreateHouseholdRequest>,
    ) -> Result<Response<api::CreateHouseholdResponse>, Status> {
        let context = context(&request)?;
        let new = parse_household(request.get_ref(), &context.caller.unit)?;
        let record = store::create_household(self.context.store.db()?, &context, new).await?;
        self.context.feed.notify_committed();
        Ok(Response::new(api::CreateHouseholdResponse { household: Some(to_api_household(record)) }))
    }

    async fn get_household(
        &self,
        request: Request<api::GetHouseholdRequest>,
    ) -> Result<Response<api::GetHouseholdResponse>, Status> {
        let context = context(&request)?;
        let id = parse_uuid(&request.get_ref().household_id, "household_id")?;
        let record = store::get_household(self.context.store.db()?, &context, id).await?;
        Ok(Response::new(api::GetHouseholdResponse { household: Some(to_api_household(record)) }))
    }

    async fn list_households(
        &self,
        request: Request<api::ListHouseholdsRequest>,
    ) -> Result<Response<api::ListHouseholdsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (records, next) = store::list_households(self.context.store.db()?, &context, page, body.only_mine).await?;
        Ok(Response::new(api::ListHouseholdsResponse {
            households: records.into_iter().map(to_api_household).collect(),
            next_page_token: next_page_token(next),
        }))
    }

    async fn record_consent(
        &self,
        request: Request<api::RecordConsentRequest>,
    ) -> Result<Response<api::RecordConsentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let request_id = parse_request_id(&body.request_id)?;
        let consent = body.consent.as_ref().ok_or_else(|| ServiceError::invalid("consent", "is required"))?;
        let (unit, _) = recipient_unit(consent.recipient_unit)
            .ok_or_else(|| ServiceError::invalid("consent.recipient_unit", "must be a recipient unit"))?;
        let mut scopes = Vec::new();
        for (index, scope) in consent.scopes.iter().enumerate() {
            match api::ConsentScope::try_from(*scope) {
                Ok(api::ConsentScope::Referral) => scopes.push("referral"),
                Ok(api::ConsentScope::ReportBack) => scopes.push("report_back"),
                _ => {
                    return Err(
                        ServiceError::invalid(format!("consent.scopes[{index}]"), "must be a consent scope").into()
                    );
                }
            }
        }
        if scopes.is_empty() {
            return Err(ServiceError::invalid("consent.scopes", "must name at least one scope").into());
        }
        scopes.sort_unstable();
        scopes.dedup();
        let new = NewConsent {
            request_id,
            household_id: parse_uuid(&consent.household_id, "consent.household_id")?,
            member_id: parse_uuid(&consent.member_id, "consent.member_id")?,
            recipient_unit: unit,
            scopes,
            given_on: parse_date(consent.given_on.as_ref(), "consent.given_on")?,
        };
        let row = store::record_consent(self.context.store.db()?, &context, new).await?;
        Ok(Response::new(api::RecordConsentResponse { consent: Some(to_api_consent(row)) }))
    }

    async fn withdraw_consent(
        &self,
        request: Request<api::WithdrawConsentRequest>,
    ) -> Result<Response<api::WithdrawConsentResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let id = parse_uuid(&body.consent_id, "consent_id")?;
        let on = parse_date(body.withdrawn_on.as_ref(), "withdrawn_on")?;
        let row = store::withdraw_consent(self.context.store.db()?, &context, id, on).await?;
        Ok(Response::new(api::WithdrawConsentResponse { consent: Some(to_api_consent(row)) }))
    }

    async fn create_referral(
        &self,
        request: Request<api::CreateReferralRequest>,
    ) -> Result<Response<api::CreateReferralResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let request_id = parse_request_id(&body.request_id)?;
        let household_id = parse_uuid(&body.household_id, "household_id")?;
        let member_id = parse_uuid(&body.member_id, "member_id")?;
        let reason = required_text(&body.reason, "reason", 1000)?;
        let row =
            store::create_referral(self.context.store.db()?, &context, request_id, household_id, member_id, reason)
                .await?;
        self.context.feed.notify_committed();
        self.context.dispatcher.wake();
        Ok(Response::new(api::CreateReferralResponse { referral: Some(to_api_referral(row)) }))
    }

    async fn list_referrals(
        &self,
        request: Request<api::ListReferralsRequest>,
    ) -> Result<Response<api::ListReferralsResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let household_id = parse_uuid(&body.household_id, "household_id")?;
        let page = PageRequest::parse(body.page_size, &body.page_token)?;
        let (rows, next) = store::list_referrals(self.context.store.db()?, &context, household_id, page).await?;
        Ok(Response::new(api::ListReferralsResponse {
            referrals: rows.into_iter().map(to_api_referral).collect(),
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
    async fn create_application(
        &self,
        request: Request<api::CreateApplicationRequest>,
    ) -> Result<Response<api::CreateApplicationResponse>, Status> {
        self.create_application_rpc(request).await
    }

    async fn get_application(
        &self,
        request: Request<api::GetApplicationRequest>,
    ) -> Result<Response<api::GetApplicationResponse>, Status> {
        self.get_application_rpc(request).await
    }

    async fn list_applications(
        &self,
        request: Request<api::ListApplicationsRequest>,
    ) -> Result<Response<api::ListApplicationsResponse>, Status> {
        self.list_applications_rpc(request).await
    }

    async fn calculate_norm(
        &self,
        request: Request<api::CalculateNormRequest>,
    ) -> Result<Response<api::CalculateNormResponse>, Status> {
        self.calculate_norm_rpc(request).await
    }

    async fn list_norm_tables(
        &self,
        request: Request<api::ListNormTablesRequest>,
    ) -> Result<Response<api::ListNormTablesResponse>, Status> {
        self.list_norm_tables_rpc(request).await
    }

    async fn decide_application(
        &self,
        request: Request<api::DecideApplicationRequest>,
    ) -> Result<Response<api::DecideApplicationResponse>, Status> {
        self.decide_application_rpc(request).await
    }

    async fn get_decision(
        &self,
        request: Request<api::GetDecisionRequest>,
    ) -> Result<Response<api::GetDecisionResponse>, Status> {
        self.get_decision_rpc(request).await
    }

    async fn list_decisions(
        &self,
        request: Request<api::ListDecisionsRequest>,
    ) -> Result<Response<api::ListDecisionsResponse>, Status> {
        self.list_decisions_rpc(request).await
    }

    async fn propose_decision(
        &self,
        request: Request<api::ProposeDecisionRequest>,
    ) -> Result<Response<api::ProposeDecisionResponse>, Status> {
        self.propose_decision_rpc(request).await
    }

    async fn confirm_proposed_decision(
        &self,
        request: Request<api::ConfirmProposedDecisionRequest>,
    ) -> Result<Response<api::ConfirmProposedDecisionResponse>, Status> {
        self.confirm_proposed_decision_rpc(request).await
    }

    async fn record_notification(
        &self,
        request: Request<api::RecordNotificationRequest>,
    ) -> Result<Response<api::RecordNotificationResponse>, Status> {
        self.record_notification_rpc(request).await
    }

    async fn create_payment(
        &self,
        request: Request<api::CreatePaymentRequest>,
    ) -> Result<Response<api::CreatePaymentResponse>, Status> {
        self.create_payment_rpc(request).await
    }

    async fn mark_payment_paid(
        &self,
        request: Request<api::MarkPaymentPaidRequest>,
    ) -> Result<Response<api::MarkPaymentPaidResponse>, Status> {
        self.mark_payment_paid_rpc(request).await
    }

    async fn stop_payment(
        &self,
        request: Request<api::StopPaymentRequest>,
    ) -> Result<Response<api::StopPaymentResponse>, Status> {
        self.stop_payment_rpc(request).await
    }

    async fn list_payments(
        &self,
        request: Request<api::ListPaymentsRequest>,
    ) -> Result<Response<api::ListPaymentsResponse>, Status> {
        self.list_payments_rpc(request).await
    }

    async fn list_claims(
        &self,
        request: Request<api::ListClaimsRequest>,
    ) -> Result<Response<api::ListClaimsResponse>, Status> {
        self.list_claims_rpc(request).await
    }

    async fn set_budget(
        &self,
        request: Request<api::SetBudgetRequest>,
    ) -> Result<Response<api::SetBudgetResponse>, Status> {
        self.set_budget_rpc(request).await
    }

    async fn get_budget_status(
        &self,
        request: Request<api::GetBudgetStatusRequest>,
    ) -> Result<Response<api::GetBudgetStatusResponse>, Status> {
        self.get_budget_status_rpc(request).await
    }

    async fn receive_labour_market_report(
        &self,
        request: Request<api::ReceiveLabourMarketReportRequest>,
    ) -> Result<Response<api::ReceiveLabourMarketReportResponse>, Status> {
        self.receive_labour_market_report_rpc(request).await
    }

    async fn list_case_reports(
        &self,
        request: Request<api::ListCaseReportsRequest>,
    ) -> Result<Response<api::ListCaseReportsResponse>, Status> {
        self.list_case_reports_rpc(request).await
    }

    async fn get_household_history(
        &self,
        request: Request<api::GetHouseholdHistoryRequest>,
    ) -> Result<Response<api::GetHouseholdHistoryResponse>, Status> {
        self.get_household_history_rpc(request).await
    }

    async fn run_gallring(
        &self,
        request: Request<api::RunGallringRequest>,
    ) -> Result<Response<api::RunGallringResponse>, Status> {
        let context = context(&request)?;
        let body = request.get_ref();
        let today = trappan_platform::clock::today();
        let as_of = match body.as_of.as_ref() {
            None => today,
            Some(date) => parse_date(Some(date), "as_of")?,
        };
        if !body.dry_run && as_of > today {
            return Err(ServiceError::invalid("as_of", "a real run may not assess as of a day after today").into());
        }
        let (run_id, run) =
            store::gallring::run_gallring_for_caller(self.context.store.db()?, &context, as_of, body.dry_run).await?;
        let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        Ok(Response::new(api::RunGallringResponse {
            dry_run: body.dry_run,
            as_of: Some(to_date(as_of)),
            households_examined: count(run.report.households_examined),
            members_due: count(run.report.members_due),
            members_kept_for_research: count(run.report.members_kept_for_research),
            households_removed: count(run.report.households_removed),
            households: run
                .households
                .into_iter()
                .map(|household| api::GallringHousehold {
                    household_id: household.household_id.to_string(),
                    members_due: i32::try_from(household.members_due).unwrap_or(i32::MAX),
                    household_removed: household.household_removed,
                })
                .collect(),
            run_id: run_id.to_string(),
        }))
    }

    async fn export_socialstyrelsen_month(
        &self,
        request: Request<api::ExportSocialstyrelsenMonthRequest>,
    ) -> Result<Response<api::ExportSocialstyrelsenMonthResponse>, Status> {
        let context = context(&request)?;
        let (year, month) = parse_year_month(request.get_ref().month.as_ref(), "month")?;
        let month = YearMonth::new(year, month).map_err(|e| ServiceError::invalid("month", e.to_string()))?;
        let file = store::socialstyrelsen::export_month(self.context.store.db()?, &context, month).await?;
        let count = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);
        Ok(Response::new(api::ExportSocialstyrelsenMonthResponse {
            households: count(file.households),
            adults: count(file.adults),
            total_kronor: file.total_kr,
            content: file.text,
        }))
    }
}
