//! bistand's demo: households of the demo municipality, their consents and referrals.

use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, PersonIdentityNumber, YearMonth};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::{DemoStaff, FAMILY, GIVEN, demo_personnummer, request_id};

/// A household member as the demo registers it.
fn member(
    number: String,
    given: &str,
    family: &str,
    role: bistand::MemberRole,
    from: YearMonth,
    lunch_at_school: bool,
) -> bistand::HouseholdMember {
    bistand::HouseholdMember {
        person_identity_number: Some(PersonIdentityNumber { value: number }),
        given_name: given.into(),
        family_name: family.into(),
        role: role as i32,
        lunch_at_school,
        member_from: Some(from),
        ..Default::default()
    }
}

/// Seeds households, consents and referrals through bistand.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let bistand_token = staff.token(Role::Socialsekreterare, "ekonomiskt-bistand")?;
    let mut bistand_client = BistandServiceClient::connect(settings.peers.bistand_url.clone()).await?;
    let since = YearMonth { year: 2019, month: 1 };
    for n in 0..12u32 {
        let family = FAMILY[n as usize % FAMILY.len()];
        let mut members = vec![member(
            demo_personnummer(1975 + (n % 20) as i32, 1 + n % 12, 1 + (n * 3) % 28, 100 + n),
            GIVEN[n as usize % GIVEN.len()],
            family,
            bistand::MemberRole::Applicant,
            since,
            false,
        )];
        if n % 3 == 0 {
            members.push(member(
                demo_personnummer(1978 + (n % 15) as i32, 2 + n % 10, 2 + (n * 5) % 26, 200 + n),
                GIVEN[(n as usize + 3) % GIVEN.len()],
                family,
                bistand::MemberRole::CoApplicant,
                since,
                false,
            ));
        }
        for child in 0..(n % 4) {
            members.push(member(
                demo_personnummer(
                    2008 + (child as i32 * 3) + (n % 3) as i32,
                    1 + child,
                    10 + n % 15,
                    300 + n * 4 + child,
                ),
                GIVEN[(n + child) as usize % GIVEN.len()],
                family,
                bistand::MemberRole::Child,
                since,
                child % 2 == 0,
            ));
        }
        let mut request = tonic::Request::new(bistand::CreateHouseholdRequest {
            request_id: request_id(&format!("household-{n}")),
            household: Some(bistand::Household { members, ..Default::default() }),
        });
        request.metadata_mut().insert("authorization", bistand_token.clone());
        let household = bistand_client.create_household(request).await?.into_inner().household.unwrap_or_default();
        if n % 4 == 0 {
            let applicant = household.members.first().map(|m| m.member_id.clone()).unwrap_or_default();
            let mut consent = tonic::Request::new(bistand::RecordConsentRequest {
                request_id: request_id(&format!("consent-{n}")),
                consent: Some(bistand::Consent {
                    household_id: household.household_id.clone(),
                    member_id: applicant.clone(),
                    recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                    scopes: vec![bistand::ConsentScope::Referral as i32, bistand::ConsentScope::ReportBack as i32],
                    given_on: Some(Date { year: 2019, month: 2, day: 4 }),
                    ..Default::default()
                }),
            });
            consent.metadata_mut().insert("authorization", bistand_token.clone());
            bistand_client.record_consent(consent).await?;
            let mut referral = tonic::Request::new(bistand::CreateReferralRequest {
                request_id: request_id(&format!("referral-{n}")),
                household_id: household.household_id.clone(),
                member_id: applicant,
                reason: "Behöver stöd mot arbete: arbetsträning och CV.".into(),
            });
            referral.metadata_mut().insert("authorization", bistand_token.clone());
            bistand_client.create_referral(referral).await?;
        }
    }
    Ok(())
}
