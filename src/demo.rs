//! Demo data for `make run`: a small municipality (Markaryd, 0767) loaded through the public gRPC API,
//! exactly as a case-worker front end would, so the demo exercises the real paths. Every create carries a
//! request_id derived from the demo record's name: seeding twice adds nothing.

use std::time::Duration;

use tonic::metadata::MetadataValue;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, PersonIdentityNumber, YearMonth};
use trappan_api::ungsam::v1::{self as ungsam, ungsam_service_client::UngsamServiceClient};
use trappan_platform::auth::{Caller, Kommun, Role, TokenSigner};
use trappan_platform::config::Settings;
use trappan_platform::personnummer::Personnummer;

/// A valid personnummer (12-digit form) for a demo person born on the given date with birth serial
/// `serial` (000–999). Panics on a date that does not exist: demo and test data are written by hand.
pub fn demo_personnummer(year: i32, month: u32, day: u32, serial: u32) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(year, month, day).expect("a demo birth date exists");
    let serial = u16::try_from(serial).expect("a birth serial has three digits");
    Personnummer::for_birth(birth, serial).expect("a three-digit serial").as_canonical().to_string()
}

fn request_id(name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("trappan-demo:{name}").as_bytes()).to_string()
}

const GIVEN: [&str; 10] = ["Amina", "Erik", "Sara", "Omar", "Lena", "Yusuf", "Maja", "Ali", "Karin", "Hassan"];
const FAMILY: [&str; 6] = ["Andersson", "Hassan", "Nilsson", "Mohammed", "Karlsson", "Ali"];

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

/// Seeds the demo municipality through the running suite's bistand and ungsam.
pub async fn seed(settings: &Settings) -> anyhow::Result<()> {
    let kommun = Kommun::parse("0767").ok_or_else(|| anyhow::anyhow!("demo kommun"))?;
    let signer = TokenSigner::dev(settings)?;
    let token = |role: Role, unit: &str| -> anyhow::Result<MetadataValue<tonic::metadata::Ascii>> {
        let caller = Caller { subject: "demo-handlaggare".into(), role, kommun: kommun.clone(), unit: unit.into() };
        Ok(format!("Bearer {}", signer.sign(&caller, Duration::from_secs(600))?).parse()?)
    };
    let bistand_token = token(Role::Socialsekreterare, "ekonomiskt-bistand")?;
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
    let ungsam_token = token(Role::Ungdomscoach, "ungsam")?;
    let mut ungsam_client = UngsamServiceClient::connect(settings.peers.ungsam_url.clone()).await?;
    let today = chrono::Utc::now().date_naive();
    for n in 0..8u32 {
        use chrono::Datelike;
        let birth_year = today.year() - 19 - (n % 5) as i32;
        let mut request = tonic::Request::new(ungsam::CreateYoungPersonRequest {
            request_id: request_id(&format!("young-person-{n}")),
            young_person: Some(ungsam::YoungPerson {
                person_identity_number: Some(PersonIdentityNumber {
                    value: demo_personnummer(birth_year, 1 + n % 12, 1 + n * 2, 400 + n),
                }),
                given_name: GIVEN[(n as usize + 5) % GIVEN.len()].into(),
                family_name: FAMILY[n as usize % FAMILY.len()].into(),
                source: ungsam::IdentificationSource::ActivityResponsibility as i32,
                ..Default::default()
            }),
        });
        request.metadata_mut().insert("authorization", ungsam_token.clone());
        ungsam_client.create_young_person(request).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_numbers_are_valid_personnummer() {
        for (y, m, d, s) in [(1981, 12, 18, 987), (2001, 1, 1, 1), (1975, 6, 30, 555)] {
            let number = demo_personnummer(y, m, d, s);
            let parsed = Personnummer::parse(&number).expect("valid");
            assert_eq!(parsed.as_canonical(), number);
        }
        assert_eq!(demo_personnummer(1981, 12, 18, 987), "198112189876");
    }
}
