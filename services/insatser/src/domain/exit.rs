//! Why a participant left the labour-market activity, and how that is counted
//! in Kolada's exit statistics (success = work or studies).

use serde::{Deserialize, Serialize};

/// The fixed list of exit outcomes the coordinator records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitOutcome {
    /// Employment on the regular labour market, unsubsidised, lasting at least one month.
    OrdinaryEmployment,
    /// Subsidised employment on the regular labour market, lasting at least one month
    /// (municipal labour-market employment is an insats, not an exit).
    SubsidisedEmployment,
    /// Studies giving the right to student finance (komvux, folkhögskola, university…).
    Studies,
    /// Handed over to another authority or programme (e.g. Arbetsförmedlingen, health care).
    OtherAuthorityOrProgramme,
    /// Moved from the municipality.
    Moved,
    /// The participant broke off the plan.
    Interrupted,
    /// Outcome not known.
    Unknown,
}

/// Kolada's exit categories for the municipal labour-market activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KoladaExitCategory {
    /// Started work (*påbörjat arbete*).
    StartedWork,
    /// Started studies (*påbörjat studier*).
    StartedStudies,
    /// Transferred to another authority (*överförd till annan myndighet*).
    TransferredToOtherAuthority,
    /// Assignment completed (*uppdraget avslutat*); no outcome in the fixed list maps here.
    AssignmentCompleted,
    /// Other (*övrigt*).
    Other,
}

impl ExitOutcome {
    /// Every outcome, in display order.
    pub const ALL: [ExitOutcome; 7] = [
        Self::OrdinaryEmployment,
        Self::SubsidisedEmployment,
        Self::Studies,
        Self::OtherAuthorityOrProgramme,
        Self::Moved,
        Self::Interrupted,
        Self::Unknown,
    ];

    /// Stable storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::OrdinaryEmployment => "ordinary_employment",
            Self::SubsidisedEmployment => "subsidised_employment",
            Self::Studies => "studies",
            Self::OtherAuthorityOrProgramme => "other_authority_or_programme",
            Self::Moved => "moved",
            Self::Interrupted => "interrupted",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The Kolada category this outcome is reported under.
    pub fn kolada_category(self) -> KoladaExitCategory {
        match self {
            Self::OrdinaryEmployment | Self::SubsidisedEmployment => KoladaExitCategory::StartedWork,
            Self::Studies => KoladaExitCategory::StartedStudies,
            Self::OtherAuthorityOrProgramme => KoladaExitCategory::TransferredToOtherAuthority,
            Self::Moved | Self::Interrupted | Self::Unknown => KoladaExitCategory::Other,
        }
    }

    /// Whether the exit counts as success (work or studies) in U40455.
    pub fn counts_as_work_or_studies(self) -> bool {
        matches!(self.kolada_category(), KoladaExitCategory::StartedWork | KoladaExitCategory::StartedStudies)
    }
}

impl KoladaExitCategory {
    /// Stable code for statistics files.
    pub fn code(self) -> &'static str {
        match self {
            Self::StartedWork => "started_work",
            Self::StartedStudies => "started_studies",
            Self::TransferredToOtherAuthority => "transferred_to_other_authority",
            Self::AssignmentCompleted => "assignment_completed",
            Self::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_table() {
        use ExitOutcome as E;
        use KoladaExitCategory as K;
        let expected = [
            (E::OrdinaryEmployment, K::StartedWork, true),
            (E::SubsidisedEmployment, K::StartedWork, true),
            (E::Studies, K::StartedStudies, true),
            (E::OtherAuthorityOrProgramme, K::TransferredToOtherAuthority, false),
            (E::Moved, K::Other, false),
            (E::Interrupted, K::Other, false),
            (E::Unknown, K::Other, false),
        ];
        assert_eq!(expected.len(), E::ALL.len());
        for (o, k, success) in expected {
            assert_eq!(o.kolada_category(), k, "{o:?}");
            assert_eq!(o.counts_as_work_or_studies(), success, "{o:?}");
            assert_eq!(E::from_code(o.code()), Some(o));
            assert!(!k.code().is_empty());
        }
        assert_eq!(E::from_code("x"), None);
    }
}
