//! Pure domain rules for the rapport (statistics and management reporting) service.
//!
//! No I/O and no personal data: inputs are counts, sums and imported public
//! figures; outputs are suppressed tables, KPI values, rankings and one
//! self-contained HTML page.

pub mod change;
pub mod kolada;
pub mod period;
pub mod region;
pub mod report;
pub mod stats;
pub mod suppression;
pub mod unemployment;

pub use change::{change_basis_points, change_per_mille, div_round_half_away, format_basis_points_as_percent};
pub use kolada::{Kpi, KpiValue, is_long_term, n31001, n31807, n31816, u31803, u40455};
pub use period::YearMonth;
pub use region::{CountyCode, Kommun, KommunCode, Region};
pub use report::{
    ACTION_LISTS, ActionList, BudgetPosition, Coverage, GroupUnemployment, ManagementReport, RankedKommun,
    RegionShares, UnemploymentSection, escape_html, render_management_report,
};
pub use stats::{MedianDays, median_days, share_basis_points};
pub use suppression::{
    DEFAULT_THRESHOLD, Figure, RaggedGrid, SuppressedGrid, SuppressedGroup, suppress, suppress_grid,
};
pub use unemployment::{
    MunicipalityRank, RankBy, UnemploymentField, UnemploymentFileError, UnemploymentGroup, UnemploymentImport,
    UnemploymentReject, UnemploymentRejectReason, UnemploymentRow, parse_unemployment, rank_county_municipalities,
};
