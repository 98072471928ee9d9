//! Systematic follow-up of plans: when follow-ups fall due, which are due or
//! overdue today, and whether a done follow-up was on time.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which follow-up occasion is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FollowUpKind {
    /// The `number`th regular follow-up while the plan is active (1 = first).
    WhileActive {
        /// Sequence number from 1.
        number: u32,
    },
    /// The follow-up a number of months after exit.
    AfterExit {
        /// Months after the exit date.
        months: u32,
    },
}

/// A scheduled follow-up and its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpOccasion {
    /// Which occasion.
    pub kind: FollowUpKind,
    /// The day it falls due.
    pub due: NaiveDate,
}

/// A follow-up that has been carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneFollowUp {
    /// Which occasion it fulfils.
    pub kind: FollowUpKind,
    /// The day it was carried out.
    pub done_on: NaiveDate,
}

/// How a done follow-up relates to its due date and the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    /// More than the grace period before the due date.
    Early,
    /// Within the grace period either side of the due date.
    OnTime,
    /// More than the grace period after the due date.
    Late,
}

/// The follow-up situation on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FollowUpStatus {
    /// Not done, due date reached, grace period not yet passed.
    pub due: Vec<FollowUpOccasion>,
    /// Not done and the due date passed by more than the grace period.
    pub overdue: Vec<FollowUpOccasion>,
    /// The next not-done occasion after today, if any.
    pub next: Option<FollowUpOccasion>,
}

/// The unit's follow-up rules. Defaults: every 4 weeks (28 days) from plan start
/// while active; 3, 6 and 12 months after exit; 7 days' grace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpSchedule {
    /// Days between regular follow-ups while the plan is active (at least 1).
    pub active_interval_days: u32,
    /// Months after exit at which to follow up.
    pub after_exit_months: Vec<u32>,
    /// Days after the due date before a follow-up counts as overdue (and before/after
    /// which a done one counts as early/late).
    pub grace_days: u32,
}

impl Default for FollowUpSchedule {
    fn default() -> Self {
        Self { active_interval_days: 28, after_exit_months: vec![3, 6, 12], grace_days: 7 }
    }
}

impl FollowUpSchedule {
    /// The due date of one occasion; `None` if it does not exist for this plan
    /// (an active follow-up on or after exit, an after-exit one without exit,
    /// or a month count not in the schedule).
    pub fn due_date(&self, plan_start: NaiveDate, exit: Option<NaiveDate>, kind: FollowUpKind) -> Option<NaiveDate> {
        match kind {
            FollowUpKind::WhileActive { number } => {
                if number == 0 {
                    return None;
                }
                let days = u64::from(self.active_interval_days.max(1)) * u64::from(number);
                let due = plan_start.checked_add_days(Days::new(days))?;
                match exit {
                    Some(e) if due >= e => None,
                    _ => Some(due),
                }
            }
            FollowUpKind::AfterExit { months } => {
                if !self.after_exit_months.contains(&months) {
                    return None;
                }
                exit?.checked_add_months(Months::new(months))
            }
        }
    }

    /// Every occasion due on or before `until`, in due-date order.
    pub fn occasions(&self, plan_start: NaiveDate, exit: Option<NaiveDate>, until: NaiveDate) -> Vec<FollowUpOccasion> {
        let mut out = Vec::new();
        let mut number = 1u32;
        while let Some(due) = self.due_date(plan_start, exit, FollowUpKind::WhileActive { number }) {
            if due > until {
                break;
            }
            out.push(FollowUpOccasion { kind: FollowUpKind::WhileActive { number }, due });
            number = match number.checked_add(1) {
                Some(n) => n,
                None => break,
            };
        }
        let mut months = self.after_exit_months.clone();
        months.sort_unstable();
        months.dedup();
        for m in months {
            let kind = FollowUpKind::AfterExit { months: m };
            if let Some(due) = self.due_date(plan_start, exit, kind)
                && due <= until
            {
                out.push(FollowUpOccasion { kind, due });
            }
        }
        out.sort_by_key(|o| (o.due, o.kind));
        out
    }

    /// Due, overdue and next follow-ups on `today`, given those already done.
    pub fn status(
        &self,
        plan_start: NaiveDate,
        exit: Option<NaiveDate>,
        done: &[DoneFollowUp],
        today: NaiveDate,
    ) -> FollowUpStatus {
        let is_done = |k: FollowUpKind| done.iter().any(|d| d.kind == k);
        let mut status = FollowUpStatus::default();
        for o in self.occasions(plan_start, exit, today) {
            if is_done(o.kind) {
                continue;
            }
            if self.is_past_grace(o.due, today) {
                status.overdue.push(o);
            } else {
                status.due.push(o);
            }
        }
        status.next = self.next_after(plan_start, exit, today, &is_done);
        status
    }

    fn next_after(
        &self,
        plan_start: NaiveDate,
        exit: Option<NaiveDate>,
        today: NaiveDate,
        is_done: &dyn Fn(FollowUpKind) -> bool,
    ) -> Option<FollowUpOccasion> {
        let mut candidates = Vec::new();
        // First active occasion after today that is not done (look a bounded number ahead).
        let interval = i64::from(self.active_interval_days.max(1));
        let elapsed = (today - plan_start).num_days().max(0);
        let first = u32::try_from(elapsed / interval + 1).ok()?;
        for number in first..first.saturating_add(64) {
            let kind = FollowUpKind::WhileActive { number };
            match self.due_date(plan_start, exit, kind) {
                Some(due) if due > today && !is_done(kind) => {
                    candidates.push(FollowUpOccasion { kind, due });
                    break;
                }
                Some(_) => continue,
                None => break,
            }
        }
        for &months in &self.after_exit_months {
            let kind = FollowUpKind::AfterExit { months };
            if let Some(due) = self.due_date(plan_start, exit, kind)
                && due > today
                && !is_done(kind)
            {
                candidates.push(FollowUpOccasion { kind, due });
            }
        }
        candidates.into_iter().min_by_key(|o| (o.due, o.kind))
    }

    fn is_past_grace(&self, due: NaiveDate, day: NaiveDate) -> bool {
        (day - due).num_days() > i64::from(self.grace_days)
    }

    /// How a follow-up done on `done_on` relates to its due date.
    pub fn timeliness(&self, due: NaiveDate, done_on: NaiveDate) -> Timeliness {
        let diff = (done_on - due).num_days();
        let grace = i64::from(self.grace_days);
        if diff > grace {
            Timeliness::Late
        } else if diff < -grace {
            Timeliness::Early
        } else {
            Timeliness::OnTime
        }
    }

    /// Whether a done follow-up was on time; `None` if its occasion does not exist.
    pub fn was_on_time(&self, plan_start: NaiveDate, exit: Option<NaiveDate>, done: &DoneFollowUp) -> Option<bool> {
        let due = self.due_date(plan_start, exit, done.kind)?;
        Some(self.timeliness(due, done.done_on) == Timeliness::OnTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }
    fn active(number: u32) -> FollowUpKind {
        FollowUpKind::WhileActive { number }
    }
    fn after(months: u32) -> FollowUpKind {
        FollowUpKind::AfterExit { months }
    }

    #[test]
    fn active_schedule_every_four_weeks() {
        let s = FollowUpSchedule::default();
        let start = d(2025, 1, 1);
        let occ = s.occasions(start, None, d(2025, 3, 31));
        let dues: Vec<_> = occ.iter().map(|o| o.due).collect();
        assert_eq!(dues, vec![d(2025, 1, 29), d(2025, 2, 26), d(2025, 3, 26)]);
    }

    #[test]
    fn due_and_overdue_with_grace() {
        let s = FollowUpSchedule::default();
        let start = d(2025, 1, 1);
        // 1st due 29 Jan (done), 2nd due 26 Feb, 3rd due 26 Mar.
        let done = [DoneFollowUp { kind: active(1), done_on: d(2025, 1, 30) }];
        let st = s.status(start, None, &done, d(2025, 3, 28));
        assert_eq!(st.overdue.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![active(2)]);
        assert_eq!(st.due.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![active(3)]);
        assert_eq!(st.next.map(|o| o.due), Some(d(2025, 4, 23)));
        // Exactly 7 days after due: still due, not overdue.
        let st = s.status(start, None, &done, d(2025, 3, 5));
        assert_eq!(st.due.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![active(2)]);
        assert!(st.overdue.is_empty());
        let st = s.status(start, None, &done, d(2025, 3, 6));
        assert_eq!(st.overdue.len(), 1);
    }

    #[test]
    fn after_exit_schedule() {
        let s = FollowUpSchedule::default();
        let start = d(2025, 1, 1);
        let exit = Some(d(2025, 2, 26));
        // Active #2 would fall on the exit day: it is not scheduled.
        assert_eq!(s.due_date(start, exit, active(2)), None);
        assert_eq!(s.due_date(start, exit, active(1)), Some(d(2025, 1, 29)));
        assert_eq!(s.due_date(start, exit, after(3)), Some(d(2025, 5, 26)));
        assert_eq!(s.due_date(start, exit, after(12)), Some(d(2026, 2, 26)));
        assert_eq!(s.due_date(start, None, after(3)), None);
        assert_eq!(s.due_date(start, exit, after(4)), None);
        let all = s.occasions(start, exit, d(2030, 1, 1));
        assert_eq!(all.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![active(1), after(3), after(6), after(12)]);
        let st = s.status(start, exit, &[], d(2025, 6, 1));
        assert_eq!(st.overdue.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![active(1)]);
        assert_eq!(st.due.iter().map(|o| o.kind).collect::<Vec<_>>(), vec![after(3)]);
        assert_eq!(st.next.map(|o| o.kind), Some(after(6)));
    }

    #[test]
    fn month_end_clamps() {
        let s = FollowUpSchedule::default();
        assert_eq!(s.due_date(d(2024, 1, 1), Some(d(2024, 11, 30)), after(3)), Some(d(2025, 2, 28)));
    }

    #[test]
    fn timeliness_window() {
        let s = FollowUpSchedule::default();
        let due = d(2025, 3, 10);
        assert_eq!(s.timeliness(due, d(2025, 3, 17)), Timeliness::OnTime);
        assert_eq!(s.timeliness(due, d(2025, 3, 18)), Timeliness::Late);
        assert_eq!(s.timeliness(due, d(2025, 3, 3)), Timeliness::OnTime);
        assert_eq!(s.timeliness(due, d(2025, 3, 2)), Timeliness::Early);
        let start = d(2025, 1, 1);
        let done = DoneFollowUp { kind: active(1), done_on: d(2025, 2, 10) };
        assert_eq!(s.was_on_time(start, None, &done), Some(false));
        let done = DoneFollowUp { kind: after(3), done_on: d(2025, 2, 10) };
        assert_eq!(s.was_on_time(start, None, &done), None);
    }

    #[test]
    fn configurable_grace_and_interval() {
        let s = FollowUpSchedule { active_interval_days: 14, after_exit_months: vec![6], grace_days: 0 };
        let st = s.status(d(2025, 1, 1), None, &[], d(2025, 1, 16));
        assert_eq!(st.overdue.len(), 1);
        assert!(st.due.is_empty());
        assert_eq!(st.next.map(|o| o.due), Some(d(2025, 1, 29)));
    }
}
