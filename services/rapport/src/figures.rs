//! The reports' figures, computed from the stored facts with the domain's rules (suppression, change, median,
//! shares). Pure: the store hands in rows, these functions hand back suppressed figures.
//!
//! Small-number protection: every count of people is published through [`suppress`] or [`suppress_grid`], so
//! a total and the cells that add up to it are suppressed together and no subtraction reveals a cell below the
//! threshold. Shares are withheld unless both their parts are derivable from figures already shown.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};

use crate::domain::{Figure, YearMonth, is_long_term, median_days, share_basis_points, suppress, suppress_grid};
use crate::store::facts::{
    bistand_decision, bistand_payment, insatser_follow_up, insatser_intervention, insatser_participant, ungsam_event,
    ungsam_person,
};

/// The status ungsam's handovers are recorded with in rapport's store.
pub const HANDED_OVER: &str = "handed_over";
/// Ungsam's status for a young person in an activity.
pub const IN_ACTIVITY: &str = "in_activity";
/// Ungsam's status after an exit.
pub const EXITED: &str = "exited";
/// The `common.v1.ExitOutcome` values in code-list order.
pub const EXIT_OUTCOMES: [i32; 7] = [1, 2, 3, 4, 5, 6, 7];
/// The exit outcomes that count as work or studies (ordinary and subsidised employment, studies).
pub const WORK_OR_STUDIES: [i32; 3] = [1, 2, 3];

/// The period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A calendar month.
    Month(YearMonth),
    /// A calendar year.
    Year(i32),
}

impl Period {
    /// The first and last month, as `year * 100 + month`.
    pub fn month_keys(self) -> (i32, i32) {
        match self {
            Period::Month(m) => (key(m), key(m)),
            Period::Year(y) => (y * 100 + 1, y * 100 + 12),
        }
    }

    /// The first and last day.
    pub fn dates(self) -> Option<(NaiveDate, NaiveDate)> {
        let (first, last) = match self {
            Period::Month(m) => (m, m),
            Period::Year(y) => (YearMonth::new(y, 1)?, YearMonth::new(y, 12)?),
        };
        let start = NaiveDate::from_ymd_opt(first.year, first.month, 1)?;
        let next = if last.month == 12 { (last.year + 1, 1) } else { (last.year, last.month + 1) };
        let end = NaiveDate::from_ymd_opt(next.0, next.1, 1)?.pred_opt()?;
        Some((start, end))
    }

    /// The same period a year earlier.
    pub fn year_earlier(self) -> Option<Period> {
        match self {
            Period::Month(m) => m.year_earlier().map(Period::Month),
            Period::Year(y) => YearMonth::new(y - 1, 1).map(|_| Period::Year(y - 1)),
        }
    }

    /// The 12 months whose assistance counts towards long-term: the calendar year, or the 12 months ending with
    /// the month.
    pub fn assistance_window(self) -> (i32, i32) {
        match self {
            Period::Year(_) => self.month_keys(),
            Period::Month(m) => {
                let first = if m.month == 12 { (m.year, 1) } else { (m.year - 1, m.month + 1) };
                (first.0 * 100 + first.1 as i32, key(m))
            }
        }
    }

    /// The calendar year the period is in.
    pub fn year(self) -> i32 {
        match self {
            Period::Month(m) => m.year,
            Period::Year(y) => y,
        }
    }
}

/// `year * 100 + month`.
pub fn key(month: YearMonth) -> i32 {
    month.year * 100 + month.month as i32
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The ekonomiskt bistånd figures of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BistandFigures {
    /// Granted households.
    pub granted_households: Figure,
    /// Persons in them.
    pub persons: Figure,
    /// Adults in them.
    pub adults: Figure,
    /// Children in them.
    pub children: Figure,
    /// Paid for the period's months, öre.
    pub paid_ore: i64,
    /// Households with assistance in 10–12 of the window's months.
    pub long_term: Figure,
    /// The others.
    pub short_term: Figure,
    /// Median months with assistance in the window (rounded half up).
    pub median_months: u64,
    /// Households with children.
    pub with_children: Figure,
    /// Households without children.
    pub without_children: Figure,
}

/// The ekonomiskt bistånd figures for `period` from its granted decisions (`decisions` must cover the
/// period's [`Period::assistance_window`]) and its paid payments.
pub fn bistand(
    period: Period,
    decisions: &[bistand_decision::Model],
    payments: &[bistand_payment::Model],
    threshold: u64,
) -> BistandFigures {
    let (from, to) = period.month_keys();
    let (window_from, window_to) = period.assistance_window();
    // Each household counted once, with its largest size in the period.
    let mut households: BTreeMap<&str, (i32, i32, i32)> = BTreeMap::new();
    let mut months: HashMap<&str, BTreeSet<i32>> = HashMap::new();
    for decision in decisions {
        if (window_from..=window_to).contains(&decision.month_key) {
            months.entry(decision.household.as_str()).or_default().insert(decision.month_key);
        }
        if (from..=to).contains(&decision.month_key) {
            let entry = households.entry(decision.household.as_str()).or_default();
            *entry = (entry.0.max(decision.persons), entry.1.max(decision.adults), entry.2.max(decision.children));
        }
    }
    // Rows: short-term, long-term; columns: with children, without children.
    let mut grid = vec![vec![0u64; 2]; 2];
    let mut month_counts = Vec::with_capacity(households.len());
    let (mut adults, mut children) = (0u64, 0u64);
    for (household, (_, a, c)) in &households {
        let n = months.get(household).map_or(1, BTreeSet::len);
        month_counts.push(u32::try_from(n).unwrap_or(u32::MAX));
        let row = usize::from(is_long_term(u32::try_from(n).unwrap_or(u32::MAX)));
        let column = usize::from(*c == 0);
        grid[row][column] += 1;
        adults += u64::try_from(*a).unwrap_or_default();
        children += u64::try_from(*c).unwrap_or_default();
    }
    let households_grid = suppress_grid(&grid, threshold).ok();
    let pick = |f: fn(&crate::domain::SuppressedGrid) -> Figure| households_grid.as_ref().map_or(Figure::Suppressed, f);
    let persons = suppress(&[adults, children], threshold);
    BistandFigures {
        granted_households: pick(|g| g.grand_total),
        persons: persons.total,
        adults: persons.cells[0],
        children: persons.cells[1],
        paid_ore: payments.iter().filter(|p| (from..=to).contains(&p.month_key)).map(|p| p.amount_ore).sum(),
        long_term: pick(|g| g.row_totals[1]),
        short_term: pick(|g| g.row_totals[0]),
        median_months: median_days(&month_counts).map_or(0, |m| m.rounded_days()),
        with_children: pick(|g| g.column_totals[0]),
        without_children: pick(|g| g.column_totals[1]),
    }
}

/// A share that is shown only when its part and whole are both shown.
pub fn share(part: Figure, whole: Figure) -> Option<u64> {
    share_basis_points(part.shown()?, whole.shown()?)
}

/// Exits per outcome in code-list order, suppressed as one line with their total.
pub fn exits_by_outcome(outcomes: impl Iterator<Item = i32>, threshold: u64) -> (Vec<(i32, Figure)>, Figure) {
    let mut counts = vec![0u64; EXIT_OUTCOMES.len()];
    for outcome in outcomes {
        let index = EXIT_OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(EXIT_OUTCOMES.len() - 1);
        counts[index] += 1;
    }
    let group = suppress(&counts, threshold);
    (EXIT_OUTCOMES.iter().copied().zip(group.cells).collect(), group.total)
}

/// The exits to work or studies and their share of all exits, published only when they reveal nothing the
/// suppressed cells hide: the total is shown, both the work-or-studies count and the rest are at or above the
/// threshold, and neither group has exactly one suppressed cell (whose value its group's count would give away).
fn work_or_studies(
    by_outcome: &[(i32, Figure)],
    exits: Figure,
    exited: &[&insatser_participant::Model],
    threshold: u64,
) -> (Figure, Option<u64>) {
    let Some(whole) = exits.shown() else { return (Figure::Suppressed, None) };
    let part = count(exited.iter().filter(|p| p.exit_outcome.is_some_and(|o| WORK_OR_STUDIES.contains(&o))).count());
    let suppressed_in = |work: bool| {
        by_outcome.iter().filter(|(o, f)| WORK_OR_STUDIES.contains(o) == work && f.is_suppressed()).count()
    };
    let safe = part >= threshold && whole - part >= threshold && suppressed_in(true) != 1 && suppressed_in(false) != 1;
    if safe { (Figure::Shown(part), share_basis_points(part, whole)) } else { (Figure::Suppressed, None) }
}

/// The labour-market unit's figures of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabourMarketFigures {
    /// Participants active at some time in the period.
    pub active: Figure,
    /// Active participants per kind of intervention.
    pub by_intervention: Vec<(String, Figure)>,
    /// Exits in the period.
    pub exits: Figure,
    /// Exits by outcome.
    pub exits_by_outcome: Vec<(i32, Figure)>,
    /// Exits to work or studies, shown only when that reveals no suppressed cell.
    pub work_or_studies: Figure,
    /// Their share of all exits, under the same condition.
    pub work_or_studies_bp: Option<u64>,
    /// Median days to exit (rounded half up).
    pub median_days_to_exit: u64,
    /// Follow-ups due in the period.
    pub follow_ups: Figure,
    /// Of those, on time.
    pub follow_ups_on_time: Figure,
}

/// The labour-market figures for the period `from..=to`.
pub fn labour_market(
    (from, to): (NaiveDate, NaiveDate),
    participants: &[insatser_participant::Model],
    interventions: &[insatser_intervention::Model],
    follow_ups: &[insatser_follow_up::Model],
    threshold: u64,
) -> LabourMarketFigures {
    let in_period = |d: NaiveDate| (from..=to).contains(&d);
    let active = participants.iter().filter(|p| p.registered_on <= to && p.exited_on.is_none_or(|e| e >= from)).count();
    let exited: Vec<&insatser_participant::Model> =
        participants.iter().filter(|p| p.exited_on.is_some_and(in_period)).collect();
    let (by_outcome, exits) = exits_by_outcome(exited.iter().map(|p| p.exit_outcome.unwrap_or_default()), threshold);
    let (work_or_studies, work_or_studies_bp) = work_or_studies(&by_outcome, exits, &exited, threshold);
    let days: Vec<u32> = exited.iter().filter_map(|p| p.days_to_exit.and_then(|d| u32::try_from(d).ok())).collect();
    let mut kinds: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for intervention in interventions {
        if intervention.started_on <= to && intervention.ended_on.is_none_or(|e| e >= from) {
            kinds.entry(intervention.kind.as_str()).or_default().insert(intervention.participant.as_str());
        }
    }
    let kind_counts: Vec<u64> = kinds.values().map(|p| count(p.len())).collect();
    let kind_figures = suppress(&kind_counts, threshold);
    let due: Vec<&insatser_follow_up::Model> = follow_ups.iter().filter(|f| in_period(f.due_on)).collect();
    let on_time = count(due.iter().filter(|f| f.on_time).count());
    let follow_up_line = suppress(&[on_time, count(due.len()) - on_time], threshold);
    LabourMarketFigures {
        active: Figure::from_count(count(active), threshold),
        by_intervention: kinds.keys().map(|k| k.to_string()).zip(kind_figures.cells).collect(),
        exits,
        exits_by_outcome: by_outcome,
        work_or_studies,
        work_or_studies_bp,
        median_days_to_exit: median_days(&days).map_or(0, |m| m.rounded_days()),
        follow_ups: follow_up_line.total,
        follow_ups_on_time: follow_up_line.cells[0],
    }
}

/// Ungsam's figures of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UngsamFigures {
    /// Identified in the period.
    pub identified: Figure,
    /// Of those, reached by the end of the period.
    pub reached: Figure,
    /// Median days to first contact among those first reached in the period.
    pub median_days_to_first_contact: u64,
    /// In activity at the end of the period.
    pub in_activity: Figure,
    /// Exits in the period.
    pub exits: Figure,
    /// Exits by outcome.
    pub exits_by_outcome: Vec<(i32, Figure)>,
    /// Handovers in the period.
    pub handed_over: Figure,
}

/// Ungsam's figures for the period `from..=to`; `events` are the status changes up to `to`, in feed order.
pub fn ungsam(
    (from, to): (NaiveDate, NaiveDate),
    people: &[ungsam_person::Model],
    events: &[ungsam_event::Model],
    threshold: u64,
) -> UngsamFigures {
    let in_period = |d: NaiveDate| (from..=to).contains(&d);
    let identified: Vec<&ungsam_person::Model> = people.iter().filter(|p| in_period(p.identified_on)).collect();
    let reached = count(identified.iter().filter(|p| p.first_reached_on.is_some_and(|d| d <= to)).count());
    let reach_line = suppress(&[reached, count(identified.len()) - reached], threshold);
    let days: Vec<u32> = people
        .iter()
        .filter(|p| p.first_reached_on.is_some_and(in_period))
        .filter_map(|p| p.days_to_first_contact.and_then(|d| u32::try_from(d).ok()))
        .collect();
    let mut status: HashMap<&str, &str> = HashMap::new();
    for event in events.iter().filter(|e| e.to_status != HANDED_OVER) {
        status.insert(event.person.as_str(), event.to_status.as_str());
    }
    let in_activity = count(status.values().filter(|s| **s == IN_ACTIVITY).count());
    let (by_outcome, exits) = exits_by_outcome(
        events.iter().filter(|e| e.to_status == EXITED && in_period(e.changed_on)).map(|e| e.exit_outcome),
        threshold,
    );
    let handed_over = count(events.iter().filter(|e| e.to_status == HANDED_OVER && in_period(e.changed_on)).count());
    UngsamFigures {
        identified: reach_line.total,
        reached: reach_line.cells[0],
        median_days_to_first_contact: median_days(&days).map_or(0, |m| m.rounded_days()),
        in_activity: Figure::from_count(in_activity, threshold),
        exits,
        exits_by_outcome: by_outcome,
        handed_over: Figure::from_count(handed_over, threshold),
    }
}

/// Paid per month January–December of `year` (by payment date), öre.
pub fn paid_by_month(year: i32, payments: &[bistand_payment::Model]) -> [i64; 12] {
    let mut months = [0i64; 12];
    for payment in payments {
        if let Some(day) = payment.paid_on
            && day.year() == year
            && let Some(slot) = months.get_mut(day.month0() as usize)
        {
            *slot += payment.amount_ore;
        }
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(household: &str, month_key: i32, children: i32) -> bistand_decision::Model {
        bistand_decision::Model {
            pseudonym: format!("{household}-{month_key}"),
            kommun: "0767".into(),
            household: household.into(),
            month_key,
            granted: true,
            granted_ore: 100,
            persons: 1 + children,
            adults: 1,
            children,
            adults_born_abroad: 0,
            household_type_code: "3".into(),
            superseded: false,
        }
    }

    #[test]
    fn long_term_counts_ten_of_the_last_twelve_months() {
        let period = Period::Month(YearMonth { year: 2020, month: 8 });
        assert_eq!(period.assistance_window(), (201909, 202008));
        let mut decisions: Vec<_> = (0..10).map(|i| decision("long", 202008 - i, 0)).collect();
        for h in 0..6 {
            decisions.push(decision(&format!("short{h}"), 202008, 1));
            decisions.push(decision(&format!("short{h}"), 202007, 1));
        }
        let figures = bistand(period, &decisions, &[], 1);
        assert_eq!(figures.granted_households, Figure::Shown(7));
        assert_eq!(figures.long_term, Figure::Shown(1));
        assert_eq!(figures.short_term, Figure::Shown(6));
        assert_eq!(figures.children, Figure::Shown(6));
        assert_eq!(figures.median_months, 2);
        let suppressed = bistand(period, &decisions, &[], 5);
        assert_eq!(suppressed.long_term, Figure::Suppressed);
        assert!(suppressed.short_term.is_suppressed() || suppressed.granted_households.is_suppressed());
    }

    fn hidden(figures: &[Figure]) -> usize {
        figures.iter().filter(|f| f.is_suppressed()).count()
    }

    proptest::proptest! {
        /// No line of the bistand figures has exactly one suppressed entry, and what is shown is the truth.
        #[test]
        fn bistand_lines_never_reveal_a_suppressed_count(
            households in proptest::collection::vec((0i32..3, 1i32..3, 1usize..13), 0..40),
            threshold in 1u64..7,
        ) {
            let period = Period::Month(YearMonth { year: 2020, month: 12 });
            let mut decisions = Vec::new();
            for (h, (children, adults, months)) in households.iter().enumerate() {
                for m in 0..*months {
                    let mut d = decision(&format!("h{h}"), 202012 - i32::try_from(m).unwrap_or(0), *children);
                    d.adults = *adults;
                    decisions.push(d);
                }
            }
            let f = bistand(period, &decisions, &[], threshold);
            for line in [
                [f.with_children, f.without_children, f.granted_households],
                [f.short_term, f.long_term, f.granted_households],
                [f.adults, f.children, f.persons],
            ] {
                proptest::prop_assert_ne!(hidden(&line), 1);
                if let [Figure::Shown(a), Figure::Shown(b), Figure::Shown(total)] = line {
                    proptest::prop_assert_eq!(a + b, total);
                }
            }
            let granted = u64::try_from(households.len()).unwrap_or_default();
            proptest::prop_assert!(f.granted_households.shown().is_none_or(|g| g == granted && g >= threshold));
        }

        /// Exits by outcome never leave exactly one suppressed entry with their total, and the share of exits to
        /// work or studies is only published when both of its parts are at or above the threshold.
        #[test]
        fn exit_lines_never_reveal_a_suppressed_count(
            outcomes in proptest::collection::vec(1i32..8, 0..60),
            threshold in 1u64..7,
        ) {
            let (cells, total) = exits_by_outcome(outcomes.iter().copied(), threshold);
            let mut line: Vec<Figure> = cells.iter().map(|(_, f)| *f).collect();
            line.push(total);
            proptest::prop_assert_ne!(hidden(&line), 1);
            let date = NaiveDate::from_ymd_opt(2020, 8, 1).unwrap_or_default();
            let participants: Vec<insatser_participant::Model> = outcomes
                .iter()
                .enumerate()
                .map(|(i, o)| insatser_participant::Model {
                    pseudonym: format!("p{i}"),
                    kommun: "0767".into(),
                    registered_on: date,
                    exited_on: Some(date),
                    exit_outcome: Some(*o),
                    days_to_exit: Some(10),
                })
                .collect();
            let figures = labour_market((date, date), &participants, &[], &[], threshold);
            if figures.work_or_studies_bp.is_some() {
                let part = outcomes.iter().filter(|o| WORK_OR_STUDIES.contains(o)).count();
                let part = u64::try_from(part).unwrap_or_default();
                let whole = u64::try_from(outcomes.len()).unwrap_or_default();
                proptest::prop_assert!(part >= threshold && whole - part >= threshold);
            }
        }
    }

    #[test]
    fn periods() {
        let august = Period::Month(YearMonth { year: 2020, month: 2 });
        let (start, end) = august.dates().expect("dates");
        assert_eq!((start.to_string(), end.to_string()), ("2020-02-01".into(), "2020-02-29".into()));
        assert_eq!(Period::Year(2020).assistance_window(), (202001, 202012));
        assert_eq!(Period::Month(YearMonth { year: 2020, month: 12 }).assistance_window(), (202001, 202012));
        assert_eq!(Period::Year(2020).year_earlier(), Some(Period::Year(2019)));
    }
}
