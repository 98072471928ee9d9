//! Where Ungsam learned about a young person (needed for follow-up of which
//! partners find whom).

use serde::{Deserialize, Serialize};

/// How a young person was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentificationSource {
    /// Handed over from the school-based municipal activity responsibility
    /// (*kommunala aktivitetsansvaret*, KAA), which ends at age 20.
    Kaa,
    /// Arbetsförmedlingen.
    Arbetsformedlingen,
    /// A school.
    School,
    /// Social services (IFO, ekonomiskt bistånd).
    SocialServices,
    /// The leisure centre (*fritidsgården*).
    LeisureCentre,
    /// The young person contacted Ungsam themselves.
    SelfRegistration,
    /// A partner organisation (e.g. the Church of Sweden).
    PartnerOrganisation,
    /// Anything else.
    Other,
}

impl IdentificationSource {
    /// Every source, in display order.
    pub const ALL: [IdentificationSource; 8] = [
        Self::Kaa,
        Self::Arbetsformedlingen,
        Self::School,
        Self::SocialServices,
        Self::LeisureCentre,
        Self::SelfRegistration,
        Self::PartnerOrganisation,
        Self::Other,
    ];

    /// Stable storage and CSV code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Kaa => "kaa",
            Self::Arbetsformedlingen => "arbetsformedlingen",
            Self::School => "school",
            Self::SocialServices => "social_services",
            Self::LeisureCentre => "leisure_centre",
            Self::SelfRegistration => "self_registration",
            Self::PartnerOrganisation => "partner_organisation",
            Self::Other => "other",
        }
    }

    /// Parses a code, case-insensitively, also accepting the Swedish aliases
    /// used in import files (`af`, `skola`, `socialtjanst`, `ifo`, `fritidsgard`,
    /// `egen_anmalan`, `partner`, `ovrigt`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.replace(['-', ' '], "_");
        Some(match t.as_str() {
            "kaa" => Self::Kaa,
            "arbetsformedlingen" | "af" => Self::Arbetsformedlingen,
            "school" | "skola" => Self::School,
            "social_services" | "socialtjanst" | "socialtjansten" | "ifo" => Self::SocialServices,
            "leisure_centre" | "fritidsgard" | "fritidsgarden" => Self::LeisureCentre,
            "self_registration" | "egen_anmalan" | "self" => Self::SelfRegistration,
            "partner_organisation" | "partner" => Self::PartnerOrganisation,
            "other" | "ovrigt" | "annan" => Self::Other,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_aliases() {
        for s in IdentificationSource::ALL {
            assert_eq!(IdentificationSource::parse(s.code()), Some(s));
        }
        assert_eq!(IdentificationSource::parse(" AF "), Some(IdentificationSource::Arbetsformedlingen));
        assert_eq!(IdentificationSource::parse("Egen anmalan"), Some(IdentificationSource::SelfRegistration));
        assert_eq!(IdentificationSource::parse("fritidsgard"), Some(IdentificationSource::LeisureCentre));
        assert_eq!(IdentificationSource::parse("zzz"), None);
    }
}
