//! Demo data for `make run`: a small municipality (Markaryd, 0767) loaded through the public gRPC API,
//! exactly as a case-worker front end would, so the demo exercises the real paths. Every create carries a
//! request_id derived from the demo record's name: seeding twice adds nothing.
//!
//! # Layout
//! One module per service, seeded in the order the units work: bistand's households, decisions and
//! referrals first, then insatser's plans for the referred, then Ungsam's outreach; last, the public
//! unemployment series rapport compares the municipality with.

mod bistand;
pub mod history;
mod insatser;
pub mod unemployment;
mod ungsam;

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
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

/// The request_id of a demo record: the same on every run, so seeding twice adds nothing.
fn request_id(name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("trappan-demo:{name}").as_bytes()).to_string()
}

const GIVEN: [&str; 10] = ["Amina", "Erik", "Sara", "Omar", "Lena", "Yusuf", "Maja", "Ali", "Karin", "Hassan"];
const FAMILY: [&str; 6] = ["Andersson", "Hassan", "Nilsson", "Mohammed", "Karlsson", "Ali"];

/// Who the demo acts as: the demo municipality and a way to sign its staff's tokens.
struct DemoStaff {
    kommun: Kommun,
    signer: TokenSigner,
}

impl DemoStaff {
    /// An authorization header for a member of staff with `role` in `unit`.
    fn token(&self, role: Role, unit: &str) -> anyhow::Result<MetadataValue<Ascii>> {
        let caller =
            Caller { subject: "demo-handlaggare".into(), role, kommun: self.kommun.clone(), unit: unit.into() };
        Ok(format!("Bearer {}", self.signer.sign(&caller, Duration::from_secs(600))?).parse()?)
    }
}

/// Seeds the demo municipality through the running suite.
pub async fn seed(settings: &Settings) -> anyhow::Result<()> {
    let kommun = Kommun::parse("0767").ok_or_else(|| anyhow::anyhow!("demo kommun"))?;
    let staff = DemoStaff { kommun, signer: TokenSigner::dev(settings)? };
    bistand::seed(settings, &staff).await?;
    insatser::seed(settings, &staff).await?;
    ungsam::seed(settings, &staff).await?;
    unemployment::seed(settings, &staff).await?;
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
