//! The management report in a real browser: `trappan report` fetches it from a running suite fed with events of
//! all three feeds and the demo's unemployment series, and Debian's Chromium renders it headless with the network
//! disabled. The DOM must hold the headline figures before the five charts, the unemployment comparison and the
//! lists behind the figures; the screenshot must show the charts in their colours; printed to PDF it is one A4
//! page.

use super::support as rapport_support;
use crate::common;
use trappan_platform::testing::Backend;

use std::path::Path;
use std::process::Command;

use common::TestSuite;
use rapport_support::{FED_KOMMUN, Feeder, date, granted, money, month};
use trappan_api::bistand::v1 as bistand;
use trappan_api::common::v1::ExitOutcome;
use trappan_api::rapport::v1 as rapport;
use trappan_api::ungsam::v1 as ungsam;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;
use trappan_rapport::follower::Producer;

const CHROMIUM: &str = "/usr/bin/chromium";

async fn feed(feeder: &mut Feeder) {
    for (year, months) in [(2019, 1..=12), (2020, 1..=8)] {
        for m in months {
            let households = if year == 2019 { 90 + m } else { 80 - 3 * m };
            for h in 0..households {
                feeder
                    .send(
                        Producer::Bistand,
                        granted(&format!("d{year}-{m}-{h}"), &format!("h{h}"), (year, m), 1, h % 2, 500_000),
                    )
                    .await;
            }
            feeder
                .send(
                    Producer::Bistand,
                    bistand::PaymentStatusChangedEvent {
                        payment_id: format!("p{year}-{m}"),
                        decision_id: format!("d{year}-{m}-0"),
                        household_id: "h0".into(),
                        month: month(year, m),
                        amount: money(30_000_000),
                        status: bistand::PaymentStatus::Paid as i32,
                        effective_on: date(year, m, 25),
                    },
                )
                .await;
        }
    }
    for (year, forecast) in [(2019, 520_000_000), (2020, 360_000_000)] {
        feeder
            .send(
                Producer::Bistand,
                bistand::BudgetStatusEvent {
                    year,
                    as_of: month(year, 8),
                    allocated: money(500_000_000),
                    paid_to_date: money(240_000_000),
                    forecast: money(forecast),
                },
            )
            .await;
    }
    let outcomes = [
        ExitOutcome::OrdinaryEmployment,
        ExitOutcome::SubsidisedEmployment,
        ExitOutcome::Studies,
        ExitOutcome::Interrupted,
    ];
    // Exits to work or studies every month of 2020 and, fewer, of 2019, so both years' bars are drawn.
    for (year, base, step) in [(2019, 20, 2), (2020, 24, 4)] {
        for m in 1..=8 {
            for (i, outcome) in outcomes.iter().cycle().take(base + step * usize::try_from(m).unwrap_or(0)).enumerate()
            {
                let id = format!("p{year}-{m}-{i}");
                feeder.exited_participant(&id, date(2018, 9, 1), date(year, m, 10), *outcome, 200).await;
            }
        }
    }
    // Ungsam reached 28 of 40 this year and 10 of 20 in the same months the year before.
    for (year, identified, reached) in [(2019, 20, 10), (2020, 40, 28)] {
        for y in 0..identified {
            let id = format!("y{year}-{y}");
            feeder
                .send(
                    Producer::Ungsam,
                    ungsam::YoungPersonIdentifiedEvent {
                        young_person_id: id.clone(),
                        age: 20,
                        identified_on: date(year, 3, 2),
                        ..Default::default()
                    },
                )
                .await;
            if y < reached {
                feeder
                    .send(
                        Producer::Ungsam,
                        ungsam::ContactRecordedEvent {
                            young_person_id: id,
                            contacted_on: date(year, 3, 9),
                            reached: true,
                            first_reached: true,
                            days_since_identified: 7,
                            channel: "phone".into(),
                        },
                    )
                    .await;
            }
        }
    }
}

fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().expect("profile dir");
    Command::new(CHROMIUM)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--proxy-server=127.0.0.1:9", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// Pixels of `png` within `tolerance` of each colour, per tenth of the page height.
fn colour_bands(png_path: &Path, colours: &[[u8; 3]]) -> Vec<[usize; 10]> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).expect("screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let mut bands = vec![[0usize; 10]; colours.len()];
    for y in 0..height {
        for x in 0..width {
            let at = (y * width + x) * channels;
            let pixel = &buffer[at..at + 3];
            for (i, colour) in colours.iter().enumerate() {
                if pixel.iter().zip(colour).all(|(a, b)| a.abs_diff(*b) <= 12) {
                    bands[i][y * 10 / height] += 1;
                }
            }
        }
    }
    bands
}

async fn the_management_report_renders_its_charts_in_a_headless_browser(backend: Backend) {
    assert!(Path::new(CHROMIUM).exists(), "install Debian's chromium (scripts/test.sh does)");
    let suite = TestSuite::spawn(backend).await;
    let mut feeder = Feeder::new(&suite, FED_KOMMUN).await;
    feed(&mut feeder).await;
    let import = suite
        .rapport(Role::Analytiker, FED_KOMMUN)
        .import_unemployment_statistics(rapport::ImportUnemploymentStatisticsRequest {
            csv: trappan::demo::unemployment::FILE.into(),
        })
        .await
        .expect("the demo's series")
        .into_inner();
    assert!(import.rejects.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("rapport-0765-2020-08.html");
    // Asynchronously: the suite serves rapport on this test's runtime while the command waits for it.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_trappan"))
        .args(["report", "--kommun", FED_KOMMUN, "--month", "2020-08", "--out"])
        .arg(&page)
        .arg("--rapport-url")
        .arg(format!("http://{}", suite.addresses[&ServiceKind::Rapport]))
        .env("TRAPPAN__DATA_DIR", &suite.settings.data_dir)
        .output()
        .await
        .expect("trappan report runs");
    assert!(output.status.success(), "trappan report: {}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(&page).expect("the page was written");
    let from_rpc = suite
        .rapport(Role::Enhetschef, FED_KOMMUN)
        .get_management_report(rapport::GetManagementReportRequest { month: month(2020, 8) })
        .await
        .expect("report")
        .into_inner()
        .html;
    assert_eq!(html, from_rpc, "the command writes what the RPC answers");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    assert!(html.contains("Älmhult"));

    let url = format!("file://{}", page.display());
    let dom = chromium(&["--dump-dom", &url]);
    // Chromium serialises the no-break spaces of Swedish numbers as `&nbsp;`.
    let dom = String::from_utf8_lossy(&dom.stdout).replace("&nbsp;", "\u{a0}");
    for id in [
        "households-current",
        "households-previous",
        "budget-line",
        "paid-cumulative",
        "forecast-line",
        "ungsam-coverage",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "the DOM holds {id}");
    }
    assert!(dom.matches("class=\"bar\"").count() >= 8, "one bar per month of exits to work or studies");
    assert!(dom.matches("class=\"bar previous-bar\"").count() >= 8, "and one per month the year before");
    // The headline figures come first, each against August 2019, then unemployment, then the charts.
    let at = |needle: &str| dom.find(needle).unwrap_or_else(|| panic!("the DOM holds {needle}"));
    assert!(at("id=\"key-figures\"") < at("id=\"unemployment-figures\""));
    assert!(at("id=\"unemployment-figures\"") < at("id=\"chart-households\""));
    assert!(dom.contains("<th>augusti 2020</th><th>augusti 2019</th><th>Förändring</th>"));
    assert!(dom.contains("<tr id=\"kf-budget\"><td>Budget för året</td><td>5\u{a0}000\u{a0}000\u{a0}kr</td>"));
    assert!(dom.contains("<td>Prognos mot budget</td><td>\u{2212}28,0\u{a0}%</td><td>4,0\u{a0}%</td>"));
    for id in [
        "kf-households",
        "kf-children",
        "kf-paid-month",
        "kf-paid-to-date",
        "kf-forecast",
        "kf-exits",
        "kf-ungsam",
        "unemployment-all",
        "unemployment-18-24",
        "unemployment-foreign_born",
        "chart-unemployment-ranking",
        "ranking-own",
        "ungsam-coverage-previous",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "the DOM holds {id}");
    }
    // Älmhult 6,1 % → 7,6 % in the demo's series; the county's municipalities ranked, Markaryd lowest.
    assert!(dom.contains("<td>Alla</td><td>7,6\u{a0}%</td><td>6,1\u{a0}%</td><td>+1,5\u{a0}p.e.</td>"));
    assert!(dom.contains("Älmhult har plats 6 av 8 i Kronobergs län"));
    assert!(dom.contains("illustrativa siffror"), "the report says the figures are illustrative");
    assert!(dom.contains("<td>70,0\u{a0}% (28 av 40)</td><td>50,0\u{a0}% (10 av 20)</td><td>+20,0\u{a0}p.e.</td>"));
    for list in &trappan_rapport::domain::ACTION_LISTS {
        assert!(dom.contains(list.rpc), "the report names {}", list.rpc);
    }

    let shot = std::env::var_os("TRAPPAN_REPORT_SCREENSHOT")
        .map_or_else(|| dir.path().join("report.png"), std::path::PathBuf::from);
    let screenshot = format!("--screenshot={}", shot.display());
    let run = chromium(&[&screenshot, "--window-size=1000,2600", &url]);
    assert!(shot.exists(), "chromium wrote a screenshot: {}", String::from_utf8_lossy(&run.stderr));
    // Current year's line and the bars (#1f5fa8), the year before (#999999), the forecast (#c75000), the
    // budget line and the Ungsam gauge (#2a7d2a).
    let bands = colour_bands(&shot, &[[0x1f, 0x5f, 0xa8], [0x99, 0x99, 0x99], [0xc7, 0x50, 0x00], [0x2a, 0x7d, 0x2a]]);
    let [blue, grey, orange, green] = [&bands[0], &bands[1], &bands[2], &bands[3]];
    assert!(blue.iter().filter(|n| **n > 200).count() >= 2, "blue in the households and the exits charts: {blue:?}");
    assert!(grey.iter().sum::<usize>() > 200, "the year before is drawn: {grey:?}");
    // The dashed forecast is thin beside the charts' other lines: tens of pixels in a chart two to a row.
    assert!(orange.iter().sum::<usize>() > 40, "the forecast is drawn: {orange:?}");
    assert!(green.iter().filter(|n| **n > 200).count() >= 2, "the budget line and the Ungsam gauge: {green:?}");

    // Print to PDF as a manager's browser would: the print stylesheet fits the report on one A4 page.
    let pdf = dir.path().join("report.pdf");
    let print = format!("--print-to-pdf={}", pdf.display());
    let run = chromium(&[&print, "--no-pdf-header-footer", &url]);
    let pdf =
        std::fs::read(&pdf).unwrap_or_else(|_| panic!("chromium printed: {}", String::from_utf8_lossy(&run.stderr)));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 1, "one page");
    // A4 is 595 × 842 points.
    assert!(text.contains("/MediaBox [0 0 594.95996 841.91998]") || text.contains("/MediaBox [0 0 595"), "A4");
    suite.shutdown().await;
}

common::backend_tests!(on_backend: the_management_report_renders_its_charts_in_a_headless_browser);
