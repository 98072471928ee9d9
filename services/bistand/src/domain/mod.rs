//! Pure rules of ekonomiskt bistånd: riksnorm, the försörjningsstöd calculation, jobbstimulans,
//! household types, gallring, the prisbasbelopp, the budget forecast and standard-case decision support.
//!
//! Nothing here does I/O, reads the clock or logs: every function takes what it needs (the
//! month, "today", the norm tables) and returns the same answer for the same input, so a
//! calculation can be reproduced exactly later. Money is whole öre in `i64`, never floating
//! point. Household members carry birth dates and sex, not identity numbers; the store and gRPC
//! layers convert from `trappan_platform::personnummer::Personnummer`.

pub mod appeal;
pub mod calculation;
pub mod calendar;
pub mod decision_support;
pub mod forecast;
pub mod household;
pub mod jobbstimulans;
pub mod prisbasbelopp;
pub mod retention;
pub mod riksnorm;
pub mod socialstyrelsen;
pub mod year_month;

pub use calculation::{
    Calculation, CalculationError, CalculationOutcome, CalculationRow, ChildIncomeAllowance, CostKind, CostLine,
    IncomeKind, IncomeLine, LineError, NormBreakdown, NormRow, RowKind, calculate, norm_for,
};
pub use household::{Adult, Child, Household, HouseholdType, PersonRef, Sex};
pub use jobbstimulans::{DecisionOutcome, JobbstimulansStatus};
pub use riksnorm::{AgeBand, NormError, NormItem, NormStatus, NormTable, NormTables};
pub use year_month::YearMonth;
