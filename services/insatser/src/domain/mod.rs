//! Pure domain rules for the insatser (labour-market interventions) service.
//!
//! Nothing in here does I/O: the store and gRPC layers feed plain values in and
//! persist or transmit what comes out. Every rule the unit may want to tune
//! (the ladder, the catalogue, attendance and follow-up thresholds) is a value
//! with a documented default, not a constant.

pub mod age_band;
pub mod attendance;
pub mod catalogue;
pub mod exit;
pub mod follow_up;
pub mod ladder;
pub mod plan;

pub use age_band::{AgeBand, age_on};
pub use attendance::{AttendanceRecord, AttendanceStatus, UnexcusedThreshold, unexcused_exceeds};
pub use catalogue::{Catalogue, CatalogueEntry, CatalogueError, KoladaActivityType};
pub use exit::{ExitOutcome, KoladaExitCategory};
pub use follow_up::{DoneFollowUp, FollowUpKind, FollowUpOccasion, FollowUpSchedule, FollowUpStatus, Timeliness};
pub use ladder::{LadderError, LadderStep, LadderStepConfig, WorkLadder};
pub use plan::{Plan, PlanDraft, PlanError, PlanGoal, PlannedActivity, validate_plan};
