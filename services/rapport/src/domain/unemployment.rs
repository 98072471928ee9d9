//! Import of Arbetsförmedlingen's monthly unemployment figures (*inskrivna
//! arbetslösa*) and ranking of a county's municipalities by change against a
//! year earlier.
//!
//! # File format
//! UTF-8 text (BOM ignored), header line then one row per region, month and
//! group, read by [`trappan_platform::csv_file`]. Separator `,` or `;`, detected
//! from the header (use `;` or quotes when shares have a decimal comma).
//! Header, case-insensitive, in order:
//!
//! | column | content |
//! |---|---|
//! | `region` | `00` nation, 2-digit county, 4-digit municipality |
//! | `month` | `YYYY-MM` |
//! | `group` | `all`, `18-24` or `foreign_born` (aliases `totalt`, `unga`, `utrikes_fodda`) |
//! | `registered_unemployed` | count, or `<5` when Arbetsförmedlingen suppressed it |
//! | `share_percent` | share of the labour force in per cent, `,` or `.` decimal, at most 2 decimals; empty if not published |
//! | `series` | the series definition, e.g. `16-64 registerbaserad`, `16-65 BAS` |
//!
//! Row numbers are the line numbers rows start on in the file (header = 1).

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use thiserror::Error;
use trappan_platform::csv_file::{CsvFileError, CsvRowError, read_records};

use super::change::change_basis_points;
use super::period::YearMonth;
use super::region::{CountyCode, KommunCode, Region};
use super::suppression::Figure;

/// The expected header columns.
pub const HEADER: [&str; 6] = ["region", "month", "group", "registered_unemployed", "share_percent", "series"];

/// Longest accepted series label.
pub const MAX_SERIES_CHARS: usize = 100;

/// The population group a figure is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnemploymentGroup {
    /// Everyone in the series' age band.
    All,
    /// Young people 18–24.
    Age18To24,
    /// Foreign-born.
    ForeignBorn,
}

impl UnemploymentGroup {
    /// Parses a group code or alias.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().replace(' ', "_").as_str() {
            "all" | "totalt" | "alla" => Some(Self::All),
            "18-24" | "unga" | "youth" => Some(Self::Age18To24),
            "foreign_born" | "utrikes_fodda" | "utrikes_födda" => Some(Self::ForeignBorn),
            _ => None,
        }
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Age18To24 => "18-24",
            Self::ForeignBorn => "foreign_born",
        }
    }
}

/// One validated row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnemploymentRow {
    /// Line number in the file.
    pub row_number: usize,
    /// Region.
    pub region: Region,
    /// Month.
    pub month: YearMonth,
    /// Group.
    pub group: UnemploymentGroup,
    /// Registered unemployed; `Suppressed` where the source said `<5`.
    pub registered_unemployed: Figure,
    /// Share of the labour force in basis points (7.4 % = 740), if published.
    pub share_bp: Option<u32>,
    /// Series definition label, trimmed.
    pub series: String,
}

/// The column a rejection concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnemploymentField {
    /// The row as a whole.
    Row,
    /// `region`.
    Region,
    /// `month`.
    Month,
    /// `group`.
    Group,
    /// `registered_unemployed`.
    RegisteredUnemployed,
    /// `share_percent`.
    SharePercent,
    /// `series`.
    Series,
}

/// Why a row was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum UnemploymentRejectReason {
    /// Not exactly six fields.
    WrongFieldCount {
        /// Fields found.
        found: usize,
    },
    /// Unbalanced or misplaced quotes.
    BadQuoting,
    /// A required field is empty.
    Missing,
    /// Not `00`, a county in use, or a municipality code in a county in use.
    InvalidRegion,
    /// Not `YYYY-MM`.
    InvalidMonth,
    /// Not a known group.
    UnknownGroup,
    /// Neither a whole number nor `<5`.
    InvalidCount,
    /// Not a percentage with at most two decimals.
    InvalidShare,
    /// A share above 100 %.
    ShareOutOfRange,
    /// The series label is too long or has control characters.
    InvalidSeries,
    /// Same region, month, group and series as an earlier row.
    Duplicate {
        /// Row number of the earlier row.
        first_row: usize,
    },
}

impl fmt::Display for UnemploymentRejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongFieldCount { found } => write!(f, "expected 6 fields, found {found}"),
            Self::BadQuoting => f.write_str("unbalanced or misplaced quotes"),
            Self::Missing => f.write_str("required field is empty"),
            Self::InvalidRegion => f.write_str("not 00, a county or a municipality code"),
            Self::InvalidMonth => f.write_str("month must be YYYY-MM"),
            Self::UnknownGroup => f.write_str("group must be all, 18-24 or foreign_born"),
            Self::InvalidCount => f.write_str("count must be a whole number or <5"),
            Self::InvalidShare => f.write_str("share must be a percentage with at most 2 decimals"),
            Self::ShareOutOfRange => f.write_str("share above 100 %"),
            Self::InvalidSeries => f.write_str("series label too long or has control characters"),
            Self::Duplicate { first_row } => write!(f, "duplicate of row {first_row}"),
        }
    }
}

/// A rejected row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Error)]
#[error("row {row_number}, {field:?}: {reason}")]
pub struct UnemploymentReject {
    /// Line number in the file (header = 1).
    pub row_number: usize,
    /// Column concerned.
    pub field: UnemploymentField,
    /// Reason.
    pub reason: UnemploymentRejectReason,
}

/// The outcome of an import: accepted rows and rejects.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UnemploymentImport {
    /// Valid rows in file order.
    pub rows: Vec<UnemploymentRow>,
    /// Rejected rows in file order.
    pub rejects: Vec<UnemploymentReject>,
}

/// A file-level problem; nothing was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UnemploymentFileError {
    /// No header.
    #[error("the file is empty")]
    Empty,
    /// The header is not the expected one.
    #[error("the header must be region,month,group,registered_unemployed,share_percent,series")]
    BadHeader,
}

/// Parses a percentage with `,` or `.` decimal and at most two decimals into basis points.
pub fn parse_percent_bp(text: &str) -> Option<u32> {
    let t = text.trim().replace(',', ".");
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t.as_str(), ""),
    };
    if int.is_empty()
        || int.len() > 3
        || frac.len() > 2
        || (t.contains('.') && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: u32 = int.parse().ok()?;
    let frac: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    Some(int * 100 + frac)
}

/// Parses and validates an unemployment file.
pub fn parse_unemployment(input: &str) -> Result<UnemploymentImport, UnemploymentFileError> {
    let records = read_records(input, &HEADER).map_err(|error| match error {
        CsvFileError::Empty => UnemploymentFileError::Empty,
        CsvFileError::BadHeader => UnemploymentFileError::BadHeader,
    })?;
    let mut out = UnemploymentImport::default();
    let mut seen: HashMap<(Region, YearMonth, UnemploymentGroup, String), usize> = HashMap::new();
    for record in records {
        let parsed = record.map_err(row_error).and_then(|record| parse_row(record.line, &record.fields));
        match parsed {
            Ok(row) => {
                let key = (row.region, row.month, row.group, row.series.clone());
                if let Some(&first_row) = seen.get(&key) {
                    out.rejects.push(UnemploymentReject {
                        row_number: row.row_number,
                        field: UnemploymentField::Row,
                        reason: UnemploymentRejectReason::Duplicate { first_row },
                    });
                } else {
                    seen.insert(key, row.row_number);
                    out.rows.push(row);
                }
            }
            Err(r) => out.rejects.push(r),
        }
    }
    Ok(out)
}

fn row_error(error: CsvRowError) -> UnemploymentReject {
    let reason = match error {
        CsvRowError::BadQuoting { .. } => UnemploymentRejectReason::BadQuoting,
        CsvRowError::WrongFieldCount { found, .. } => UnemploymentRejectReason::WrongFieldCount { found },
    };
    UnemploymentReject { row_number: error.line(), field: UnemploymentField::Row, reason }
}

fn parse_row(row_number: usize, f: &[String]) -> Result<UnemploymentRow, UnemploymentReject> {
    use UnemploymentField as F;
    use UnemploymentRejectReason as R;
    let rej = |field, reason| UnemploymentReject { row_number, field, reason };
    let required = |i: usize, field| {
        let t = f[i].trim();
        if t.is_empty() { Err(rej(field, R::Missing)) } else { Ok(t) }
    };
    let region = Region::parse(required(0, F::Region)?).ok_or(rej(F::Region, R::InvalidRegion))?;
    let month = YearMonth::parse(required(1, F::Month)?).ok_or(rej(F::Month, R::InvalidMonth))?;
    let group = UnemploymentGroup::parse(required(2, F::Group)?).ok_or(rej(F::Group, R::UnknownGroup))?;
    let count = required(3, F::RegisteredUnemployed)?;
    let registered_unemployed = if count.replace(' ', "") == "<5" {
        Figure::Suppressed
    } else if count.bytes().all(|b| b.is_ascii_digit()) {
        Figure::Shown(count.parse().map_err(|_| rej(F::RegisteredUnemployed, R::InvalidCount))?)
    } else {
        return Err(rej(F::RegisteredUnemployed, R::InvalidCount));
    };
    let share = f[4].trim();
    let share_bp = if share.is_empty() {
        None
    } else {
        let bp = parse_percent_bp(share).ok_or(rej(F::SharePercent, R::InvalidShare))?;
        if bp > 10_000 {
            return Err(rej(F::SharePercent, R::ShareOutOfRange));
        }
        Some(bp)
    };
    let series = required(5, F::Series)?;
    if series.chars().count() > MAX_SERIES_CHARS || series.chars().any(char::is_control) {
        return Err(rej(F::Series, R::InvalidSeries));
    }
    Ok(UnemploymentRow { row_number, region, month, group, registered_unemployed, share_bp, series: series.to_owned() })
}

/// What the ranking compares against a year earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    /// Change in the share of the labour force, in basis points of the labour
    /// force (−0.8 percentage points = −80).
    ShareChange,
    /// Relative change in the count, in basis points (−41.8 % = −4184); needs
    /// both counts shown.
    CountChange,
}

/// One municipality's place in the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityRank {
    /// The municipality.
    pub kommun: KommunCode,
    /// The month's share, if published.
    pub share_bp: Option<u32>,
    /// The month's count.
    pub registered_unemployed: Option<Figure>,
    /// Change against a year earlier, as chosen by [`RankBy`]; `None` if not computable.
    pub change: Option<i64>,
    /// 1 = largest decrease; equal changes share a rank; `None` without a change.
    pub rank: Option<u32>,
}

/// Ranks the municipalities in `kommuner` that belong to `county` (the county is
/// derived from the first two digits) by change from the same month a year
/// earlier, for one group and one series definition (figures from another series
/// are never compared). Largest decrease first; municipalities without a
/// computable change come last, in code order.
pub fn rank_county_municipalities(
    rows: &[UnemploymentRow],
    county: CountyCode,
    kommuner: &[KommunCode],
    month: YearMonth,
    group: UnemploymentGroup,
    series: &str,
    by: RankBy,
) -> Vec<MunicipalityRank> {
    let find = |k: KommunCode, m: YearMonth| {
        rows.iter()
            .find(|r| r.region == Region::Municipality(k) && r.month == m && r.group == group && r.series == series)
    };
    let before = month.year_earlier();
    let mut list: Vec<KommunCode> = kommuner.iter().copied().filter(|k| k.county() == county).collect();
    list.sort();
    list.dedup();
    let mut ranks: Vec<MunicipalityRank> = list
        .into_iter()
        .map(|k| {
            let now = find(k, month);
            let then = before.and_then(|b| find(k, b));
            let change = match (now, then, by) {
                (Some(n), Some(t), RankBy::ShareChange) => match (n.share_bp, t.share_bp) {
                    (Some(a), Some(b)) => Some(i64::from(a) - i64::from(b)),
                    _ => None,
                },
                (Some(n), Some(t), RankBy::CountChange) => match (n.registered_unemployed, t.registered_unemployed) {
                    (Figure::Shown(a), Figure::Shown(b)) => count_change(b, a),
                    _ => None,
                },
                _ => None,
            };
            MunicipalityRank {
                kommun: k,
                share_bp: now.and_then(|n| n.share_bp),
                registered_unemployed: now.map(|n| n.registered_unemployed),
                change,
                rank: None,
            }
        })
        .collect();
    ranks.sort_by(|a, b| match (a.change, b.change) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.kommun.cmp(&b.kommun)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kommun.cmp(&b.kommun),
    });
    let mut prev: Option<(i64, u32)> = None;
    for (i, r) in ranks.iter_mut().enumerate() {
        if let Some(c) = r.change {
            let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let rank = match prev {
                Some((pc, pr)) if pc == c => pr,
                _ => position,
            };
            r.rank = Some(rank);
            prev = Some((c, rank));
        }
    }
    ranks
}

fn count_change(previous: u64, current: u64) -> Option<i64> {
    change_basis_points(i64::try_from(previous).ok()?, i64::try_from(current).ok()?)
}

#[cfg(test)]
mod tests {
    use super::super::region::{KRONOBERG, kommuner_in};
    use super::*;

    const HEAD: &str = "region;month;group;registered_unemployed;share_percent;series\n";

    #[test]
    fn percent_parsing() {
        assert_eq!(parse_percent_bp("7,4"), Some(740));
        assert_eq!(parse_percent_bp("12.35"), Some(1235));
        assert_eq!(parse_percent_bp("0"), Some(0));
        assert_eq!(parse_percent_bp("100"), Some(10000));
        for bad in ["", "7,", ",4", "7.123", "-1", "1e2", "7,4%", "1000", "7 ,4"] {
            assert_eq!(parse_percent_bp(bad), None, "{bad}");
        }
    }

    #[test]
    fn import_valid_and_rejects() {
        let file = format!(
            "{HEAD}00;2020-08;all;350000;8,9;16-64 registerbaserad\n\
             07;2020-08;18-24;2500;12.4;16-64 registerbaserad\n\
             0767;2020-08;foreign_born;<5;;16-65 BAS\n\
             0267;2020-08;all;10;1;x\n\
             0767;2020-8;all;10;1;x\n\
             0767;2020-08;kids;10;1;x\n\
             0767;2020-08;all;ten;1;x\n\
             0767;2020-08;all;10;1,234;x\n\
             0767;2020-08;all;10;100,5;x\n\
             0767;2020-08;all;10;1;\n\
             0767;2020-08;all;10;1\n\
             0767;2020-08;foreign_born;7;2,0;16-65 BAS\n"
        );
        let imp = parse_unemployment(&file).expect("header ok");
        assert_eq!(imp.rows.len(), 3);
        assert_eq!(imp.rows[0].region, Region::Nation);
        assert_eq!(imp.rows[0].share_bp, Some(890));
        assert_eq!(imp.rows[1].share_bp, Some(1240));
        assert_eq!(imp.rows[2].registered_unemployed, Figure::Suppressed);
        assert_eq!(imp.rows[2].share_bp, None);
        assert_eq!(imp.rows[2].series, "16-65 BAS");
        use UnemploymentField as F;
        use UnemploymentRejectReason as R;
        let got: Vec<_> = imp.rejects.iter().map(|r| (r.row_number, r.field, r.reason)).collect();
        assert_eq!(
            got,
            vec![
                (5, F::Region, R::InvalidRegion),
                (6, F::Month, R::InvalidMonth),
                (7, F::Group, R::UnknownGroup),
                (8, F::RegisteredUnemployed, R::InvalidCount),
                (9, F::SharePercent, R::InvalidShare),
                (10, F::SharePercent, R::ShareOutOfRange),
                (11, F::Series, R::Missing),
                (12, F::Row, R::WrongFieldCount { found: 5 }),
                (13, F::Row, R::Duplicate { first_row: 4 }),
            ]
        );
        assert!(parse_unemployment("").is_err());
        assert_eq!(parse_unemployment("a,b\n"), Err(UnemploymentFileError::BadHeader));
    }

    #[test]
    fn comma_separated_with_quoted_decimal() {
        let file = "region,month,group,registered_unemployed,share_percent,series\n\
                    0780,2021-01,all,\"3100\",\"6,5\",16-65 BAS\n";
        let imp = parse_unemployment(file).expect("ok");
        assert!(imp.rejects.is_empty());
        assert_eq!(imp.rows[0].share_bp, Some(650));
    }

    #[test]
    fn ranking_kronoberg() {
        let mut file = String::from(HEAD);
        // (kommun, share 2019, share 2020, count 2019, count 2020)
        let data = [
            ("0760", "6,0", "6,5", "100", "110"),
            ("0761", "9,0", "8,0", "200", "150"),
            ("0763", "5,0", "5,0", "80", "80"),
            ("0764", "7,0", "6,0", "300", "250"),
            ("0765", "4,0", "4,4", "90", "<5"),
            ("0767", "9,5", "6,1", "98", "57"),
            ("0780", "6,0", "6,0", "2000", "2000"),
        ];
        for (k, s19, s20, c19, c20) in data {
            file.push_str(&format!("{k};2019-08;all;{c19};{s19};16-64 registerbaserad\n"));
            file.push_str(&format!("{k};2020-08;all;{c20};{s20};16-64 registerbaserad\n"));
        }
        // Ljungby only in another series: not comparable.
        file.push_str("0781;2019-08;all;500;5,0;16-65 BAS\n0781;2020-08;all;400;4,0;16-64 registerbaserad\n");
        let imp = parse_unemployment(&file).expect("ok");
        assert!(imp.rejects.is_empty(), "{:?}", imp.rejects);
        let kommuner: Vec<KommunCode> = kommuner_in(KRONOBERG).expect("shipped").iter().map(|k| k.code).collect();
        let month = YearMonth::parse("2020-08").expect("valid");
        let r = rank_county_municipalities(
            &imp.rows,
            KRONOBERG,
            &kommuner,
            month,
            UnemploymentGroup::All,
            "16-64 registerbaserad",
            RankBy::ShareChange,
        );
        let got: Vec<_> = r.iter().map(|m| (m.kommun.to_string(), m.change, m.rank)).collect();
        assert_eq!(
            got,
            vec![
                ("0767".to_string(), Some(-340), Some(1)),
                ("0761".to_string(), Some(-100), Some(2)),
                ("0764".to_string(), Some(-100), Some(2)),
                ("0763".to_string(), Some(0), Some(4)),
                ("0780".to_string(), Some(0), Some(4)),
                ("0765".to_string(), Some(40), Some(6)),
                ("0760".to_string(), Some(50), Some(7)),
                ("0781".to_string(), None, None),
            ]
        );
        let r = rank_county_municipalities(
            &imp.rows,
            KRONOBERG,
            &kommuner,
            month,
            UnemploymentGroup::All,
            "16-64 registerbaserad",
            RankBy::CountChange,
        );
        assert_eq!(r[0].kommun.to_string(), "0767");
        assert_eq!(r[0].change, Some(-4184));
        let alm = r.iter().find(|m| m.kommun.to_string() == "0765").expect("listed");
        assert_eq!((alm.change, alm.rank), (None, None));
        assert_eq!(alm.registered_unemployed, Some(Figure::Suppressed));
        // A municipality of another county is ignored.
        let other = KommunCode::parse("0180").expect("valid");
        let r = rank_county_municipalities(
            &imp.rows,
            KRONOBERG,
            &[other],
            month,
            UnemploymentGroup::All,
            "x",
            RankBy::ShareChange,
        );
        assert!(r.is_empty());
    }
}
