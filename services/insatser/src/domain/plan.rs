//! Individual plans: a goal and planned insatser with weekly hours and dates.
//! A plan is never edited; a revision is a new version.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::catalogue::Catalogue;
use super::ladder::WorkLadder;

/// Highest weekly hours an activity may be planned for (full time).
pub const MAX_WEEKLY_HOURS: u32 = 40;

/// What the plan aims for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "step")]
pub enum PlanGoal {
    /// Work on the regular labour market.
    Work,
    /// Studies giving the right to student finance.
    Studies,
    /// A named step on the work ladder (an intermediate goal).
    LadderStep(String),
}

/// One planned insats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedActivity {
    /// Catalogue code of the insats.
    pub intervention_code: String,
    /// Planned whole hours per week, 1..=40.
    pub weekly_hours: u32,
    /// First day of the activity.
    pub start: NaiveDate,
    /// Last day of the activity (inclusive, not before `start`).
    pub end: NaiveDate,
}

/// The content of a plan before it has a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDraft {
    /// The goal.
    pub goal: PlanGoal,
    /// Planned activities, at least one.
    pub activities: Vec<PlannedActivity>,
}

/// A validated, versioned plan. Version 1 is the first; each revision adds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Version number, starting at 1.
    pub version: u32,
    /// The validated content.
    pub content: PlanDraft,
}

/// One reason a plan draft is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The plan has no activities.
    #[error("the plan has no activities")]
    NoActivities,
    /// The goal names a step that is not on the ladder.
    #[error("the goal names an unknown ladder step")]
    UnknownLadderStep,
    /// An activity names an insats that is not in the catalogue.
    #[error("activity {index}: unknown insats")]
    UnknownIntervention {
        /// Zero-based position of the activity.
        index: usize,
    },
    /// Weekly hours are 0 or above 40.
    #[error("activity {index}: weekly hours must be 1..=40, got {hours}")]
    WeeklyHoursOutOfRange {
        /// Zero-based position of the activity.
        index: usize,
        /// The rejected value.
        hours: u32,
    },
    /// The end date is before the start date.
    #[error("activity {index}: ends before it starts")]
    EndBeforeStart {
        /// Zero-based position of the activity.
        index: usize,
    },
    /// The version counter cannot go higher.
    #[error("too many revisions")]
    VersionOverflow,
}

/// Validates a draft against the catalogue and ladder; returns every problem found.
pub fn validate_plan(draft: &PlanDraft, catalogue: &Catalogue, ladder: &WorkLadder) -> Result<(), Vec<PlanError>> {
    let mut errors = Vec::new();
    if let PlanGoal::LadderStep(step) = &draft.goal
        && ladder.step(step).is_none()
    {
        errors.push(PlanError::UnknownLadderStep);
    }
    if draft.activities.is_empty() {
        errors.push(PlanError::NoActivities);
    }
    for (index, a) in draft.activities.iter().enumerate() {
        if catalogue.get(&a.intervention_code).is_none() {
            errors.push(PlanError::UnknownIntervention { index });
        }
        if a.weekly_hours == 0 || a.weekly_hours > MAX_WEEKLY_HOURS {
            errors.push(PlanError::WeeklyHoursOutOfRange { index, hours: a.weekly_hours });
        }
        if a.end < a.start {
            errors.push(PlanError::EndBeforeStart { index });
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

impl Plan {
    /// Creates version 1 of a plan from a valid draft.
    pub fn first(draft: PlanDraft, catalogue: &Catalogue, ladder: &WorkLadder) -> Result<Plan, Vec<PlanError>> {
        validate_plan(&draft, catalogue, ladder)?;
        Ok(Plan { version: 1, content: draft })
    }

    /// Creates the next version from a revised draft; `self` is left as it was.
    pub fn revise(&self, draft: PlanDraft, catalogue: &Catalogue, ladder: &WorkLadder) -> Result<Plan, Vec<PlanError>> {
        validate_plan(&draft, catalogue, ladder)?;
        let version = self.version.checked_add(1).ok_or_else(|| vec![PlanError::VersionOverflow])?;
        Ok(Plan { version, content: draft })
    }

    /// Earliest activity start (the plan start used for follow-ups).
    pub fn start(&self) -> Option<NaiveDate> {
        self.content.activities.iter().map(|a| a.start).min()
    }

    /// Sum of weekly hours of the activities running on a given day.
    pub fn weekly_hours_on(&self, day: NaiveDate) -> u32 {
        self.content.activities.iter().filter(|a| a.start <= day && day <= a.end).map(|a| a.weekly_hours).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn act(code: &str, hours: u32, start: NaiveDate, end: NaiveDate) -> PlannedActivity {
        PlannedActivity { intervention_code: code.into(), weekly_hours: hours, start, end }
    }

    #[test]
    fn valid_plan_and_revision() {
        let (c, l) = (Catalogue::default(), WorkLadder::default());
        let draft = PlanDraft {
            goal: PlanGoal::Work,
            activities: vec![
                act("work_training", 20, d(2025, 1, 6), d(2025, 3, 28)),
                act("cv_writing", 2, d(2025, 1, 13), d(2025, 1, 13)),
            ],
        };
        let p1 = Plan::first(draft.clone(), &c, &l).expect("valid");
        assert_eq!(p1.version, 1);
        assert_eq!(p1.start(), Some(d(2025, 1, 6)));
        assert_eq!(p1.weekly_hours_on(d(2025, 1, 13)), 22);
        let mut revised = draft;
        revised.goal = PlanGoal::LadderStep("internship".into());
        let p2 = p1.revise(revised, &c, &l).expect("valid");
        assert_eq!(p2.version, 2);
        assert_eq!(p1.version, 1);
        assert_eq!(p1.content.goal, PlanGoal::Work);
    }

    #[test]
    fn hours_boundaries() {
        let (c, l) = (Catalogue::default(), WorkLadder::default());
        for (hours, ok) in [(0, false), (1, true), (40, true), (41, false)] {
            let draft = PlanDraft {
                goal: PlanGoal::Studies,
                activities: vec![act("internship", hours, d(2025, 1, 1), d(2025, 1, 1))],
            };
            assert_eq!(validate_plan(&draft, &c, &l).is_ok(), ok, "{hours}");
        }
    }

    #[test]
    fn collects_all_errors() {
        let (c, l) = (Catalogue::default(), WorkLadder::default());
        let draft = PlanDraft {
            goal: PlanGoal::LadderStep("moon".into()),
            activities: vec![act("knitting", 0, d(2025, 2, 1), d(2025, 1, 1))],
        };
        let errs = validate_plan(&draft, &c, &l).expect_err("invalid");
        assert_eq!(
            errs,
            vec![
                PlanError::UnknownLadderStep,
                PlanError::UnknownIntervention { index: 0 },
                PlanError::WeeklyHoursOutOfRange { index: 0, hours: 0 },
                PlanError::EndBeforeStart { index: 0 },
            ]
        );
        let empty = PlanDraft { goal: PlanGoal::Work, activities: vec![] };
        assert_eq!(validate_plan(&empty, &c, &l), Err(vec![PlanError::NoActivities]));
    }
}
