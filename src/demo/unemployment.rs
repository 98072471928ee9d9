//! The demo's unemployment series: Kronoberg's eight municipalities, the county and the nation, month by month
//! for 2019–2020, for all, young people 18–24 and foreign-born, imported by the demo municipality's analytiker
//! through `RapportService/ImportUnemploymentStatistics` in the importer's format
//! ([`trappan_rapport::domain::unemployment`]).
//!
//! The figures are illustrative, not Arbetsförmedlingen's published ones (there was no way to fetch those
//! here). Every row says so in its `series` column, and the management report names the series it compares,
//! so the label reaches whoever reads the report. They follow the story the municipality told: in 2020 every
//! municipality's share rose, Markaryd's least (8,9 % to 9,0 % in August, "the lowest increase in unemployment
//! in Kronoberg"), and among foreign-born residents Markaryd's fell. Counts are each municipality's share of an
//! assumed labour force; the county's are the sum of its municipalities'.
//!
//! Importing twice replaces the rows, so seeding twice adds nothing.

use trappan_api::rapport::v1::{ImportUnemploymentStatisticsRequest, rapport_service_client::RapportServiceClient};
use trappan_platform::auth::Role;
use trappan_platform::config::{ServiceKind, Settings};

use super::DemoStaff;

/// The series file, in the format the importer accepts.
pub const FILE: &str = include_str!("unemployment-kronoberg-2019-2020.csv");

/// Imports [`FILE`] as the demo municipality's analytiker; a rejected row is a mistake in the file.
pub(super) async fn seed(settings: &Settings, staff: &DemoStaff) -> anyhow::Result<()> {
    let mut request = tonic::Request::new(ImportUnemploymentStatisticsRequest { csv: FILE.into() });
    request.metadata_mut().insert("authorization", staff.token(Role::Analytiker, "rapport")?);
    let mut client = RapportServiceClient::connect(crate::suite::local_url(settings, ServiceKind::Rapport)).await?;
    let answer = client.import_unemployment_statistics(request).await?.into_inner();
    if let Some(reject) = answer.rejects.first() {
        anyhow::bail!("the demo's unemployment file has a bad row {}: {}", reject.row, reject.reason);
    }
    tracing::info!(rows = answer.accepted_rows, "demo unemployment series imported");
    Ok(())
}
