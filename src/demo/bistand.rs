//! bistand's demo: the history of [`super::history`] (265 households, 2019-01..2021-12) registered through
//! the API the way case workers would have: each household, the consents its adults gave and the referrals
//! that followed, then month by month the application, the decision on its historical date (bifall, or
//! delvis bifall or avslag with the reason), and for a granted month the payment, planned and paid; finally the committee's
//! budget for each year.
//!
//! Every create carries a request_id derived from the household's key and the month, so seeding twice adds
//! nothing. A household's months go in order (jobbstimulans is derived from its earlier decisions); up to
//! [`CONCURRENT_HOUSEHOLDS`] households are seeded at a time.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use futures::{StreamExt, TryFutureExt, TryStreamExt};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, Money, PersonIdentityNumber, YearMonth};
use trappan_bistand::domain::{CostKind, IncomeKind};
use trappan_bistand::grpc::{cost_kind_api, income_kind_api};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::history::{self, DemoHousehold, DemoMember, DemoMonth, DemoRole, DemoSex, ExpectedOutcome};
use super::{DemoStaff, FAMILY, GIVEN, request_id};
use crate::progress::Progress;

/// Households seeded at the same time: enough to overlap the round trips, few enough not to crowd the
/// store (SQLite takes one writer at a time anyway).
const CONCURRENT_HOUSEHOLDS: usize = 8;

/// The unit the demo's socialsekreterare work in.
const UNIT: &str = "ekonomiskt-bistand";

/// The reason written on an avslag of the demo.
const REFUSAL_REASON: &str = "Hushållets egna inkomster täcker behovet enligt riksnormen och skäliga kostnader.";

/// The reason written on a delvis bifall of the demo: the rent is approved at the local guideline.
const PARTLY_GRANTED_REASON: &str =
    "Hyran överstiger kommunens riktlinje för skälig boendekostnad; boendekostnad godkänns enligt riktlinjen.";

/// The reason written on a demo referral.
const REFERRAL_REASON: &str = "Behöver stöd mot arbete: arbetsträning och CV.";

type Client = BistandServiceClient<Channel>;

fn authed<T>(token: &MetadataValue<Ascii>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", token.clone());
    request
}

fn api_date(date: NaiveDate) -> Option<Date> {
    Some(trappan_platform::grpc::to_date(date))
}

fn api_month(month: trappan_bistand::domain::YearMonth) -> YearMonth {
    YearMonth { year: month.year(), month: i32::try_from(month.month()).unwrap_or(1) }
}

/// The identity number of a household's `index`th person: the birth date, and a serial unique to the
/// household and position whose last digit gives the person's legal sex (odd for a man).
pub fn identity_number(household: &DemoHousehold, index: usize, person: &DemoMember) -> String {
    let position = (household.key as usize * 7 + index) % 500;
    let serial = u32::try_from(position * 2).unwrap_or(0) + u32::from(person.sex == DemoSex::Man);
    let birth = person.birth_date;
    super::demo_personnummer(birth.year(), birth.month(), birth.day(), serial)
}

/// Why an adult cannot support themselves, read from what the household declared in its first month:
/// activity support means insufficient unemployment support, sickness benefit insufficient sickness
/// benefit, a salary an involuntary part time; otherwise the usual reasons in turn.
pub fn forsorjningshinder(household: &DemoHousehold, index: usize) -> bistand::Forsorjningshinder {
    use bistand::Forsorjningshinder as Hinder;
    let person = &household.members[index];
    if person.role == DemoRole::Child {
        return Hinder::Unspecified;
    }
    let declared = household.months.first().into_iter().flat_map(|m| &m.incomes).find(|i| i.member == index);
    match declared.map(|income| income.kind) {
        Some(IncomeKind::ActivitySupport) => Hinder::UnemployedInsufficientBenefit,
        Some(IncomeKind::SicknessBenefit) => Hinder::SickLeaveInsufficientBenefit,
        Some(IncomeKind::Salary) => Hinder::PartTimeInsufficientIncome,
        _ => match (household.key as usize + index) % 5 {
            0 | 1 => Hinder::UnemployedNoBenefit,
            2 => Hinder::SocialReasons,
            3 if person.born_abroad => Hinder::EstablishmentMissing,
            3 => Hinder::SickLeaveNoBenefit,
            _ => Hinder::UnemployedAwaitingBenefit,
        },
    }
}

fn member(household: &DemoHousehold, index: usize, first: YearMonth) -> bistand::HouseholdMember {
    let person = &household.members[index];
    let role = match person.role {
        DemoRole::Applicant => bistand::MemberRole::Applicant,
        DemoRole::CoApplicant => bistand::MemberRole::CoApplicant,
        DemoRole::Child => bistand::MemberRole::Child,
        DemoRole::OtherAdult => bistand::MemberRole::OtherAdult,
    };
    let key = household.key as usize;
    bistand::HouseholdMember {
        person_identity_number: Some(PersonIdentityNumber { value: identity_number(household, index, person) }),
        given_name: GIVEN[(key + index * 3) % GIVEN.len()].into(),
        family_name: FAMILY[key % FAMILY.len()].into(),
        role: role as i32,
        lunch_at_school: person.lunch_at_school,
        born_abroad: Some(person.born_abroad),
        member_from: Some(first),
        forsorjningshinder: forsorjningshinder(household, index) as i32,
        ..Default::default()
    }
}

/// The day a month's application is decided (and the applicant notified): early in the month applied for.
pub fn decided_on(household: &DemoHousehold, month: &DemoMonth) -> NaiveDate {
    month.month.first_day() + Days::new(2 + u64::from(household.key % 10))
}

/// The day a granted month is paid: three days after the decision.
pub fn paid_on(household: &DemoHousehold, month: &DemoMonth) -> NaiveDate {
    decided_on(household, month) + Days::new(3)
}

/// One household's key for its request ids.
fn name(household: &DemoHousehold, what: &str) -> String {
    format!("bistand-history-{}-{what}", household.key)
}

/// What a seeded household was paid: (year paid, öre) per granted month.
type Paid = Vec<(i32, i64)>;

async fn seed_household(mut client: Client, staff: &DemoStaff, household: &DemoHousehold) -> anyhow::Result<Paid> {
    let token = staff.token(Role::Socialsekreterare, UNIT)?;
    let first = household.months.first().map(|m| api_month(m.month)).unwrap_or(YearMonth { year: 2019, month: 1 });
    let members = (0..household.members.len()).map(|index| member(household, index, first)).collect();
    let created = client
        .create_household(authed(
            &token,
            bistand::CreateHouseholdRequest {
                request_id: request_id(&name(household, "household")),
                household: Some(bistand::Household { members, ..Default::default() }),
            },
        ))
        .await?
        .into_inner()
        .household
        .ok_or_else(|| anyhow::anyhow!("CreateHousehold answered without the household"))?;
    let member_ids: Vec<String> = created.members.iter().map(|m| m.member_id.clone()).collect();
    let member_id = |index: usize| member_ids.get(index).cloned().unwrap_or_default();

    for (index, person) in household.members.iter().enumerate() {
        let Some(consent) = person.consent else { continue };
        client
            .record_consent(authed(
                &token,
                bistand::RecordConsentRequest {
                    request_id: request_id(&name(household, &format!("consent-{index}"))),
                    consent: Some(bistand::Consent {
                        household_id: created.household_id.clone(),
                        member_id: member_id(index),
                        recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                        scopes: vec![bistand::ConsentScope::Referral as i32, bistand::ConsentScope::ReportBack as i32],
                        given_on: api_date(consent.given_on),
                        ..Default::default()
                    }),
                },
            ))
            .await?;
        if consent.referred {
            client
                .create_referral(authed(
                    &token,
                    bistand::CreateReferralRequest {
                        request_id: request_id(&name(household, &format!("referral-{index}"))),
                        household_id: created.household_id.clone(),
                        member_id: member_id(index),
                        reason: REFERRAL_REASON.into(),
                    },
                ))
                .await?;
        }
    }

    let mut paid = Vec::new();
    for month in &household.months {
        let label = month.month.to_string();
        let application = client
            .create_application(authed(
                &token,
                bistand::CreateApplicationRequest {
                    request_id: request_id(&name(household, &format!("application-{label}"))),
                    application: Some(bistand::Application {
                        household_id: created.household_id.clone(),
                        month: Some(api_month(month.month)),
                        cost_lines: month.costs.iter().map(|cost| cost_line(cost.kind, cost.amount_ore)).collect(),
                        income_lines: month
                            .incomes
                            .iter()
                            .map(|income| bistand::IncomeLine {
                                kind: income_kind_api(income.kind) as i32,
                                amount: Some(Money { ore: income.amount_ore }),
                                member_id: member_id(income.member),
                            })
                            .collect(),
                        income_verified: true,
                        ..Default::default()
                    }),
                },
            ))
            .await?
            .into_inner()
            .application
            .ok_or_else(|| anyhow::anyhow!("CreateApplication answered without the application"))?;
        let (outcome, reason) = match month.expected {
            ExpectedOutcome::Granted => (bistand::DecisionOutcome::Granted, String::new()),
            ExpectedOutcome::PartlyGranted => (bistand::DecisionOutcome::PartlyGranted, PARTLY_GRANTED_REASON.into()),
            ExpectedOutcome::Refused => (bistand::DecisionOutcome::Refused, REFUSAL_REASON.to_string()),
        };
        // Only the lines approved below their claim are listed; the others are approved as claimed.
        let approvals = (0..)
            .zip(&month.costs)
            .filter(|(_, cost)| cost.approved_ore != cost.amount_ore)
            .map(|(line, cost)| bistand::CostApproval { line, approved: Some(Money { ore: cost.approved_ore }) })
            .collect();
        let decided_on = decided_on(household, month);
        let decision = client
            .decide_application(authed(
                &token,
                bistand::DecideApplicationRequest {
                    request_id: request_id(&name(household, &format!("decision-{label}"))),
                    application_id: application.application_id,
                    outcome: outcome as i32,
                    approvals,
                    reason,
                    decided_on: api_date(decided_on),
                    notified_on: api_date(decided_on),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner()
            .decision
            .ok_or_else(|| anyhow::anyhow!("DecideApplication answered without the decision"))?;
        if month.expected == ExpectedOutcome::Refused {
            continue;
        }
        let paid_on = paid_on(household, month);
        let payment = client
            .create_payment(authed(
                &token,
                bistand::CreatePaymentRequest {
                    request_id: request_id(&name(household, &format!("payment-{label}"))),
                    decision_id: decision.decision_id,
                    planned_on: api_date(paid_on),
                },
            ))
            .await?
            .into_inner()
            .payment
            .ok_or_else(|| anyhow::anyhow!("CreatePayment answered without the payment"))?;
        let amount = payment.amount.map_or(0, |m| m.ore);
        client
            .mark_payment_paid(authed(
                &token,
                bistand::MarkPaymentPaidRequest { payment_id: payment.payment_id, paid_on: api_date(paid_on) },
            ))
            .await?;
        paid.push((paid_on.year(), amount));
    }
    Ok(paid)
}

fn cost_line(kind: CostKind, amount_ore: i64) -> bistand::CostLine {
    bistand::CostLine {
        kind: cost_kind_api(kind) as i32,
        claimed: Some(Money { ore: amount_ore }),
        ..Default::default()
    }
}

/// The budget the committee allocates for each year: the year before's payments and 5 % (for the first
/// year, that year's own payments and 2 %), rounded up to whole 10 000 kr, as a committee budgets on the
/// last known outcome.
pub fn budgets(paid_per_year: &BTreeMap<i32, i64>) -> Vec<(i32, i64)> {
    const STEP_ORE: i64 = 10_000 * 100;
    let round_up = |ore: i64| (ore + STEP_ORE - 1) / STEP_ORE * STEP_ORE;
    paid_per_year
        .iter()
        .map(|(year, paid)| {
            let basis = match paid_per_year.get(&(year - 1)) {
                Some(previous) => previous * 105 / 100,
                None => paid * 102 / 100,
            };
            (*year, round_up(basis))
        })
        .collect()
}

/// Seeds the history's households, their consents, referrals, applications, decisions and payments, then
/// the budget of each year.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let client = BistandServiceClient::connect(settings.peers.bistand_url.clone()).await?;
    let households = history::history();
    let progress = Progress::counted("bistand households", households.len() as u64);
    // The futures are made first: a mapping closure inside the stream would tie its type to a lifetime
    // the spawned demo task cannot name.
    let tasks: Vec<_> =
        households.iter().map(|h| seed_household(client.clone(), staff, h).inspect_ok(|_| progress.inc())).collect();
    let paid: Vec<Paid> = futures::stream::iter(tasks).buffer_unordered(CONCURRENT_HOUSEHOLDS).try_collect().await?;
    progress.finish();
    let mut paid_per_year = BTreeMap::new();
    for (year, ore) in paid.into_iter().flatten() {
        *paid_per_year.entry(year).or_insert(0i64) += ore;
    }
    let chef = staff.token(Role::Enhetschef, UNIT)?;
    let mut client = client;
    for (year, allocated) in budgets(&paid_per_year) {
        // Setting the same budget again would announce it again on the feed: a second seed adds nothing.
        let status = client
            .get_budget_status(authed(&chef, bistand::GetBudgetStatusRequest { year, as_of: None }))
            .await?
            .into_inner()
            .status;
        if status.is_some_and(|s| s.variance_basis_points.is_some() && s.allocated.is_some_and(|a| a.ore == allocated))
        {
            continue;
        }
        client
            .set_budget(authed(&chef, bistand::SetBudgetRequest { year, allocated: Some(Money { ore: allocated }) }))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_person_has_an_own_valid_identity_number_of_the_right_sex() {
        let mut seen = HashSet::new();
        for household in history::history() {
            for (index, person) in household.members.iter().enumerate() {
                let number = identity_number(&household, index, person);
                let parsed = trappan_platform::personnummer::Personnummer::parse(&number).expect("valid");
                let man = parsed.sex() == trappan_platform::personnummer::Sex::Man;
                assert_eq!(man, person.sex == DemoSex::Man);
                assert_eq!(parsed.birth_date(), person.birth_date);
                assert!(seen.insert(number), "household {} person {index}: a number used twice", household.key);
            }
        }
    }

    #[test]
    fn adults_have_a_forsorjningshinder_and_children_none() {
        for household in history::history() {
            for (index, person) in household.members.iter().enumerate() {
                let hinder = forsorjningshinder(&household, index);
                assert_eq!(hinder == bistand::Forsorjningshinder::Unspecified, person.role == DemoRole::Child);
            }
        }
    }

    #[test]
    fn decisions_and_payments_fall_in_the_month_applied_for() {
        for household in history::history() {
            for month in &household.months {
                let decided = decided_on(&household, month);
                let paid = paid_on(&household, month);
                assert_eq!(trappan_bistand::domain::YearMonth::of(decided), month.month);
                assert_eq!(trappan_bistand::domain::YearMonth::of(paid), month.month);
                assert!(decided < paid);
            }
        }
    }

    #[test]
    fn budgets_follow_the_year_before() {
        const KR: i64 = 100;
        let paid = BTreeMap::from([(2019, 10_000_000 * KR), (2020, 6_000_000 * KR), (2021, 5_000_000 * KR)]);
        assert_eq!(
            budgets(&paid),
            vec![(2019, 10_200_000 * KR), (2020, 10_500_000 * KR), (2021, 6_300_000 * KR)],
            "the 2020 budget rests on 2019's outcome"
        );
        let odd = BTreeMap::from([(2019, 1_234_567 * KR + 89)]);
        assert_eq!(budgets(&odd), vec![(2019, 1_260_000 * KR)], "rounded up to whole 10 000 kr");
    }
}
