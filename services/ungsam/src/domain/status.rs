//! The outreach status of a young person and the transitions allowed between
//! statuses, so history cannot jump steps (e.g. straight from identified to
//! in activity).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a person left Ungsam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Started work.
    Work,
    /// Started studies.
    Studies,
    /// Other reason (moved, other support, …).
    Other,
    /// Turned 25 and left the target group automatically.
    AgedOut,
}

/// Outreach status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Status {
    /// Known to Ungsam, not yet reached.
    Identified,
    /// Reached at least once.
    Contacted,
    /// In an ongoing dialogue about needs and next steps.
    InDialogue,
    /// Taking part in an activity.
    InActivity,
    /// Attempts to reach the person have failed.
    NotReachable,
    /// The person has declined support (may be contacted again later).
    Declined,
    /// Left Ungsam (terminal).
    Exited(ExitReason),
}

/// A transition that the rules do not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("transition from {from:?} to {to:?} is not allowed")]
pub struct ForbiddenTransition {
    /// Current status.
    pub from: Status,
    /// Requested status.
    pub to: Status,
}

impl Status {
    /// Every status, including each exit reason.
    pub const ALL: [Status; 10] = [
        Status::Identified,
        Status::Contacted,
        Status::InDialogue,
        Status::InActivity,
        Status::NotReachable,
        Status::Declined,
        Status::Exited(ExitReason::Work),
        Status::Exited(ExitReason::Studies),
        Status::Exited(ExitReason::Other),
        Status::Exited(ExitReason::AgedOut),
    ];

    /// Whether the person is still registered (not exited).
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Exited(_))
    }

    /// Stable storage code, e.g. `in_dialogue`, `exited_work`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Identified => "identified",
            Status::Contacted => "contacted",
            Status::InDialogue => "in_dialogue",
            Status::InActivity => "in_activity",
            Status::NotReachable => "not_reachable",
            Status::Declined => "declined",
            Status::Exited(ExitReason::Work) => "exited_work",
            Status::Exited(ExitReason::Studies) => "exited_studies",
            Status::Exited(ExitReason::Other) => "exited_other",
            Status::Exited(ExitReason::AgedOut) => "exited_aged_out",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The statuses reachable from this one in a single transition.
    pub fn allowed_next(self) -> Vec<Status> {
        Status::ALL.into_iter().filter(|to| is_allowed(self, *to)).collect()
    }
}

/// The transition table. Besides the obvious forward moves it allows:
/// identified→declined (declines at first contact), in_activity→in_dialogue
/// (an activity ended without exit), re-contact from not_reachable/declined,
/// and exit as "aged out" from every active status. Exited is terminal.
fn is_allowed(from: Status, to: Status) -> bool {
    use ExitReason::*;
    use Status::*;
    match (from, to) {
        (Exited(_), _) => false,
        (_, Exited(AgedOut)) => true,
        (Identified, Contacted | NotReachable | Declined) => true,
        (Contacted, InDialogue | NotReachable | Declined) => true,
        (InDialogue, InActivity | Declined | Exited(Work | Studies | Other)) => true,
        (InActivity, InDialogue | Exited(Work | Studies | Other)) => true,
        (NotReachable, Contacted) => true,
        (Declined, Contacted) => true,
        _ => false,
    }
}

/// Checks one status change against the transition table.
pub fn transition(from: Status, to: Status) -> Result<(), ForbiddenTransition> {
    if is_allowed(from, to) { Ok(()) } else { Err(ForbiddenTransition { from, to }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExitReason::*;
    use Status::*;

    /// The full expected table: rows = from, columns = to, in `Status::ALL` order
    /// (Identified, Contacted, InDialogue, InActivity, NotReachable, Declined,
    /// Exited(Work), Exited(Studies), Exited(Other), Exited(AgedOut)).
    const TABLE: [[u8; 10]; 10] = [
        // I  C  D  A  N  X  W  S  O  G
        [0, 1, 0, 0, 1, 1, 0, 0, 0, 1], // Identified
        [0, 0, 1, 0, 1, 1, 0, 0, 0, 1], // Contacted
        [0, 0, 0, 1, 0, 1, 1, 1, 1, 1], // InDialogue
        [0, 0, 1, 0, 0, 0, 1, 1, 1, 1], // InActivity
        [0, 1, 0, 0, 0, 0, 0, 0, 0, 1], // NotReachable
        [0, 1, 0, 0, 0, 0, 0, 0, 0, 1], // Declined
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // Exited(Work)
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // Exited(Studies)
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // Exited(Other)
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // Exited(AgedOut)
    ];

    #[test]
    fn every_pair_matches_the_table() {
        let mut checked = 0;
        for (i, from) in Status::ALL.into_iter().enumerate() {
            for (j, to) in Status::ALL.into_iter().enumerate() {
                let expected = TABLE[i][j] == 1;
                let got = transition(from, to);
                assert_eq!(got.is_ok(), expected, "{from:?} -> {to:?}");
                if let Err(e) = got {
                    assert_eq!(e, ForbiddenTransition { from, to });
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 100);
    }

    #[test]
    fn named_transitions() {
        assert!(transition(Identified, Contacted).is_ok());
        assert!(transition(Identified, InActivity).is_err());
        assert!(transition(InDialogue, Exited(Work)).is_ok());
        assert!(transition(Contacted, Exited(Work)).is_err());
        assert!(transition(Declined, Exited(AgedOut)).is_ok());
        assert!(transition(Exited(Work), Contacted).is_err());
        assert!(transition(Identified, Identified).is_err());
        assert_eq!(NotReachable.allowed_next(), vec![Contacted, Exited(AgedOut)]);
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(s.is_active(), !matches!(s, Exited(_)));
        }
        assert!(!ForbiddenTransition { from: Identified, to: InActivity }.to_string().is_empty());
    }
}
