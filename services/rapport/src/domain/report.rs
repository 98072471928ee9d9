//! The monthly management report: one self-contained HTML page (inline CSS and
//! inline SVG, no scripts, fonts or URLs) that renders offline and can be
//! mailed or archived as it is, and prints on one A4 page. Input is plain
//! numbers — no personal data.

use std::fmt::Write as _;

use super::change::{change_basis_points, div_round_half_away};
use super::period::YearMonth;
use super::suppression::Figure;
use super::unemployment::UnemploymentGroup;
use trappan_platform::auth::Role;

/// Everything the management report shows. Monthly series run January–December
/// of the report year; `None` means no figure (e.g. a month not yet reached).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Amount paid for the same month a year earlier, öre.
    pub paid_this_month_year_earlier_ore: i64,
    /// This year: the allocated budget (*avsatt budget*), paid so far and the forecast.
    pub budget: BudgetPosition,
    /// The year before: budget, paid to the same month and the forecast as it stood then.
    pub budget_year_earlier: BudgetPosition,
    /// Granted households per month this year.
    pub households_by_month: [Option<Figure>; 12],
    /// Granted households per month the year before.
    pub households_by_month_year_earlier: [Option<Figure>; 12],
    /// Amount paid per month this year (not cumulative), öre.
    pub paid_by_month_ore: [Option<i64>; 12],
    /// Exits from the labour-market activity to work or studies in the month.
    pub exits_work_or_studies: Figure,
    /// The same a year earlier.
    pub exits_work_or_studies_year_earlier: Figure,
    /// Exits to work or studies per month this year.
    pub exits_work_or_studies_by_month: [Option<Figure>; 12],
    /// Exits to work or studies per month the year before.
    pub exits_work_or_studies_by_month_year_earlier: [Option<Figure>; 12],
    /// Ungsam's coverage from January to the month.
    pub ungsam: Coverage,
    /// The same part of the year before.
    pub ungsam_year_earlier: Coverage,
    /// Unemployment beside the county and the nation, and the county's municipalities ranked.
    pub unemployment: UnemploymentSection,
}

/// A budget year's position at one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetPosition {
    /// Allocated budget, öre; 0 when none is known.
    pub budget_ore: i64,
    /// Paid from January to the month, öre.
    pub paid_to_date_ore: i64,
    /// Forecast for the whole year as it stood at the month, öre.
    pub forecast_ore: i64,
}

/// Ungsam: young people identified and, of those, reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Identified in the period.
    pub identified: Figure,
    /// Of those, reached by its end.
    pub reached: Figure,
}

/// One region's share of the labour force in the month and a year earlier, basis points (8,9 % = 890).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegionShares {
    /// The month.
    pub now_bp: Option<u32>,
    /// The same month a year earlier.
    pub year_earlier_bp: Option<u32>,
}

/// One population group's unemployment in the municipality, its county and the nation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUnemployment {
    /// The group.
    pub group: UnemploymentGroup,
    /// The series the three are compared in (never mixed).
    pub series: String,
    /// The municipality.
    pub municipality: RegionShares,
    /// Its county.
    pub county: RegionShares,
    /// The nation.
    pub nation: RegionShares,
}

/// A municipality's place in its county's ranking by change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedKommun {
    /// Name, or the code when the name is not known.
    pub name: String,
    /// Change of the share against a year earlier, basis points of the labour force.
    pub change_bp: Option<i64>,
    /// 1 = the lowest change; `None` without a change.
    pub rank: Option<u32>,
    /// Whether it is the report's municipality.
    pub own: bool,
}

/// The unemployment part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnemploymentSection {
    /// The county's name, e.g. `Kronobergs län`.
    pub county_name: String,
    /// All, 18–24 and foreign-born, in that order.
    pub groups: Vec<GroupUnemployment>,
    /// The county's municipalities by change of the share for all, lowest first.
    pub ranking: Vec<RankedKommun>,
}

/// A list behind the report's figures, for those whose role may call it: where a manager goes from a figure to
/// the people it counts. The report names the RPCs (gRPC has no links); the services check role and unit and
/// audit every read, so naming them reveals nothing.
pub struct ActionList {
    /// What the list holds.
    pub label: &'static str,
    /// The fully qualified method.
    pub rpc: &'static str,
    /// The request that selects the list, as JSON (grpcurl's `-d`).
    pub request: &'static str,
    /// The roles the method's policy admits (checked against the policies in the test suite).
    pub roles: &'static [Role],
}

/// The lists the report points to, in the order of its figures.
pub const ACTION_LISTS: [ActionList; 3] = [
    ActionList {
        label: "Uppföljningar som passerat sitt datum (deltagare, även hushåll remitterade från ekonomiskt bistånd)",
        rpc: "trappan.insatser.v1.InsatserService/ListFollowUps",
        request: "{\"only_overdue\": true}",
        roles: &[Role::Arbetsmarknadskoordinator, Role::Enhetschef],
    },
    ActionList {
        label: "Aktiva deltagare utan planering",
        rpc: "trappan.insatser.v1.InsatserService/ListParticipants",
        request: "{\"status\": \"PARTICIPANT_STATUS_ACTIVE\", \"without_plan\": true}",
        roles: &[Role::Arbetsmarknadskoordinator, Role::Enhetschef],
    },
    ActionList {
        label: "Unga som ännu inte nåtts",
        rpc: "trappan.ungsam.v1.UngsamService/ListYoungPeople",
        request: "{\"not_yet_contacted\": true}",
        roles: &[Role::Ungdomscoach, Role::Enhetschef],
    },
];

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
    let budget = i128::from(r.budget.budget_ore);
    let forecast = i128::from(r.budget.forecast_ore);
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
    svg_open(&mut out, "chart-exits", "Avslut till arbete eller studier per månad, i år och i fjol");
    let values = r
        .exits_work_or_studies_by_month
        .iter()
        .chain(&r.exits_work_or_studies_by_month_year_earlier)
        .filter_map(|f| figure_value(*f));
    let max = nice_ceiling(values.max().unwrap_or(0));
    axes(&mut out, &group_digits(max.unsigned_abs()), true);
    // Each month: last year's bar on the left, this year's on the right.
    let bar_w = (PW / 12 - 8) / 2;
    for (i, (now, before)) in
        r.exits_work_or_studies_by_month.iter().zip(&r.exits_work_or_studies_by_month_year_earlier).enumerate()
    {
        let cx = bar_centre(i);
        for (figure, class, x) in [(before, "bar previous-bar", cx - bar_w), (now, "bar", cx)] {
            match figure {
                Some(Figure::Shown(v)) => {
                    let y = y_at(i128::from(*v), max);
                    let _ = write!(
                        out,
                        "<rect class=\"{class}\" x=\"{x}\" y=\"{y}\" width=\"{bar_w}\" height=\"{}\"><title>{} {}</title></rect>",
                        TOP + PH - y,
                        MONTHS[i],
                        v
                    );
                }
                Some(Figure::Suppressed) => {
                    let _ = write!(
                        out,
                        "<text class=\"suppressed\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">&lt;{}</text>",
                        x + bar_w / 2,
                        TOP + PH - 4,
                        r.suppression_threshold
                    );
                }
                None => {}
            }
        }
    }
    let this_year = r.month.year.to_string();
    let last_year = (r.month.year - 1).to_string();
    legend(&mut out, &[("bar-key", &this_year), ("previous-bar-key", &last_year)]);
    out.push_str("</svg>");
    out
}

/// Coverage in basis points, when both counts are shown.
fn coverage_bp(c: Coverage) -> Option<i64> {
    match (c.reached, c.identified) {
        (Figure::Shown(reached), Figure::Shown(identified)) if identified > 0 => {
            div_round_half_away(i128::from(reached) * 10_000, i128::from(identified))
                .and_then(|v| i64::try_from(v).ok())
        }
        _ => None,
    }
}

fn coverage_text(c: Coverage, threshold: u64) -> String {
    format!(
        "{} ({} av {})",
        coverage_bp(c).map_or("–".into(), percent),
        fig(c.reached, threshold),
        fig(c.identified, threshold)
    )
}

fn ungsam_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(&mut out, "chart-ungsam", "Ungsam: nådda av identifierade hittills i år, mot samma period i fjol");
    let t = r.suppression_threshold;
    let gauges = [
        (r.ungsam, "ungsam-coverage", "gauge", r.month.year),
        (r.ungsam_year_earlier, "ungsam-coverage-previous", "gauge previous-gauge", r.month.year - 1),
    ];
    for (row, (coverage, id, class, year)) in gauges.into_iter().enumerate() {
        let (gx, gh) = (LEFT, 44);
        let gy = TOP + 20 + i64::try_from(row).unwrap_or(0) * 100;
        let _ = write!(out, "<rect class=\"gauge-bg\" x=\"{gx}\" y=\"{gy}\" width=\"{PW}\" height=\"{gh}\"/>");
        if let Some(bp) = coverage_bp(coverage) {
            let fill = PW * bp.clamp(0, 10_000) / 10_000;
            let _ = write!(
                out,
                "<rect class=\"{class}\" id=\"{id}\" x=\"{gx}\" y=\"{gy}\" width=\"{fill}\" height=\"{gh}\"/>"
            );
        }
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{year}</text><text class=\"gauge-label\" x=\"{gx}\" y=\"{}\">{}</text>",
            LEFT - 6,
            gy + gh / 2 + 4,
            gy + gh + 22,
            escape_html(&format!("Nådda {}", coverage_text(coverage, t)))
        );
    }
    out.push_str("</svg>");
    out
}

/// The county's municipalities as horizontal bars of their change in percentage points, lowest change on top,
/// the report's municipality in the current year's colour.
fn ranking_chart(r: &ManagementReport) -> String {
    let mut out = String::new();
    svg_open(
        &mut out,
        "chart-unemployment-ranking",
        &format!("Arbetslöshet, alla: förändring mot i fjol i {}", r.unemployment.county_name),
    );
    let ranking = &r.unemployment.ranking;
    let largest = ranking.iter().filter_map(|k| k.change_bp).map(i64::abs).max().unwrap_or(0).max(1);
    let scale = nice_ceiling(i128::from(largest));
    // The zero line sits in the middle when some fell, at the left when none did.
    let any_fell = ranking.iter().any(|k| k.change_bp.is_some_and(|c| c < 0));
    let (zero, half) = if any_fell { (LEFT + PW / 2, PW / 2) } else { (LEFT, PW - 60) };
    let row_h = PH / i64::try_from(ranking.len().max(8)).unwrap_or(8);
    let _ = write!(out, "<line class=\"axis\" x1=\"{zero}\" y1=\"{TOP}\" x2=\"{zero}\" y2=\"{}\"/>", TOP + PH);
    for (i, k) in ranking.iter().enumerate() {
        let y = TOP + i64::try_from(i).unwrap_or(0) * row_h;
        let class = if k.own { "bar own" } else { "bar other" };
        let id = if k.own { " id=\"ranking-own\"" } else { "" };
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LEFT - 6,
            y + row_h / 2 + 4,
            escape_html(&k.name)
        );
        let Some(change) = k.change_bp else {
            let _ = write!(out, "<text class=\"tick\" x=\"{}\" y=\"{}\">–</text>", zero + 4, y + row_h / 2 + 4);
            continue;
        };
        let length = i64::try_from(i128::from(change.abs()) * i128::from(half) / scale).unwrap_or(0);
        let x = if change < 0 { zero - length } else { zero };
        let _ = write!(
            out,
            "<rect class=\"{class}\"{id} x=\"{x}\" y=\"{}\" width=\"{length}\" height=\"{}\"><title>{}</title></rect>\
             <text class=\"tick\" x=\"{}\" y=\"{}\">{}</text>",
            y + 3,
            row_h - 6,
            escape_html(&k.name),
            if change < 0 { zero + 4 } else { x + length + 4 },
            y + row_h / 2 + 4,
            escape_html(&points(change))
        );
    }
    out.push_str("</svg>");
    out
}

/// A difference in basis points (100 = one percentage point) as signed percentage points, e.g. `+0,1 p.e.`.
fn points(bp: i64) -> String {
    let tenths = div_round_half_away(i128::from(bp), 10).unwrap_or(0);
    let sign = match tenths.signum() {
        1 => "+",
        -1 => "\u{2212}",
        _ => "\u{b1}",
    };
    let a = tenths.unsigned_abs();
    format!("{sign}{},{}\u{a0}p.e.", a / 10, a % 10)
}

fn share_text(bp: Option<u32>) -> String {
    bp.map_or("–".into(), |bp| percent(i64::from(bp)))
}

fn share_change(s: RegionShares) -> String {
    match (s.now_bp, s.year_earlier_bp) {
        (Some(now), Some(before)) => points(i64::from(now) - i64::from(before)),
        _ => "–".into(),
    }
}

fn money_change(before: i64, now: i64) -> String {
    change_basis_points(before, now).map_or("–".into(), percent)
}

fn group_label(group: UnemploymentGroup) -> &'static str {
    match group {
        UnemploymentGroup::All => "Alla",
        UnemploymentGroup::Age18To24 => "Unga 18–24 år",
        UnemploymentGroup::ForeignBorn => "Utrikes födda",
    }
}

const MONTH_NAMES: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

fn month_name(m: YearMonth) -> String {
    format!("{} {}", MONTH_NAMES[(m.month.clamp(1, 12) - 1) as usize], m.year)
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem;color:#1a1a1a;max-width:62rem;font-size:15px}\
h1{font-size:1.5rem;margin:0}p.sub{margin:.2rem 0 1rem;color:#555}\
h2{font-size:1.1rem;margin:1.2rem 0 .4rem}h3{font-size:.9rem;margin:0 0 .2rem;font-weight:600}\
table{border-collapse:collapse;width:100%}\
th,td{border-bottom:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:bottom}\
th:first-child,td:first-child{text-align:left}thead th{font-weight:600;font-size:.85rem}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:.8rem 1.2rem;margin-top:1rem}\
figure{margin:0;break-inside:avoid}\
svg.chart{width:100%;height:auto;display:block;background:#fafafa;border:1px solid #ddd}\
.axis{stroke:#333;stroke-width:1}.grid{stroke:#ddd;stroke-width:1}\
.tick,.legend,.suppressed{font-size:13px;fill:#333}.suppressed{fill:#a33}\
.line{fill:none;stroke-width:2.5}.current{stroke:#1f5fa8}.previous{stroke:#999}\
.forecast{stroke:#c75000;stroke-dasharray:6 4}.budget{stroke:#2a7d2a;stroke-width:2}\
line.current,line.previous,line.forecast{stroke-width:3}\
.bar{fill:#1f5fa8}.previous-bar{fill:#999}.other{fill:#999}.own{fill:#1f5fa8}\
line.bar-key{stroke:#1f5fa8;stroke-width:8}line.previous-bar-key{stroke:#999;stroke-width:8}\
.gauge-bg{fill:#e3e3e3}.gauge{fill:#2a7d2a}.previous-gauge{fill:#999}.gauge-label{font-size:16px;fill:#1a1a1a}\
ul.actions{padding-left:1.1rem;margin:.2rem 0}ul.actions li{margin:.15rem 0}code{font-size:.85em}\
p.note{font-size:.8rem;color:#555;margin:.3rem 0}\
@page{size:A4;margin:10mm 12mm}\
@media print{body{margin:0;max-width:none;font-size:8pt}h1{font-size:13pt}p.sub{margin:0 0 2mm}\
h2{font-size:9.5pt;margin:2.5mm 0 1mm}h3{font-size:8pt}th,td{padding:.3mm 1.5mm}thead th{font-size:7.5pt}\
.charts{grid-template-columns:1fr 1fr 1fr;gap:2mm 4mm;margin-top:2mm}svg.chart{border-color:#bbb}\
p.note{font-size:6.5pt;margin:.6mm 0}ul.actions li{margin:0}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// Renders the report as one self-contained HTML page (all text escaped): the month's key figures first, each
/// against the same month a year earlier, then unemployment beside the county and the nation, the charts, and the
/// lists behind the figures. On paper it is one A4 page.
pub fn render_management_report(r: &ManagementReport) -> String {
    let t = r.suppression_threshold;
    let now_label = month_name(r.month);
    let before_label = r.month.year_earlier().map_or_else(String::new, month_name);
    let title = format!("Ledningsrapport {} {} – {}", r.kommun_code, r.kommun_name, now_label);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        escape_html(&title)
    );
    let _ = write!(
        out,
        "<h1 id=\"report-title\">{}</h1><p class=\"sub\">Arbetsmarknad och ekonomiskt bistånd · jämfört med {}</p>",
        escape_html(&title),
        escape_html(&before_label)
    );
    let _ = write!(
        out,
        "<section id=\"headline\"><h2>Månadens nyckeltal</h2><table class=\"key\" id=\"key-figures\"><thead><tr><th>Nyckeltal</th><th>{}</th><th>{}</th><th>Förändring</th></tr></thead><tbody>",
        escape_html(&now_label),
        escape_html(&before_label)
    );
    let mut row = |id: &str, label: &str, now: String, before: String, delta: String| {
        let _ = write!(
            out,
            "<tr id=\"{id}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(label),
            escape_html(&now),
            escape_html(&before),
            escape_html(&delta)
        );
    };
    let previous = r.budget_year_earlier;
    let vs_budget = |p: BudgetPosition| change_basis_points(p.budget_ore, p.forecast_ore);
    let (vs_now, vs_before) = (vs_budget(r.budget), vs_budget(previous));
    row(
        "kf-households",
        "Hushåll med beviljat bistånd",
        fig(r.households, t),
        fig(r.households_year_earlier, t),
        change(r.households_year_earlier, r.households),
    );
    row(
        "kf-children",
        "Barn i hushåll med bistånd",
        fig(r.children, t),
        fig(r.children_year_earlier, t),
        change(r.children_year_earlier, r.children),
    );
    for (id, label, now, year_earlier) in [
        ("kf-paid-month", "Utbetalt för månaden", r.paid_this_month_ore, r.paid_this_month_year_earlier_ore),
        ("kf-paid-to-date", "Utbetalt hittills i år", r.budget.paid_to_date_ore, previous.paid_to_date_ore),
        ("kf-budget", "Budget för året", r.budget.budget_ore, previous.budget_ore),
        ("kf-forecast", "Prognos för året", r.budget.forecast_ore, previous.forecast_ore),
    ] {
        row(id, label, kr(now), kr(year_earlier), money_change(year_earlier, now));
    }
    row(
        "kf-forecast-vs-budget",
        "Prognos mot budget",
        vs_now.map_or("–".into(), percent),
        vs_before.map_or("–".into(), percent),
        vs_now.zip(vs_before).map_or("–".into(), |(a, b)| points(a - b)),
    );
    row(
        "kf-exits",
        "Avslut till arbete eller studier under månaden",
        fig(r.exits_work_or_studies, t),
        fig(r.exits_work_or_studies_year_earlier, t),
        change(r.exits_work_or_studies_year_earlier, r.exits_work_or_studies),
    );
    row(
        "kf-ungsam",
        "Ungsam: nådda av identifierade i år till och med månaden",
        coverage_text(r.ungsam, t),
        coverage_text(r.ungsam_year_earlier, t),
        coverage_bp(r.ungsam).zip(coverage_bp(r.ungsam_year_earlier)).map_or("–".into(), |(a, b)| points(a - b)),
    );
    out.push_str("</tbody></table></section>");

    let u = &r.unemployment;
    let _ = write!(
        out,
        "<section id=\"unemployment\"><h2>Arbetslöshet jämfört med länet och riket</h2><table id=\"unemployment-figures\"><thead><tr><th>Andel av arbetskraften</th><th>{} {}</th><th>{}</th><th>Förändring</th><th>{} {}</th><th>Förändring</th><th>Riket {}</th><th>Förändring</th></tr></thead><tbody>",
        escape_html(&r.kommun_name),
        escape_html(&now_label),
        escape_html(&before_label),
        escape_html(&u.county_name),
        escape_html(&now_label),
        escape_html(&now_label)
    );
    for g in &u.groups {
        let _ = write!(
            out,
            "<tr id=\"unemployment-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            g.group.code(),
            group_label(g.group),
            escape_html(&share_text(g.municipality.now_bp)),
            escape_html(&share_text(g.municipality.year_earlier_bp)),
            escape_html(&share_change(g.municipality)),
            escape_html(&share_text(g.county.now_bp)),
            escape_html(&share_change(g.county)),
            escape_html(&share_text(g.nation.now_bp)),
            escape_html(&share_change(g.nation)),
        );
    }
    out.push_str("</tbody></table>");
    let own = u.ranking.iter().find(|k| k.own);
    if let Some(rank) = own.and_then(|k| k.rank) {
        let _ = write!(
            out,
            "<p class=\"note\" id=\"unemployment-rank\">{} har plats {rank} av {} i {} (lägst förändring först).</p>",
            escape_html(&r.kommun_name),
            u.ranking.iter().filter(|k| k.rank.is_some()).count(),
            escape_html(&u.county_name)
        );
    }
    // Name every series compared, so figures labelled illustrative in their source say so here too.
    let mut series: Vec<&str> = u.groups.iter().map(|g| g.series.as_str()).filter(|s| !s.is_empty()).collect();
    series.dedup();
    let _ = write!(
        out,
        "<p class=\"note\" id=\"unemployment-series\">Inskrivna arbetslösa i procent av arbetskraften (Arbetsförmedlingen), förändring i procentenheter mot samma månad i fjol. Serie: {}.</p></section>",
        if series.is_empty() { "ingen importerad".to_string() } else { escape_html(&series.join("; ")) }
    );

    out.push_str("<section class=\"charts\">");
    for (heading, chart) in [
        ("Hushåll per månad", households_chart(r)),
        ("Budget och utbetalt", budget_chart(r)),
        ("Avslut till arbete eller studier", exits_chart(r)),
        ("Arbetslöshet i länet", ranking_chart(r)),
        ("Ungsam: täckning", ungsam_chart(r)),
    ] {
        let _ = write!(out, "<figure><h3>{heading}</h3>{chart}</figure>");
    }
    out.push_str("</section>");

    out.push_str("<section id=\"actions\"><h2>Från siffra till åtgärd</h2><p class=\"note\">Listorna bakom siffrorna, för den vars roll får se dem (anropen kontrollerar roll och kommun och loggas):</p><ul class=\"actions\">");
    for list in &ACTION_LISTS {
        let _ = write!(
            out,
            "<li>{}: <code>{}</code> <code>{}</code> ({})</li>",
            escape_html(list.label),
            escape_html(list.rpc),
            escape_html(list.request),
            escape_html(&list.roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "))
        );
    }
    out.push_str("</ul></section>");
    let _ = write!(
        out,
        "<p class=\"note\">Antal under {t} visas som &lt;{t} för att ingen enskild ska kunna identifieras. Siffrorna bygger på pseudonyma uppgifter.</p>"
    );
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Figure::{Shown, Suppressed};

    fn months(v: [u64; 12], upto: usize) -> [Option<Figure>; 12] {
        let mut a = [None; 12];
        for (i, x) in v.iter().enumerate().take(upto) {
            a[i] = Some(Shown(*x));
        }
        a
    }

    fn shares(now: u32, before: u32) -> RegionShares {
        RegionShares { now_bp: Some(now), year_earlier_bp: Some(before) }
    }

    fn sample() -> ManagementReport {
        let mut exits = months([3, 6, 7, 5, 9, 8, 6, 10, 0, 0, 0, 0], 8);
        exits[0] = Some(Suppressed);
        let mut paid = [None; 12];
        for (i, p) in paid.iter_mut().enumerate().take(8) {
            *p = Some(45_000_000 + i64::try_from(i).unwrap_or(0) * 100_000);
        }
        let group = |group, series: &str, own: (u32, u32)| GroupUnemployment {
            group,
            series: series.into(),
            municipality: shares(own.0, own.1),
            county: shares(850, 700),
            nation: shares(870, 700),
        };
        let ranked = |name: &str, change: Option<i64>, rank: Option<u32>| RankedKommun {
            name: name.into(),
            change_bp: change,
            rank,
            own: name == "Markaryd",
        };
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
            paid_this_month_year_earlier_ore: 91_400_000,
            budget: BudgetPosition {
                budget_ore: 1_000_000_000,
                paid_to_date_ore: 362_800_000,
                forecast_ore: 550_000_000,
            },
            budget_year_earlier: BudgetPosition {
                budget_ore: 1_000_000_000,
                paid_to_date_ore: 700_000_000,
                forecast_ore: 1_050_000_000,
            },
            households_by_month: months([90, 88, 85, 80, 75, 70, 62, 57, 0, 0, 0, 0], 8),
            households_by_month_year_earlier: months([100, 101, 99, 98, 97, 99, 100, 98, 97, 96, 95, 94], 12),
            paid_by_month_ore: paid,
            exits_work_or_studies: Shown(10),
            exits_work_or_studies_year_earlier: Shown(6),
            exits_work_or_studies_by_month: exits,
            exits_work_or_studies_by_month_year_earlier: months([2, 3, 2, 4, 3, 2, 1, 4, 3, 2, 3, 2], 12),
            ungsam: Coverage { identified: Shown(120), reached: Shown(96) },
            ungsam_year_earlier: Coverage { identified: Shown(100), reached: Shown(50) },
            unemployment: UnemploymentSection {
                county_name: "Kronobergs län".into(),
                groups: vec![
                    group(UnemploymentGroup::All, "16-64 illustrativ", (900, 890)),
                    group(UnemploymentGroup::Age18To24, "16-64 illustrativ", (1220, 1160)),
                    group(UnemploymentGroup::ForeignBorn, "16-64 illustrativ", (2270, 2380)),
                ],
                ranking: vec![
                    ranked("Markaryd", Some(10), Some(1)),
                    ranked("Ljungby", Some(120), Some(2)),
                    ranked("Växjö", Some(190), Some(3)),
                    ranked("Lessebo", None, None),
                ],
            },
        }
    }

    #[test]
    fn self_contained_with_five_charts() {
        let html = render_management_report(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"));
        assert!(!html.contains("url("));
        for id in ["chart-households", "chart-budget", "chart-exits", "chart-unemployment-ranking", "chart-ungsam"] {
            assert!(html.contains(&format!("<svg class=\"chart\" id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("Ledningsrapport 0767 Markaryd – augusti 2020"));
        assert!(html.contains("@page{size:A4") && html.contains("@media print{"), "a print stylesheet");
    }

    #[test]
    fn headline_figures_come_first_each_against_a_year_earlier() {
        let html = render_management_report(&sample());
        let headline = html.find("id=\"key-figures\"").expect("key figures");
        let unemployment = html.find("id=\"unemployment-figures\"").expect("unemployment");
        let charts = html.find("class=\"charts\"").expect("charts");
        assert!(headline < unemployment && unemployment < charts, "figures first, then charts");
        // 98 → 57 = −41,8 %.
        assert!(html.contains("<td>57</td><td>98</td><td>\u{2212}41,8\u{a0}%</td>"));
        // Forecast 5,5 Mkr against 10 Mkr = −45,0 %; a year earlier +5,0 %: −50,0 points.
        assert!(html.contains(
            "<td>Prognos mot budget</td><td>\u{2212}45,0\u{a0}%</td><td>5,0\u{a0}%</td><td>\u{2212}50,0\u{a0}p.e.</td>"
        ));
        assert!(html.contains("10\u{a0}000\u{a0}000\u{a0}kr"));
        assert!(html.contains("<td>10</td><td>6</td><td>66,7\u{a0}%</td>"));
        assert!(html.contains("80,0\u{a0}% (96 av 120)</td><td>50,0\u{a0}% (50 av 100)</td><td>+30,0\u{a0}p.e.</td>"));
        assert!(html.contains("&lt;5"), "the suppressed month of exits");
        assert!(html.contains("stroke-dasharray") && html.contains("id=\"forecast-line\""));
    }

    #[test]
    fn unemployment_against_county_and_nation_in_three_groups_and_the_ranking() {
        let html = render_management_report(&sample());
        assert!(html.contains(
            "<tr id=\"unemployment-all\"><td>Alla</td><td>9,0\u{a0}%</td><td>8,9\u{a0}%</td><td>+0,1\u{a0}p.e.</td><td>8,5\u{a0}%</td><td>+1,5\u{a0}p.e.</td><td>8,7\u{a0}%</td><td>+1,7\u{a0}p.e.</td></tr>"
        ));
        assert!(html.contains("id=\"unemployment-18-24\""));
        assert!(
            html.contains(
                "<td>Utrikes födda</td><td>22,7\u{a0}%</td><td>23,8\u{a0}%</td><td>\u{2212}1,1\u{a0}p.e.</td>"
            )
        );
        assert!(html.contains("Markaryd har plats 1 av 3 i Kronobergs län"));
        assert!(html.contains("Serie: 16-64 illustrativ."), "the series' label, illustrative or not, is named once");
        assert!(html.contains("id=\"ranking-own\""));
    }

    #[test]
    fn names_the_lists_behind_the_figures() {
        let html = render_management_report(&sample());
        for list in &ACTION_LISTS {
            assert!(html.contains(&escape_html(list.rpc)), "{}", list.rpc);
        }
        assert!(html.contains("not_yet_contacted"));
    }

    #[test]
    fn escapes_labels() {
        let mut r = sample();
        r.kommun_name = "<script>alert('x')</script> & \"Co\"".into();
        r.unemployment.groups[0].series = "<b>".into();
        let html = render_management_report(&r);
        assert!(!html.contains("<script") && !html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"));
    }

    #[test]
    fn suppressed_key_figures_show_threshold_and_no_change() {
        let mut r = sample();
        r.households = Suppressed;
        r.ungsam.reached = Suppressed;
        let html = render_management_report(&r);
        assert!(html.contains("<td>&lt;5</td><td>98</td><td>–</td>"));
        assert!(!html.contains("id=\"ungsam-coverage\""));
        assert!(html.contains("<td>– (&lt;5 av 120)</td><td>50,0\u{a0}% (50 av 100)</td><td>–</td>"));
    }

    #[test]
    fn helpers() {
        assert_eq!(kr(123_456_789), "1\u{a0}234\u{a0}568\u{a0}kr");
        assert_eq!(kr(-50), "\u{2212}1\u{a0}kr");
        assert_eq!(kr(0), "0\u{a0}kr");
        assert_eq!(percent(-4184), "\u{2212}41,8\u{a0}%");
        assert_eq!(points(10), "+0,1\u{a0}p.e.");
        assert_eq!(points(-110), "\u{2212}1,1\u{a0}p.e.");
        assert_eq!(points(0), "\u{b1}0,0\u{a0}p.e.");
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(98), 100);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(350), 500);
        assert_eq!(path_data(&[Some(0), None, Some(10), Some(5)], 10), "M100 220 M446 20 L620 120");
        assert_eq!(escape_html("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
        assert_eq!(month_name(YearMonth { year: 2019, month: 8 }), "augusti 2019");
    }

    #[test]
    fn empty_year_renders() {
        let mut r = sample();
        r.households_by_month = [None; 12];
        r.households_by_month_year_earlier = [None; 12];
        r.paid_by_month_ore = [None; 12];
        r.exits_work_or_studies_by_month = [None; 12];
        r.exits_work_or_studies_by_month_year_earlier = [None; 12];
        r.ungsam = Coverage { identified: Shown(0), reached: Shown(0) };
        r.budget = BudgetPosition::default();
        r.unemployment = UnemploymentSection::default();
        let html = render_management_report(&r);
        assert!(html.contains("id=\"chart-ungsam\"") && html.contains("Serie: ingen importerad."));
        assert!(html.contains("<td>Prognos mot budget</td><td>–</td>"));
        assert!(html.ends_with("</body></html>\n"));
    }
}
