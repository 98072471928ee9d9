//! Contact attempts with a young person and the status change each implies.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::status::{Status, transition};

/// How contact was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    /// Phone call.
    Phone,
    /// Text message (SMS).
    TextMessage,
    /// Letter.
    Letter,
    /// Home visit.
    HomeVisit,
    /// Outreach on site (street, school, leisure centre).
    Outreach,
    /// Through a partner (school, church, IFO…).
    ThroughPartner,
}

impl ContactChannel {
    /// Every channel.
    pub const ALL: [ContactChannel; 6] =
        [Self::Phone, Self::TextMessage, Self::Letter, Self::HomeVisit, Self::Outreach, Self::ThroughPartner];

    /// Stable storage and CSV code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::TextMessage => "text_message",
            Self::Letter => "letter",
            Self::HomeVisit => "home_visit",
            Self::Outreach => "outreach",
            Self::ThroughPartner => "through_partner",
        }
    }

    /// Parses a code, case-insensitively, also accepting Swedish aliases
    /// (`telefon`, `sms`, `brev`, `hembesok`, `uppsokande`, `partner`).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match t.as_str() {
            "phone" | "telefon" => Self::Phone,
            "text_message" | "sms" | "text" => Self::TextMessage,
            "letter" | "brev" => Self::Letter,
            "home_visit" | "hembesok" => Self::HomeVisit,
            "outreach" | "uppsokande" => Self::Outreach,
            "through_partner" | "partner" => Self::ThroughPartner,
            _ => return None,
        })
    }
}

/// What came of a contact attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// The person was reached.
    Reached,
    /// The person was not reached.
    NotReached,
    /// The person was reached and declined support.
    Declined,
}

/// One recorded contact attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAttempt {
    /// Day of the attempt.
    pub date: NaiveDate,
    /// Channel used.
    pub channel: ContactChannel,
    /// Result.
    pub outcome: ContactOutcome,
}

/// The status changes a contact attempt implies, in order (possibly none).
///
/// - reached: identified/not_reachable/declined → contacted; otherwise no change.
/// - not reached: identified → not_reachable; a failed attempt never demotes a
///   person already in contact.
/// - declined: identified/contacted/in_dialogue → declined; not_reachable →
///   contacted → declined (they were reached, then declined); declined: none.
///
/// Exited persons never change. Every step is checked against [`transition`].
pub fn implied_transitions(current: Status, outcome: ContactOutcome) -> Vec<Status> {
    use Status::*;
    let path: Vec<Status> = match (current, outcome) {
        (Exited(_), _) => vec![],
        (Identified | NotReachable | Declined, ContactOutcome::Reached) => vec![Contacted],
        (_, ContactOutcome::Reached) => vec![],
        (Identified, ContactOutcome::NotReached) => vec![NotReachable],
        (_, ContactOutcome::NotReached) => vec![],
        (Identified | Contacted | InDialogue, ContactOutcome::Declined) => vec![Declined],
        (NotReachable, ContactOutcome::Declined) => vec![Contacted, Declined],
        (_, ContactOutcome::Declined) => vec![],
    };
    let mut from = current;
    let mut checked = Vec::with_capacity(path.len());
    for to in path {
        if transition(from, to).is_err() {
            break;
        }
        checked.push(to);
        from = to;
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContactOutcome as O;
    use Status::*;

    #[test]
    fn first_reached_contact_moves_to_contacted() {
        assert_eq!(implied_transitions(Identified, O::Reached), vec![Contacted]);
        assert_eq!(implied_transitions(Contacted, O::Reached), vec![]);
        assert_eq!(implied_transitions(InDialogue, O::Reached), vec![]);
        assert_eq!(implied_transitions(NotReachable, O::Reached), vec![Contacted]);
        assert_eq!(implied_transitions(Declined, O::Reached), vec![Contacted]);
    }

    #[test]
    fn not_reached_and_declined() {
        assert_eq!(implied_transitions(Identified, O::NotReached), vec![NotReachable]);
        assert_eq!(implied_transitions(Contacted, O::NotReached), vec![]);
        assert_eq!(implied_transitions(Identified, O::Declined), vec![Declined]);
        assert_eq!(implied_transitions(InDialogue, O::Declined), vec![Declined]);
        assert_eq!(implied_transitions(NotReachable, O::Declined), vec![Contacted, Declined]);
        assert_eq!(implied_transitions(InActivity, O::Declined), vec![]);
    }

    #[test]
    fn implied_paths_are_always_allowed() {
        for s in Status::ALL {
            for o in [O::Reached, O::NotReached, O::Declined] {
                let mut from = s;
                for to in implied_transitions(s, o) {
                    assert!(transition(from, to).is_ok(), "{s:?} {o:?}");
                    from = to;
                }
                if !s.is_active() {
                    assert!(implied_transitions(s, o).is_empty());
                }
            }
        }
    }

    #[test]
    fn channel_codes() {
        for c in ContactChannel::ALL {
            assert_eq!(ContactChannel::parse(c.code()), Some(c));
        }
        assert_eq!(ContactChannel::parse("SMS"), Some(ContactChannel::TextMessage));
        assert_eq!(ContactChannel::parse("hembesok"), Some(ContactChannel::HomeVisit));
        assert_eq!(ContactChannel::parse("fax"), None);
    }
}
