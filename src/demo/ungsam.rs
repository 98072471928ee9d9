//! Ungsam's demo: young people identified by the outreach assignment.

use trappan_api::common::v1::PersonIdentityNumber;
use trappan_api::ungsam::v1::{self as ungsam, ungsam_service_client::UngsamServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::Settings;

use super::{DemoStaff, FAMILY, GIVEN, demo_personnummer, request_id};

/// Seeds young people through ungsam.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let ungsam_token = staff.token(Role::Ungdomscoach, "ungsam")?;
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
