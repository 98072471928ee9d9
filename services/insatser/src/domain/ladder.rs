//! The work ladder (*arbetstrappan*): ordered steps a participant climbs towards
//! work or studies. The unit can configure its own ladder; a default is shipped.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One step on the ladder as read from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderStepConfig {
    /// Stable machine code, lowercase `a-z`, `0-9` and `_` (stored in plans).
    pub code: String,
    /// Human-readable label shown to coordinators.
    pub label: String,
    /// Height on the ladder, 1 = lowest; several steps may share a level.
    pub level: u8,
}

/// A validated ladder step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderStep {
    /// Stable machine code.
    pub code: String,
    /// Human-readable label.
    pub label: String,
    /// Height on the ladder, 1 = lowest.
    pub level: u8,
}

/// Why a ladder configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LadderError {
    /// The configuration has no steps.
    #[error("the ladder has no steps")]
    Empty,
    /// A step code is empty or has characters outside `a-z0-9_`.
    #[error("step {index}: invalid code")]
    InvalidCode {
        /// Zero-based position in the configuration.
        index: usize,
    },
    /// A step label is empty.
    #[error("step {index}: empty label")]
    EmptyLabel {
        /// Zero-based position in the configuration.
        index: usize,
    },
    /// A level is 0.
    #[error("step {index}: level must be at least 1")]
    ZeroLevel {
        /// Zero-based position in the configuration.
        index: usize,
    },
    /// Two steps share a code.
    #[error("step {index}: duplicate code {code}")]
    DuplicateCode {
        /// Zero-based position of the second occurrence.
        index: usize,
        /// The duplicated code.
        code: String,
    },
    /// A line of the text form could not be read.
    #[error("line {line}: expected `level;code;label`")]
    BadLine {
        /// One-based line number.
        line: usize,
    },
}

/// A configured work ladder, steps ordered by level (then configuration order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkLadder {
    steps: Vec<LadderStep>,
}

pub(crate) fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Default for WorkLadder {
    fn default() -> Self {
        Self::default_ladder()
    }
}

impl WorkLadder {
    /// The default ladder: social rehabilitation → arbetsträning → praktik →
    /// subsidised employment → ordinary employment or studies (both top level).
    pub fn default_ladder() -> Self {
        let step =
            |level: u8, code: &str, label: &str| LadderStep { code: code.to_owned(), label: label.to_owned(), level };
        Self {
            steps: vec![
                step(1, "social_rehabilitation", "Social rehabilitering"),
                step(2, "work_training", "Arbetsträning"),
                step(3, "internship", "Praktik"),
                step(4, "subsidised_employment", "Subventionerad anställning"),
                step(5, "ordinary_employment", "Arbete på den reguljära arbetsmarknaden"),
                step(5, "studies", "Studier"),
            ],
        }
    }

    /// Builds a ladder from configuration entries, validating codes, labels and levels.
    pub fn from_config(entries: &[LadderStepConfig]) -> Result<Self, LadderError> {
        if entries.is_empty() {
            return Err(LadderError::Empty);
        }
        let mut steps: Vec<LadderStep> = Vec::with_capacity(entries.len());
        for (index, e) in entries.iter().enumerate() {
            let code = e.code.trim();
            if !valid_code(code) {
                return Err(LadderError::InvalidCode { index });
            }
            if e.label.trim().is_empty() {
                return Err(LadderError::EmptyLabel { index });
            }
            if e.level == 0 {
                return Err(LadderError::ZeroLevel { index });
            }
            if steps.iter().any(|s| s.code == code) {
                return Err(LadderError::DuplicateCode { index, code: code.to_owned() });
            }
            steps.push(LadderStep { code: code.to_owned(), label: e.label.trim().to_owned(), level: e.level });
        }
        // Stable sort keeps configuration order within a level.
        steps.sort_by_key(|s| s.level);
        Ok(Self { steps })
    }

    /// Parses the simple text form: one `level;code;label` per line; blank lines
    /// and lines starting with `#` are ignored.
    pub fn parse_config(text: &str) -> Result<Self, LadderError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ';');
            let (Some(level), Some(code), Some(label)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(LadderError::BadLine { line: i + 1 });
            };
            let level: u8 = level.trim().parse().map_err(|_| LadderError::BadLine { line: i + 1 })?;
            entries.push(LadderStepConfig { code: code.trim().to_owned(), label: label.trim().to_owned(), level });
        }
        Self::from_config(&entries)
    }

    /// All steps, lowest level first.
    pub fn steps(&self) -> &[LadderStep] {
        &self.steps
    }

    /// Looks a step up by code.
    pub fn step(&self, code: &str) -> Option<&LadderStep> {
        self.steps.iter().find(|s| s.code == code)
    }

    /// The highest level on the ladder (the goal level).
    pub fn top_level(&self) -> u8 {
        self.steps.iter().map(|s| s.level).max().unwrap_or(0)
    }

    /// Whether a step is on the top level (a goal such as work or studies).
    pub fn is_goal(&self, code: &str) -> bool {
        self.step(code).is_some_and(|s| s.level == self.top_level())
    }

    /// The steps on the next level above `code` (empty at the top or for unknown codes).
    pub fn next_steps(&self, code: &str) -> Vec<&LadderStep> {
        let Some(current) = self.step(code) else {
            return Vec::new();
        };
        let next_level = self.steps.iter().map(|s| s.level).filter(|l| *l > current.level).min();
        match next_level {
            Some(l) => self.steps.iter().filter(|s| s.level == l).collect(),
            None => Vec::new(),
        }
    }

    /// Whether moving from one step to another is a move upwards; `None` if a code is unknown.
    pub fn is_progression(&self, from: &str, to: &str) -> Option<bool> {
        Some(self.step(to)?.level > self.step(from)?.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ladder_order_and_goal() {
        let l = WorkLadder::default();
        assert_eq!(l.steps().len(), 6);
        assert_eq!(l.steps()[0].code, "social_rehabilitation");
        assert!(l.is_goal("studies"));
        assert!(l.is_goal("ordinary_employment"));
        assert!(!l.is_goal("internship"));
        let next: Vec<_> = l.next_steps("work_training").iter().map(|s| s.code.as_str()).collect();
        assert_eq!(next, vec!["internship"]);
        assert_eq!(l.next_steps("subsidised_employment").len(), 2);
        assert!(l.next_steps("studies").is_empty());
        assert_eq!(l.is_progression("work_training", "internship"), Some(true));
        assert_eq!(l.is_progression("internship", "work_training"), Some(false));
        assert_eq!(l.is_progression("nope", "internship"), None);
    }

    #[test]
    fn parse_config_text() {
        let text = "# my ladder\n2;praktik;Praktik\n1;samtal;Samtal\n\n3;arbete;Arbete\n";
        let l = WorkLadder::parse_config(text).expect("valid");
        let codes: Vec<_> = l.steps().iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, vec!["samtal", "praktik", "arbete"]);
        assert!(l.is_goal("arbete"));
    }

    #[test]
    fn config_errors() {
        assert_eq!(WorkLadder::parse_config("# none\n"), Err(LadderError::Empty));
        assert_eq!(WorkLadder::parse_config("1;a\n"), Err(LadderError::BadLine { line: 1 }));
        assert_eq!(WorkLadder::parse_config("1;A b;x\n"), Err(LadderError::InvalidCode { index: 0 }));
        assert_eq!(WorkLadder::parse_config("0;a;x\n"), Err(LadderError::ZeroLevel { index: 0 }));
        assert_eq!(WorkLadder::parse_config("1;a; \n"), Err(LadderError::EmptyLabel { index: 0 }));
        assert!(matches!(WorkLadder::parse_config("1;a;x\n2;a;y\n"), Err(LadderError::DuplicateCode { index: 1, .. })));
    }
}
