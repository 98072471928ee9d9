//! The monthly management report: one self-contained HTML page (inline CSS and
//! inline SVG, no scripts, fonts or URLs) that renders offline and can be
//! mailed or archived as it is. Input is plain numbers — no personal data.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::change::{change_basis_points, div_round_half_away};
use super::period::YearMonth;
use super::suppression::Figure;

/// Everything the management report shows. Monthly series run January–December
/// of the report year; `None` means no figure (e.g. a month not yet reached).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementReport {
    /// Municipality code, e.g. `"0767"`.
    pub kommun_code: String,
    /// Municipality name for the heading.
    pub kommun_name: String,
    /// The month reported on.
    pub month: YearMonth,
    /// Suppression threshold used (suppressed figures show as `<threshold`).
    pub suppression_threshold: u64,
    /// Households granted assistance for the month.
    pub households: Figure,
    /// Households granted assistance for the same month a year earlier.
    pub households_year_earlier: Figure,
    /// Children in households granted assistance for the month.
    pub children: Figure,
    /// Children in such households the same month a year earlier.
    pub children_year_earlier: Figure,
    /// Amount paid for the month, öre.
    pub paid_this_month_ore: i64,
    /// The year's allocated budget (*avsatt budget*), öre.
    pub budget_ore: i64,
    /// Paid so far this year, öre.
    pub paid_to_date_ore: i64,
    /// Forecast for the whole year, öre.
    pub forecast_ore: i64,
    /// Granted households per month this year.
    pub households_by_month: [Option<Figure>; 12],
    /// Granted households per month the year before.
    pub households_by_month_year_earlier: [Option<Figure>; 12],
    /// Amount paid per month this year (not cumulative), öre.
    pub paid_by_month_ore: [Option<i64>; 12],
    /// Exits from the labour-market activity to work or studies per month.
    pub exits_work_or_studies_by_month: [Option<Figure>; 12],
    /// Young people identified by Ungsam (to date).
    pub ungsam_identified: Figure,
    /// Of those, reached (contacted or further).
    pub ungsam_reached: Figure,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];

const W: i64 = 640;
const H: i64 = 260;
const LEFT: i64 = 100;
const RIGHT: i64 = 20;
const TOP: i64 = 20;
const BOTTOM: i64 = 40;
const PW: i64 = W - LEFT - RIGHT;
const PH: i64 = H - TOP - BOTTOM;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Groups digits in threes with a no-break space, Swedish style.
fn group_digits(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(ch);
    }
    out
}

/// Öre as whole kronor, e.g. `1 234 568 kr` (rounded half away from zero).
fn kr(ore: i64) -> String {
    let kr = div_round_half_away(i128::from(ore), 100).unwrap_or(0);
    let sign = if kr < 0 { "\u{2212}" } else { "" };
    format!("{sign}{}\u{a0}kr", group_digits(kr.unsigned_abs()))
}

/// Basis points as a Swedish percentage with one decimal, e.g. `−41,8 %`.
fn percent(bp: i64) -> String {
    let tenths = div_round_half_away(i128::from(bp), 10).unwrap_or(0);
    let sign = if tenths < 0 { "\u{2212}" } else { "" };
    let a = tenths.unsigned_abs();
    format!("{sign}{},{}\u{a0}%", group_digits(a / 10), a % 10)
}

fn fig(f: Figure, threshold: u64) -> String {
    match f {
        Figure::Shown(v) => group_digits(u128::from(v)),
        Figure::Suppressed => format!("<{threshold}"),
    }
}

fn change(prev: Figure, now: Figure) -> String {
    match (prev, now) {
        (Figure::Shown(p), Figure::Shown(n)) => match (i64::try_from(p).ok(), i64::try_from(n).ok()) {
            (Some(p), Some(n)) => change_basis_points(p, n).map_or("–".into(), percent),
            _ => "–".into(),
        },
        _ => "–".into(),
    }
}

/// A 1–2–5 step ceiling at or above `v` (at least 1), so axes get round numbers.
fn nice_ceiling(v: i128) -> i128 {
    let mut step: i128 = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= v {
                return step * m;
            }
        }
        step *= 10;
    }
}

fn x_at(i: usize, n: usize) -> i64 {
    let i = i64::try_from(i).unwrap_or(0);
    let n = i64::try_from(n).unwrap_or(1).max(2);
    LEFT + i * PW / (n - 1)
}

fn y_at(v: i128, max: i128) -> i64 {
    let max = max.max(1);
    let v = v.clamp(0, max);
    let off = v * i128::from(PH) / max;
    TOP + PH - i64::try_from(off).unwrap_or(0)
}

fn svg_open(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title\"><title id=\"{id}-title\">{}</title>",
        escape_html(title)
    );
}

/// Axes, a top label and month labels under the plot.
fn axes(out: &mut String, max_label: &str, centred_months: bool) {
    let base = TOP + PH;
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>\
         <line class=\"grid\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{}\" y2=\"{TOP}\"/>\
         <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
         <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
        LEFT + PW,
        LEFT + PW,
        LEFT - 6,
        TOP + 4,
        escape_html(max_label),
        LEFT - 6,
        base + 4,
    );
    for (i, m) in MONTHS.iter().enumerate() {
        let x = if centred_months { bar_centre(i) } else { x_at(i, 12) };
        let _ = write!(out, "<text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{m}</text>", base + 18);
    }
}

/// Path data for a series, breaking the line at gaps.
fn path_data(points: &[Option<i128>], max: i128) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(v) => {
                let _ = write!(d, "{}{} {} ", if pen_down { "L" } else { "M" }, x_at(i, points.len()), y_at(*v, max));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_owned()
}

fn legend(out: &mut String, items: &[(&str, &str)]) {
    let mut x = LEFT + 10;
    for (class, label) in items {
        let _ = write!(
            out,
            "<line class=\"{class}\" x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
            H - 8,
            x + 20,
            H - 8,
            x + 26,
            H - 4,
            escape_html(label)
        );
        x += 34 + i64::try_from(label.chars().count()).unwrap_or(10) * 7;
    }
}

fn figure_value(f: Option<Figure>) -> Option<i128> {
    f.and_then(Figure::shown).map(i128::from)
}

fn households_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(&mut out, "chart-households", "Hushåll med beviljat bistånd per månad");
    let now: Vec<Option<i128>> = r.households_by_month.iter().map(|f| figure_value(*f)).collect();
    let before: Vec<Option<i128>> = r.households_by_month_year_earlier.iter().map(|f| figure_value(*f)).collect();
    let max = nice_ceiling(now.iter().chain(&before).flatten().copied().max().unwrap_or(0));
    axes(&mut out, &group_digits(max.unsigned_abs()), false);
    let _ = write!(
        out,
        "<path class=\"line previous\" id=\"households-previous\" d=\"{}\"/><path class=\"line current\" id=\"households-current\" d=\"{}\"/>",
        path_data(&before, max),
        path_data(&now, max)
    );
    // Suppressed points leave a gap; mark them under the axis line.
    for (i, f) in r.households_by_month.iter().enumerate() {
        if *f == Some(Figure::Suppressed) {
            let _ = write!(
                out,
                "<text class=\"suppressed\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">&lt;{}</text>",
                x_at(i, 12),
                TOP + PH - 4,
                r.suppression_threshold
            );
        }
    }
    let this_year = r.month.year.to_string();
    let last_year = (r.month.year - 1).to_string();
    legend(&mut out, &[("current", &this_year), ("previous", &last_year)]);
    out.push_str("</svg>");
    out
}

fn budget_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(&mut out, "chart-budget", "Utbetalt ackumulerat mot budget, med prognos");
    let mut cumulative: Vec<Option<i128>> = Vec::with_capacity(12);
    let mut sum: i128 = 0;
    let mut open = true;
    for p in r.paid_by_month_ore {
        match (open, p) {
            (true, Some(v)) => {
                sum += i128::from(v);
                cumulative.push(Some(sum));
            }
            _ => {
                open = false;
                cumulative.push(None);
            }
        }
    }
    let last = cumulative.iter().rposition(Option::is_some);
    let budget = i128::from(r.budget_ore);
    let forecast = i128::from(r.forecast_ore);
    let peak = cumulative.iter().flatten().copied().chain([budget, forecast]).max().unwrap_or(0);
    // Axis in whole kronor.
    let max_kr = nice_ceiling(div_round_half_away(peak, 100).unwrap_or(0));
    let max = max_kr * 100;
    axes(&mut out, &format!("{} kr", group_digits(max_kr.unsigned_abs())), false);
    let yb = y_at(budget, max);
    let _ = write!(
        out,
        "<line class=\"budget\" id=\"budget-line\" x1=\"{LEFT}\" y1=\"{yb}\" x2=\"{}\" y2=\"{yb}\"/><path class=\"line current\" id=\"paid-cumulative\" d=\"{}\"/>",
        LEFT + PW,
        path_data(&cumulative, max)
    );
    let (fx, fy) = match last {
        Some(i) => (x_at(i, 12), y_at(cumulative[i].unwrap_or(0), max)),
        None => (LEFT, y_at(0, max)),
    };
    let _ = write!(
        out,
        "<path class=\"line forecast\" id=\"forecast-line\" d=\"M{fx} {fy} L{} {}\"/>",
        x_at(11, 12),
        y_at(forecast, max)
    );
    legend(&mut out, &[("current", "Utbetalt"), ("budget", "Budget"), ("forecast", "Prognos")]);
    out.push_str("</svg>");
    out
}

fn bar_centre(i: usize) -> i64 {
    let i = i64::try_from(i).unwrap_or(0);
    LEFT + (2 * i + 1) * PW / 24
}

fn exits_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(&mut out, "chart-exits", "Avslut till arbete eller studier per månad");
    let max = nice_ceiling(r.exits_work_or_studies_by_month.iter().filter_map(|f| figure_value(*f)).max().unwrap_or(0));
    axes(&mut out, &group_digits(max.unsigned_abs()), true);
    let bar_w = PW / 12 - 10;
    for (i, f) in r.exits_work_or_studies_by_month.iter().enumerate() {
        let cx = bar_centre(i);
        match f {
            Some(Figure::Shown(v)) => {
                let y = y_at(i128::from(*v), max);
                let _ = write!(
                    out,
                    "<rect class=\"bar\" x=\"{}\" y=\"{y}\" width=\"{bar_w}\" height=\"{}\"><title>{} {}</title></rect>",
                    cx - bar_w / 2,
                    TOP + PH - y,
                    MONTHS[i],
                    v
                );
            }
            Some(Figure::Suppressed) => {
                let _ = write!(
                    out,
                    "<text class=\"suppressed\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">&lt;{}</text>",
                    TOP + PH - 4,
                    r.suppression_threshold
                );
            }
            None => {}
        }
    }
    out.push_str("</svg>");
    out
}

fn ungsam_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(&mut out, "chart-ungsam", "Ungsam: nådda av identifierade");
    let t = r.suppression_threshold;
    let share = match (r.ungsam_reached, r.ungsam_identified) {
        (Figure::Shown(reached), Figure::Shown(identified)) if identified > 0 => {
            div_round_half_away(i128::from(reached) * 10_000, i128::from(identified))
                .and_then(|v| i64::try_from(v).ok())
        }
        _ => None,
    };
    let (gx, gy, gh) = (LEFT, TOP + 60, 50);
    let _ = write!(out, "<rect class=\"gauge-bg\" x=\"{gx}\" y=\"{gy}\" width=\"{PW}\" height=\"{gh}\"/>");
    if let Some(bp) = share {
        let fill = PW * bp.clamp(0, 10_000) / 10_000;
        let _ = write!(
            out,
            "<rect class=\"gauge\" id=\"ungsam-coverage\" x=\"{gx}\" y=\"{gy}\" width=\"{fill}\" height=\"{gh}\"/>"
        );
    }
    let text = format!(
        "Nådda {} av {} identifierade ({})",
        fig(r.ungsam_reached, t),
        fig(r.ungsam_identified, t),
        share.map_or("–".into(), percent)
    );
    let _ = write!(out, "<text class=\"gauge-label\" x=\"{gx}\" y=\"{}\">{}</text>", gy + gh + 30, escape_html(&text));
    out.push_str("</svg>");
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1a1a1a;max-width:60rem}\
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem}\
table.key{border-collapse:collapse;min-width:36rem}\
table.key th,table.key td{border-bottom:1px solid #ccc;padding:.35rem .6rem;text-align:right}\
table.key th:first-child,table.key td:first-child{text-align:left}\
svg.chart{width:100%;max-width:640px;height:auto;display:block;background:#fafafa;border:1px solid #ddd}\
.axis{stroke:#333;stroke-width:1}.grid{stroke:#ddd;stroke-width:1}\
.tick,.legend,.suppressed{font-size:11px;fill:#333}.suppressed{fill:#a33}\
.line{fill:none;stroke-width:2.5}.current{stroke:#1f5fa8}.previous{stroke:#999}\
.forecast{stroke:#c75000;stroke-dasharray:6 4}.budget{stroke:#2a7d2a;stroke-width:2}\
line.current,line.previous,line.forecast{stroke-width:3}\
.bar{fill:#1f5fa8}.gauge-bg{fill:#e3e3e3}.gauge{fill:#2a7d2a}.gauge-label{font-size:16px;fill:#1a1a1a}\
p.note{font-size:.85rem;color:#555}";

/// Renders the report as one self-contained HTML page (all text escaped).
pub fn render_management_report(r: &ManagementReport) -> String {
    let t = r.suppression_threshold;
    let title = format!("Ledningsrapport {} {} – {}", r.kommun_code, r.kommun_name, r.month);
    let forecast_vs_budget = change_basis_points(r.budget_ore, r.forecast_ore).map_or("–".into(), percent);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        escape_html(&title)
    );
    let _ = write!(out, "<h1 id=\"report-title\">{}</h1>", escape_html(&title));
    out.push_str("<h2>Nyckeltal</h2><table class=\"key\" id=\"key-figures\"><thead><tr><th>Nyckeltal</th><th>Denna månad</th><th>Samma månad i fjol</th><th>Förändring</th></tr></thead><tbody>");
    let mut row = |label: &str, now: String, before: String, delta: String| {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(label),
            escape_html(&now),
            escape_html(&before),
            escape_html(&delta)
        );
    };
    row(
        "Hushåll med beviljat bistånd",
        fig(r.households, t),
        fig(r.households_year_earlier, t),
        change(r.households_year_earlier, r.households),
    );
    row(
        "Barn i hushåll med bistånd",
        fig(r.children, t),
        fig(r.children_year_earlier, t),
        change(r.children_year_earlier, r.children),
    );
    row("Utbetalt denna månad", kr(r.paid_this_month_ore), String::new(), String::new());
    row("Budget för året", kr(r.budget_ore), String::new(), String::new());
    row("Utbetalt hittills i år", kr(r.paid_to_date_ore), String::new(), String::new());
    row("Prognos för året", kr(r.forecast_ore), String::new(), String::new());
    row("Prognos mot budget", forecast_vs_budget, String::new(), String::new());
    out.push_str("</tbody></table>");
    let _ = write!(
        out,
        "<p class=\"note\">Antal under {t} visas som &lt;{t} för att ingen enskild ska kunna identifieras.</p>"
    );
    out.push_str("<h2>Hushåll per månad</h2>");
    out.push_str(&households_chart(r));
    out.push_str("<h2>Budget och utbetalt</h2>");
    out.push_str(&budget_chart(r));
    out.push_str("<h2>Avslut till arbete eller studier</h2>");
    out.push_str(&exits_chart(r));
    out.push_str("<h2>Ungsam: täckning</h2>");
    out.push_str(&ungsam_chart(r));
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Figure::{Shown, Suppressed};

    fn sample() -> ManagementReport {
        let months = |v: [u64; 12], upto: usize| {
            let mut a = [None; 12];
            for (i, x) in v.iter().enumerate().take(upto) {
                a[i] = Some(Shown(*x));
            }
            a
        };
        let mut exits = months([3, 6, 7, 5, 9, 8, 6, 10, 0, 0, 0, 0], 8);
        exits[0] = Some(Suppressed);
        let mut paid = [None; 12];
        for (i, p) in paid.iter_mut().enumerate().take(8) {
            *p = Some(45_000_000 + i64::try_from(i).unwrap_or(0) * 100_000);
        }
        ManagementReport {
            kommun_code: "0767".into(),
            kommun_name: "Markaryd".into(),
            month: YearMonth { year: 2020, month: 8 },
            suppression_threshold: 5,
            households: Shown(57),
            households_year_earlier: Shown(98),
            children: Shown(61),
            children_year_earlier: Shown(114),
            paid_this_month_ore: 45_700_000,
            budget_ore: 1_000_000_000,
            paid_to_date_ore: 362_800_000,
            forecast_ore: 550_000_000,
            households_by_month: months([90, 88, 85, 80, 75, 70, 62, 57, 0, 0, 0, 0], 8),
            households_by_month_year_earlier: months([100, 101, 99, 98, 97, 99, 100, 98, 97, 96, 95, 94], 12),
            paid_by_month_ore: paid,
            exits_work_or_studies_by_month: exits,
            ungsam_identified: Shown(120),
            ungsam_reached: Shown(96),
        }
    }

    #[test]
    fn self_contained_with_four_charts() {
        let html = render_management_report(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"));
        assert!(!html.contains("url("));
        for id in ["chart-households", "chart-budget", "chart-exits", "chart-ungsam"] {
            assert!(html.contains(&format!("<svg class=\"chart\" id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("Ledningsrapport 0767 Markaryd – 2020-08"));
        // 98 → 57 = −41.8 %; forecast 5.5 Mkr vs budget 10 Mkr = −45.0 %.
        assert!(html.contains("\u{2212}41,8\u{a0}%"));
        assert!(html.contains("\u{2212}45,0\u{a0}%"));
        assert!(html.contains("10\u{a0}000\u{a0}000\u{a0}kr"));
        assert!(html.contains("&lt;5"));
        assert!(html.contains("stroke-dasharray") && html.contains("id=\"forecast-line\""));
        assert!(html.contains("Nådda 96 av 120 identifierade (80,0\u{a0}%)"));
    }

    #[test]
    fn escapes_labels() {
        let mut r = sample();
        r.kommun_name = "<script>alert('x')</script> & \"Co\"".into();
        let html = render_management_report(&r);
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"));
    }

    #[test]
    fn suppressed_key_figures_show_threshold_and_no_change() {
        let mut r = sample();
        r.households = Suppressed;
        r.ungsam_reached = Suppressed;
        let html = render_management_report(&r);
        assert!(html.contains("<td>&lt;5</td><td>98</td><td>–</td>"));
        assert!(!html.contains("id=\"ungsam-coverage\""));
        assert!(html.contains("Nådda &lt;5 av 120 identifierade (–)"));
    }

    #[test]
    fn helpers() {
        assert_eq!(kr(123_456_789), "1\u{a0}234\u{a0}568\u{a0}kr");
        assert_eq!(kr(-50), "\u{2212}1\u{a0}kr");
        assert_eq!(kr(0), "0\u{a0}kr");
        assert_eq!(percent(-4184), "\u{2212}41,8\u{a0}%");
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(98), 100);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(350), 500);
        assert_eq!(path_data(&[Some(0), None, Some(10), Some(5)], 10), "M100 220 M446 20 L620 120");
        assert_eq!(escape_html("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
    }

    #[test]
    fn empty_year_renders() {
        let mut r = sample();
        r.households_by_month = [None; 12];
        r.households_by_month_year_earlier = [None; 12];
        r.paid_by_month_ore = [None; 12];
        r.exits_work_or_studies_by_month = [None; 12];
        r.ungsam_identified = Shown(0);
        r.ungsam_reached = Shown(0);
        r.budget_ore = 0;
        let html = render_management_report(&r);
        assert!(html.contains("id=\"chart-ungsam\""));
        assert!(html.ends_with("</body></html>\n"));
    }
}
