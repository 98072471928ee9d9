//! Reading the CSV files users upload (a partner's list of young people, Arbetsförmedlingen's unemployment
//! figures): one reader, on the `csv` crate, so every import agrees on what a CSV file is.
//!
//! # What is accepted
//! UTF-8 text; a leading byte-order mark is ignored. The first line is the header; the separator is `;` if
//! the header has more semicolons than commas, else `,`. Fields may be quoted with `"`; a quoted field may
//! hold the separator, `""` for a literal quote, and line breaks. Lines end in `\n` or `\r\n`. Blank lines
//! are skipped.
//!
//! # What a caller gets
//! A file-level [`CsvFileError`] when the header is missing or not the expected one (nothing is read), else
//! one verdict per data record in file order: its fields, or a [`CsvRowError`] for a record that cannot be
//! read as a row of the header's width. Each names the physical line the record starts on (the header is
//! line 1, as a spreadsheet shows it), so a user can find it. Errors never carry a value from the file.
//!
//! A quote that is never closed would swallow the rest of the file into one field: such a record is
//! reported as [`CsvRowError::BadQuoting`] and reading resumes on the next line, so the rows after it still
//! get their own verdicts.

use thiserror::Error;

/// A file-level problem; no rows were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CsvFileError {
    /// The file has no header line.
    #[error("the file is empty")]
    Empty,
    /// The first line is not the expected header (its content is not echoed).
    #[error("the first line is not the expected header")]
    BadHeader,
}

/// A record that is not a row of the header's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CsvRowError {
    /// A quote is not closed, or a quote stands inside an unquoted field.
    #[error("line {line}: unbalanced or misplaced quotes")]
    BadQuoting {
        /// The line the record starts on (header = 1).
        line: usize,
    },
    /// The record has more or fewer fields than the header.
    #[error("line {line}: expected {expected} fields, found {found}")]
    WrongFieldCount {
        /// The line the record starts on (header = 1).
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in the record.
        found: usize,
    },
}

impl CsvRowError {
    /// The line the record starts on (header = 1).
    pub fn line(&self) -> usize {
        match self {
            Self::BadQuoting { line } | Self::WrongFieldCount { line, .. } => *line,
        }
    }
}

/// A data record with exactly the header's number of fields (untrimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    /// The line the record starts on (header = 1).
    pub line: usize,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

/// Reads `input`, whose header must be `header` (compared case-insensitively, ignoring surrounding
/// spaces); returns one verdict per data record in file order.
pub fn read_records(input: &str, header: &[&str]) -> Result<Vec<Result<CsvRecord, CsvRowError>>, CsvFileError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let first_line = input.split('\n').next().unwrap_or_default();
    if first_line.trim().is_empty() {
        return Err(CsvFileError::Empty);
    }
    let separator = detect_separator(first_line);
    let lines = LineIndex::new(input);
    let mut records = RawRecords { input, separator, offset: 0, reader: None };

    let names = match records.next() {
        Some(RawRecord::Fields { fields, .. }) => fields,
        _ => return Err(CsvFileError::BadHeader),
    };
    let expected = header.len();
    if names.len() != expected || !names.iter().zip(header).all(|(n, h)| n.trim().eq_ignore_ascii_case(h)) {
        return Err(CsvFileError::BadHeader);
    }

    let mut out = Vec::new();
    for record in records {
        match record {
            RawRecord::Unbalanced { start } => out.push(Err(CsvRowError::BadQuoting { line: lines.line_of(start) })),
            RawRecord::Fields { start, fields } => {
                if fields.len() == 1 && fields[0].trim().is_empty() {
                    continue;
                }
                let line = lines.line_of(start);
                if fields.len() == expected {
                    out.push(Ok(CsvRecord { line, fields }));
                } else {
                    out.push(Err(CsvRowError::WrongFieldCount { line, expected, found: fields.len() }));
                }
            }
        }
    }
    Ok(out)
}

/// `;` if the header line has more semicolons than commas, else `,`.
fn detect_separator(header: &str) -> u8 {
    let semicolons = header.matches(';').count();
    let commas = header.matches(',').count();
    if semicolons > commas { b';' } else { b',' }
}

/// One record as the `csv` crate read it, located by the byte offset it starts at.
enum RawRecord {
    Fields { start: usize, fields: Vec<String> },
    Unbalanced { start: usize },
}

/// The records of the input; restarts the `csv` reader on the line after a record with an unclosed quote.
struct RawRecords<'a> {
    input: &'a str,
    separator: u8,
    /// Where the current reader started in `input`.
    offset: usize,
    reader: Option<csv::Reader<&'a [u8]>>,
}

impl Iterator for RawRecords<'_> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        let offset = self.offset;
        let input = self.input;
        let separator = self.separator;
        let reader = self.reader.get_or_insert_with(|| {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(separator)
                .from_reader(&input.as_bytes()[offset..])
        });
        let mut record = csv::StringRecord::new();
        // On `&str` input the reader's only possible errors are malformed records; treat them like an
        // unclosed quote and resume on the next line.
        let read = reader.read_record(&mut record);
        let start = offset + record.position().map_or(0, |p| to_usize(p.byte()));
        let start = start + input[start..].len() - input[start..].trim_start_matches(['\r', '\n']).len();
        let end = offset + to_usize(reader.position().byte());
        match read {
            Ok(false) => None,
            Ok(true) => {
                let raw = input.get(start..end).unwrap_or_default();
                let quotes = raw.bytes().filter(|b| *b == b'"').count();
                if quotes % 2 == 0 {
                    return Some(RawRecord::Fields { start, fields: record.iter().map(str::to_owned).collect() });
                }
                if end >= input.len() {
                    self.resume_after_line_of(start);
                }
                Some(RawRecord::Unbalanced { start })
            }
            Err(_) => {
                self.resume_after_line_of(start);
                Some(RawRecord::Unbalanced { start })
            }
        }
    }
}

impl RawRecords<'_> {
    /// Restarts reading on the line after the one `start` is on (or ends reading at the last line).
    fn resume_after_line_of(&mut self, start: usize) {
        self.offset = match self.input[start..].find('\n') {
            Some(newline) => start + newline + 1,
            None => self.input.len(),
        };
        self.reader = None;
    }
}

fn to_usize(byte: u64) -> usize {
    usize::try_from(byte).unwrap_or(usize::MAX)
}

/// Line numbers (1-based) of byte offsets.
struct LineIndex {
    /// Byte offsets where lines 2, 3, … start.
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(input: &str) -> LineIndex {
        LineIndex { starts: input.match_indices('\n').map(|(i, _)| i + 1).collect() }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 3] = ["id", "name", "note"];

    fn read(input: &str) -> Vec<Result<CsvRecord, CsvRowError>> {
        read_records(input, &HEADER).expect("the header is right")
    }

    fn row(line: usize, fields: &[&str]) -> Result<CsvRecord, CsvRowError> {
        Ok(CsvRecord { line, fields: fields.iter().map(|f| f.to_string()).collect() })
    }

    #[test]
    fn a_quoted_field_may_hold_the_separator_and_an_escaped_quote() {
        let got = read("id,name,note\n1,\"Svensson, Anna\",\"said \"\"hej\"\"\"\n2,Bo,\n");
        assert_eq!(got, vec![row(2, &["1", "Svensson, Anna", "said \"hej\""]), row(3, &["2", "Bo", ""])]);
    }

    #[test]
    fn a_quoted_field_may_span_lines_and_later_rows_keep_their_line_numbers() {
        let got = read("id;name;note\r\n1;Anna;\"first line\r\nsecond line\"\r\n2;Bo;x\r\n");
        assert_eq!(got, vec![row(2, &["1", "Anna", "first line\r\nsecond line"]), row(4, &["2", "Bo", "x"])]);
    }

    #[test]
    fn a_ragged_row_is_an_error_naming_its_line() {
        let got = read("id,name,note\n1,Anna,x\n2,Bo\n3,Eva,y,z\n");
        let expected_short = CsvRowError::WrongFieldCount { line: 3, expected: 3, found: 2 };
        assert_eq!(got[1], Err(expected_short));
        assert_eq!(expected_short.to_string(), "line 3: expected 3 fields, found 2");
        assert_eq!(got[2], Err(CsvRowError::WrongFieldCount { line: 4, expected: 3, found: 4 }));
        assert_eq!(got[0], row(2, &["1", "Anna", "x"]));
    }

    #[test]
    fn a_byte_order_mark_and_blank_lines_are_ignored() {
        let got = read("\u{feff}ID, Name ,NOTE\n\n1,Anna,x\n   \n2,Bo,y");
        assert_eq!(got, vec![row(3, &["1", "Anna", "x"]), row(5, &["2", "Bo", "y"])]);
    }

    #[test]
    fn an_unclosed_quote_is_reported_and_the_rows_after_it_still_read() {
        let got = read("id,name,note\n1,\"Anna,x\n2,Bo,y\n3,Eva,z\n");
        assert_eq!(
            got,
            vec![Err(CsvRowError::BadQuoting { line: 2 }), row(3, &["2", "Bo", "y"]), row(4, &["3", "Eva", "z"])]
        );
        // A lone quote inside an unquoted field.
        let got = read("id,name,note\n1,An\"na,x\n2,Bo,y\n");
        assert_eq!(got, vec![Err(CsvRowError::BadQuoting { line: 2 }), row(3, &["2", "Bo", "y"])]);
        // An unclosed quote on the last line.
        assert_eq!(read("id,name,note\n1,\"Anna,x"), vec![Err(CsvRowError::BadQuoting { line: 2 })]);
    }

    #[test]
    fn the_header_is_checked() {
        assert_eq!(read_records("", &HEADER), Err(CsvFileError::Empty));
        assert_eq!(read_records("\u{feff}\n1,2,3\n", &HEADER), Err(CsvFileError::Empty));
        assert_eq!(read_records("id,name\n", &HEADER), Err(CsvFileError::BadHeader));
        assert_eq!(read_records("id,nom,note\n", &HEADER), Err(CsvFileError::BadHeader));
        assert_eq!(read_records("\"id,name,note\n", &HEADER), Err(CsvFileError::BadHeader));
        assert_eq!(read_records("id;name;note", &HEADER), Ok(vec![]));
    }
}
