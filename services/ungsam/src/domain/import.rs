//! Parsing of the CSV file partners send with young people to contact.
//!
//! # File format
//! UTF-8 text (a leading BOM is ignored), one header line then one row per person,
//! read by [`trappan_platform::csv_file`]. The separator is `,` or `;`, detected
//! from the header. Fields may be quoted with `"` (use `""` for a literal quote);
//! a quoted field may span lines (a name or contact with a line break is then
//! rejected for its control characters). Blank lines are skipped. Header
//! (case-insensitive, in this order):
//!
//! | column | meaning | required |
//! |---|---|---|
//! | `personnummer` | identity number, any of the usual forms; checked by the caller's validator | yes |
//! | `namn` | full name, at most 200 characters | yes |
//! | `kanal` | preferred contact channel: `phone`/`telefon`, `text_message`/`sms`, `letter`/`brev`, `home_visit`/`hembesok`, `outreach`/`uppsokande`, `through_partner`/`partner` | no |
//! | `kontakt` | contact detail for that channel (phone number, address…), at most 200 characters | no |
//! | `kalla` | identification source, see [`IdentificationSource::parse`] | yes |
//!
//! Row numbers are the physical lines rows start on in the file (the header is line 1),
//! matching what a spreadsheet shows. Reject reasons are fixed codes and never
//! contain any value from the file.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use thiserror::Error;
use trappan_platform::csv_file::{CsvFileError, CsvRowError, read_records};

use super::contact::ContactChannel;
use super::source::IdentificationSource;
use super::target_group::BirthDate;

/// The expected header columns, in order.
pub const HEADER: [&str; 5] = ["personnummer", "namn", "kanal", "kontakt", "kalla"];

/// Longest accepted name or contact detail, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// A file-level problem; no rows were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ImportError {
    /// The file has no header line.
    #[error("the file is empty")]
    Empty,
    /// The first line is not the expected header (its content is not echoed).
    #[error("the first line must be the header personnummer,namn,kanal,kontakt,kalla")]
    BadHeader,
}

/// The column a rejection concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    /// The row as a whole (field count, quoting).
    Row,
    /// `personnummer`.
    Personnummer,
    /// `namn`.
    Name,
    /// `kanal`.
    Channel,
    /// `kontakt`.
    Contact,
    /// `kalla`.
    Source,
}

impl fmt::Display for ImportField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Row => "rad",
            Self::Personnummer => "personnummer",
            Self::Name => "namn",
            Self::Channel => "kanal",
            Self::Contact => "kontakt",
            Self::Source => "kalla",
        })
    }
}

/// Why a row was rejected. Carries no personal data by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum RejectReason {
    /// The row does not have exactly five fields.
    WrongFieldCount {
        /// Fields expected.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// Unbalanced or misplaced quotes.
    BadQuoting,
    /// A required field is empty.
    Missing,
    /// The caller's validator rejected the personnummer.
    InvalidPersonnummer,
    /// Text longer than [`MAX_TEXT_CHARS`].
    TooLong,
    /// Text contains control characters.
    ControlCharacters,
    /// The channel is not a known code.
    UnknownChannel,
    /// The source is not a known code.
    UnknownSource,
    /// The same person appears on an earlier row.
    DuplicateInFile {
        /// Row number of the first occurrence.
        first_row: usize,
    },
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongFieldCount { expected, found } => {
                write!(f, "expected {expected} fields, found {found}")
            }
            Self::BadQuoting => f.write_str("unbalanced or misplaced quotes"),
            Self::Missing => f.write_str("required field is empty"),
            Self::InvalidPersonnummer => f.write_str("invalid personnummer"),
            Self::TooLong => write!(f, "longer than {MAX_TEXT_CHARS} characters"),
            Self::ControlCharacters => f.write_str("contains control characters"),
            Self::UnknownChannel => f.write_str("unknown contact channel"),
            Self::UnknownSource => f.write_str("unknown identification source"),
            Self::DuplicateInFile { first_row } => {
                write!(f, "same person as row {first_row}")
            }
        }
    }
}

/// A rejected row: where and why, never what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Error)]
#[error("row {row_number}, {field}: {reason}")]
pub struct RowReject {
    /// Line number in the file (header = 1).
    pub row_number: usize,
    /// Column concerned.
    pub field: ImportField,
    /// Reason code.
    pub reason: RejectReason,
}

/// An accepted row. `Debug` redacts the personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Line number in the file (header = 1).
    pub row_number: usize,
    /// The personnummer as given (trimmed); the caller normalises and stores it.
    pub personnummer: String,
    /// Birth date returned by the caller's validator.
    pub birth_date: BirthDate,
    /// Name (trimmed).
    pub name: String,
    /// Preferred contact channel, if given.
    pub channel: Option<ContactChannel>,
    /// Contact detail, if given.
    pub contact: Option<String>,
    /// How the person was identified.
    pub source: IdentificationSource,
}

impl fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportRow")
            .field("row_number", &self.row_number)
            .field("personnummer", &"<redacted>")
            .field("birth_date", &"<redacted>")
            .field("name", &"<redacted>")
            .field("channel", &self.channel)
            .field("contact", &self.contact.as_ref().map(|_| "<redacted>"))
            .field("source", &self.source)
            .finish()
    }
}

/// Parses an import file. Each data row becomes `Ok(ImportRow)` or
/// `Err(RowReject)`, in file order; `validate_personnummer` returns the birth
/// date or an error (whose text is discarded, so it can never leak into a reject).
pub fn parse_import<F>(input: &str, validate_personnummer: F) -> Result<Vec<Result<ImportRow, RowReject>>, ImportError>
where
    F: Fn(&str) -> Result<BirthDate, String>,
{
    let records = read_records(input, &HEADER).map_err(|error| match error {
        CsvFileError::Empty => ImportError::Empty,
        CsvFileError::BadHeader => ImportError::BadHeader,
    })?;
    let mut out = Vec::new();
    let mut seen: HashMap<(BirthDate, String), usize> = HashMap::new();
    for record in records {
        let row = record.map_err(row_error).and_then(|record| {
            let row = parse_row(record.line, &record.fields, &validate_personnummer)?;
            let key = (row.birth_date, person_key(&row.personnummer));
            match seen.get(&key) {
                Some(&first_row) => Err(RowReject {
                    row_number: row.row_number,
                    field: ImportField::Personnummer,
                    reason: RejectReason::DuplicateInFile { first_row },
                }),
                None => {
                    seen.insert(key, row.row_number);
                    Ok(row)
                }
            }
        });
        out.push(row);
    }
    Ok(out)
}

fn row_error(error: CsvRowError) -> RowReject {
    let reason = match error {
        CsvRowError::BadQuoting { .. } => RejectReason::BadQuoting,
        CsvRowError::WrongFieldCount { expected, found, .. } => RejectReason::WrongFieldCount { expected, found },
    };
    RowReject { row_number: error.line(), field: ImportField::Row, reason }
}

/// Last four digits (birth number + check digit) — with the birth date, identifies the person.
fn person_key(pnr: &str) -> String {
    let digits: Vec<char> = pnr.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

fn parse_row<F>(row_number: usize, fields: &[String], validate_personnummer: &F) -> Result<ImportRow, RowReject>
where
    F: Fn(&str) -> Result<BirthDate, String>,
{
    let reject = |field, reason| RowReject { row_number, field, reason };
    let pnr = fields[0].trim();
    if pnr.is_empty() {
        return Err(reject(ImportField::Personnummer, RejectReason::Missing));
    }
    let birth_date =
        validate_personnummer(pnr).map_err(|_| reject(ImportField::Personnummer, RejectReason::InvalidPersonnummer))?;
    let name = check_text(fields[1].trim(), true).map_err(|r| reject(ImportField::Name, r))?.unwrap_or_default();
    let channel = match fields[2].trim() {
        "" => None,
        c => Some(ContactChannel::parse(c).ok_or(reject(ImportField::Channel, RejectReason::UnknownChannel))?),
    };
    let contact = check_text(fields[3].trim(), false).map_err(|r| reject(ImportField::Contact, r))?;
    let source = match fields[4].trim() {
        "" => return Err(reject(ImportField::Source, RejectReason::Missing)),
        s => IdentificationSource::parse(s).ok_or(reject(ImportField::Source, RejectReason::UnknownSource))?,
    };
    Ok(ImportRow { row_number, personnummer: pnr.to_owned(), birth_date, name, channel, contact, source })
}

fn check_text(text: &str, required: bool) -> Result<Option<String>, RejectReason> {
    if text.is_empty() {
        return if required { Err(RejectReason::Missing) } else { Ok(None) };
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(RejectReason::TooLong);
    }
    if text.chars().any(char::is_control) {
        return Err(RejectReason::ControlCharacters);
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Test validator: accepts `YYYYMMDD-NNNN`, rejects anything else, and (badly)
    /// echoes its input in the error to prove the module discards it.
    fn validator(p: &str) -> Result<BirthDate, String> {
        let date = p.get(0..8).ok_or_else(|| format!("bad {p}"))?;
        if p.len() != 13 {
            return Err(format!("bad {p}"));
        }
        NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| format!("bad {p}"))
    }

    #[test]
    fn comma_file_with_quotes_and_optional_fields() {
        let file = "\u{feff}personnummer,namn,kanal,kontakt,kalla\r\n\
                    20050101-1234,\"Svensson, Anna\",sms,070-1234567,af\r\n\
                    \r\n\
                    20060202-2345,Bo Ek,,,skola\r\n";
        let rows = parse_import(file, validator).expect("header ok");
        assert_eq!(rows.len(), 2);
        let a = rows[0].as_ref().expect("row 2 ok");
        assert_eq!(a.row_number, 2);
        assert_eq!(a.name, "Svensson, Anna");
        assert_eq!(a.channel, Some(ContactChannel::TextMessage));
        assert_eq!(a.contact.as_deref(), Some("070-1234567"));
        assert_eq!(a.source, IdentificationSource::Arbetsformedlingen);
        assert_eq!(a.birth_date, NaiveDate::from_ymd_opt(2005, 1, 1).expect("date"));
        let b = rows[1].as_ref().expect("row 4 ok");
        assert_eq!(b.row_number, 4);
        assert_eq!((b.channel, b.contact.as_deref()), (None, None));
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("Svensson") && !dbg.contains("1234") && !dbg.contains("070"));
    }

    #[test]
    fn semicolon_file_and_rejects() {
        let file = "Personnummer;Namn;Kanal;Kontakt;Kalla\n\
                    19990101-1111;Anna Secret;telefon;;kaa\n\
                    1999-bad-secret;Anna Secret;;;kaa\n\
                    20050101-2222;;;;kaa\n\
                    20050101-3333;Eva;fax;;kaa\n\
                    20050101-4444;Eva;;;mars\n\
                    20050101-5555;Eva;;;\n\
                    20050101-6666;Eva;;\n\
                    20050101-7777;\"Eva;;;kaa\n\
                    19990101-1111;Anna Secret;;;kaa\n\
                    20050101-8888;Eva\u{7};;;kaa\n";
        let rows = parse_import(file, validator).expect("header ok");
        let rejects: Vec<RowReject> = rows.iter().filter_map(|r| r.clone().err()).collect();
        use ImportField as F;
        use RejectReason as R;
        let got: Vec<_> = rejects.iter().map(|r| (r.row_number, r.field, r.reason)).collect();
        assert_eq!(
            got,
            vec![
                (3, F::Personnummer, R::InvalidPersonnummer),
                (4, F::Name, R::Missing),
                (5, F::Channel, R::UnknownChannel),
                (6, F::Source, R::UnknownSource),
                (7, F::Source, R::Missing),
                (8, F::Row, R::WrongFieldCount { expected: 5, found: 4 }),
                (9, F::Row, R::BadQuoting),
                (10, F::Personnummer, R::DuplicateInFile { first_row: 2 }),
                (11, F::Name, R::ControlCharacters),
            ]
        );
        for r in &rejects {
            let text = format!("{r} {r:?}");
            assert!(!text.contains("Secret") && !text.contains("1999") && !text.contains("mars"));
        }
        assert!(rows[0].is_ok());
    }

    #[test]
    fn header_errors() {
        assert_eq!(parse_import("", validator).err(), Some(ImportError::Empty));
        assert_eq!(parse_import("20050101-1234,Anna,,,af\n", validator).err(), Some(ImportError::BadHeader));
        assert_eq!(parse_import("personnummer,namn,kalla\n", validator).err(), Some(ImportError::BadHeader));
        let rows = parse_import("personnummer,namn,kanal,kontakt,kalla", validator).expect("ok");
        assert!(rows.is_empty());
    }

    #[test]
    fn too_long_name() {
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let file = format!("personnummer,namn,kanal,kontakt,kalla\n20050101-1234,{long},,,af\n");
        let rows = parse_import(&file, validator).expect("ok");
        assert_eq!(rows[0].clone().err().map(|r| r.reason), Some(RejectReason::TooLong));
    }
}
