//! Which data Ungsam may hold without the young person's consent (*samtycke*),
//! which need consent, and what to erase when consent is withdrawn.
//!
//! Without consent Ungsam may hold what the outreach assignment itself needs:
//! identity, name, contact channel and detail, identification source, status
//! and the log of contact attempts. Needs and plans (including activity
//! participation) are held only with consent for that scope.

use serde::{Deserialize, Serialize};

/// A kind of data Ungsam may hold about a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataField {
    /// Personnummer and birth date.
    Identity,
    /// Name.
    Name,
    /// Preferred contact channel.
    ContactChannel,
    /// Contact detail (phone number, address).
    ContactDetail,
    /// Identification source.
    Source,
    /// Outreach status and its history.
    Status,
    /// Log of contact attempts.
    ContactAttempts,
    /// The person's described needs and circumstances.
    Needs,
    /// The person's plan and goals.
    Plans,
    /// Participation in activities under the plan.
    Activities,
}

/// A consent scope the person can give and withdraw separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentScope {
    /// Recording needs and circumstances.
    Needs,
    /// Making and following a plan, including activities.
    Plans,
    /// Handing the person over to the labour-market unit and hearing back how the path ended. Covers no
    /// stored field; withdrawing it cancels a handover not yet delivered.
    Handover,
}

impl DataField {
    /// Every field.
    pub const ALL: [DataField; 10] = [
        Self::Identity,
        Self::Name,
        Self::ContactChannel,
        Self::ContactDetail,
        Self::Source,
        Self::Status,
        Self::ContactAttempts,
        Self::Needs,
        Self::Plans,
        Self::Activities,
    ];

    /// The scope that must be consented to before this field is held; `None`
    /// if it is allowed before consent.
    pub fn required_scope(self) -> Option<ConsentScope> {
        match self {
            Self::Needs => Some(ConsentScope::Needs),
            Self::Plans | Self::Activities => Some(ConsentScope::Plans),
            _ => None,
        }
    }

    /// Whether the field may be held given the scopes currently consented to.
    pub fn may_hold(self, consented: &[ConsentScope]) -> bool {
        self.required_scope().is_none_or(|s| consented.contains(&s))
    }
}

impl ConsentScope {
    /// Every scope.
    pub const ALL: [ConsentScope; 3] = [Self::Needs, Self::Plans, Self::Handover];

    /// Stable storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Needs => "needs",
            Self::Plans => "plans",
            Self::Handover => "handover",
        }
    }

    /// Parses a storage code.
    pub fn from_code(code: &str) -> Option<ConsentScope> {
        Self::ALL.into_iter().find(|scope| scope.code() == code)
    }

    /// The fields that must be erased when this scope is withdrawn.
    pub fn fields_to_erase(self) -> Vec<DataField> {
        DataField::ALL.into_iter().filter(|f| f.required_scope() == Some(self)).collect()
    }
}

/// Fields that may be held before any consent.
pub fn fields_allowed_without_consent() -> Vec<DataField> {
    DataField::ALL.into_iter().filter(|f| f.required_scope().is_none()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_consent() {
        let allowed = fields_allowed_without_consent();
        for f in [DataField::Name, DataField::ContactChannel, DataField::Source] {
            assert!(allowed.contains(&f));
            assert!(f.may_hold(&[]));
        }
        assert!(!DataField::Needs.may_hold(&[]));
        assert!(!DataField::Plans.may_hold(&[ConsentScope::Needs]));
        assert!(DataField::Activities.may_hold(&[ConsentScope::Plans]));
    }

    #[test]
    fn erase_on_withdrawal() {
        assert_eq!(ConsentScope::Needs.fields_to_erase(), vec![DataField::Needs]);
        assert_eq!(ConsentScope::Plans.fields_to_erase(), vec![DataField::Plans, DataField::Activities]);
        assert!(ConsentScope::Handover.fields_to_erase().is_empty());
        for s in ConsentScope::ALL {
            assert_eq!(ConsentScope::from_code(s.code()), Some(s));
        }
        for s in ConsentScope::ALL {
            assert!(!s.fields_to_erase().contains(&DataField::Name));
        }
    }
}
