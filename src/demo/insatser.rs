//! insatser's demo: plans, interventions and exits for the participants bistand's referrals created.

use trappan_platform::config::Settings;

use super::DemoStaff;

/// Seeds insatser's part of the demo (nothing beyond the delivered referrals yet).
pub(super) async fn seed(_settings: &Settings, _staff: &DemoStaff) -> anyhow::Result<()> {
    Ok(())
}
