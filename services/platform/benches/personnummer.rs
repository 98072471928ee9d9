//! Benchmark of identity-number parsing: every request that names a person parses one, and imports parse
//! tens of thousands.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_main};
use trappan_platform::personnummer::Personnummer;

/// The written forms a case-worker front end or an import file sends.
const FORMS: [(&str, &str); 4] = [
    ("twelve_digits", "198112189876"),
    ("ten_digits_dash", "811218-9876"),
    ("twelve_digits_dash", "19811218-9876"),
    ("samordningsnummer", "198112789873"),
];

fn bench_parse(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    let mut group = c.benchmark_group("personnummer_parse");
    for (name, input) in FORMS {
        group.bench_function(name, |b| b.iter(|| Personnummer::parse_at(black_box(input), today)));
    }
    group
        .bench_function("invalid_check_digit", |b| b.iter(|| Personnummer::parse_at(black_box("198112189875"), today)));
    group.finish();
}

fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_parse(&mut criterion);
}

criterion_main!(benches);
