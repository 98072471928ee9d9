//! The demo municipality's assistance history, 2019-01 to 2021-12: households and their month-by-month
//! applications, shaped like the municipality in the domain brief (98 households granted assistance in
//! August 2019, 57 in August 2020, −41.8 %).
//!
//! Pure and deterministic: no I/O, no clock, no global random state; the same call gives the same
//! history, so seeding it twice through the gRPC API (with request ids derived from
//! [`DemoHousehold::key`] and the month) adds nothing. Plain structs, independent of the API types:
//! seeding maps them onto the RPCs.
//!
//! # How the figures are guaranteed
//! Households are built in cohorts: 40 on assistance through both Augusts (most of them long-term),
//! 58 on assistance in August 2019 who leave for work, studies or other income before August 2020,
//! 17 who start during 2020 and are on assistance in August 2020, and 45 with short spells in neither
//! August (some of them refused in an August). The expected outcome of each month does not depend on
//! the norm tables: in a granted month the household's incomes are below its approved costs, so
//! riksnorm + costs − incomes is positive whatever the norm; in a refused month (avslag) the incomes
//! exceed the costs by more than any household's norm.

use chrono::{Datelike, NaiveDate};
use trappan_bistand::domain::{CostKind, IncomeKind, YearMonth};

/// The first month of the history.
pub const FIRST_MONTH: (i32, u32) = (2019, 1);
/// The last month of the history.
pub const LAST_MONTH: (i32, u32) = (2021, 12);

/// How a person belongs to a demo household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRole {
    /// The applicant.
    Applicant,
    /// The co-applicant (sambo or spouse).
    CoApplicant,
    /// A child living at home.
    Child,
    /// An adult sharing the household without being sambo.
    OtherAdult,
}

/// Legal sex of a demo person (decides the identity number's ninth digit when seeding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSex {
    /// Man.
    Man,
    /// Woman.
    Woman,
}

/// An adult's consent to share with the labour-market unit, and whether they were referred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConsent {
    /// The day consent was given.
    pub given_on: NaiveDate,
    /// Whether a referral to insatser follows the consent.
    pub referred: bool,
}

/// One person of a demo household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMember {
    /// The person's role.
    pub role: DemoRole,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Sex.
    pub sex: DemoSex,
    /// Born abroad.
    pub born_abroad: bool,
    /// A child under 7 eats lunch at förskola or skola.
    pub lunch_at_school: bool,
    /// Consent to share with the labour-market unit, for some adults.
    pub consent: Option<DemoConsent>,
}

/// What the month's decision is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedOutcome {
    /// Bifall: the calculation is positive.
    Granted,
    /// Avslag: the household's own incomes cover the need.
    Refused,
}

/// A claimed cost of a month (approved as claimed in the demo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCost {
    /// What kind of cost.
    pub kind: CostKind,
    /// The amount in öre.
    pub amount_ore: i64,
}

/// A declared income of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoIncome {
    /// What kind of income.
    pub kind: IncomeKind,
    /// Whose: an index into [`DemoHousehold::members`].
    pub member: usize,
    /// The amount in öre.
    pub amount_ore: i64,
}

/// One monthly application and its expected outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMonth {
    /// The month applied for.
    pub month: YearMonth,
    /// Claimed costs.
    pub costs: Vec<DemoCost>,
    /// Declared incomes.
    pub incomes: Vec<DemoIncome>,
    /// The expected decision.
    pub expected: ExpectedOutcome,
}

impl DemoMonth {
    /// The sum of the costs, in öre.
    pub fn costs_ore(&self) -> i64 {
        self.costs.iter().map(|c| c.amount_ore).sum()
    }

    /// The sum of the incomes, in öre.
    pub fn incomes_ore(&self) -> i64 {
        self.incomes.iter().map(|i| i.amount_ore).sum()
    }
}

/// One demo household: who it is and its applications, in month order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoHousehold {
    /// A stable key (0, 1, …) to derive request ids and identity-number serials from.
    pub key: u32,
    /// The members, applicant first.
    pub members: Vec<DemoMember>,
    /// The monthly applications, oldest first; months without one are absent.
    pub months: Vec<DemoMonth>,
}

impl DemoHousehold {
    /// The household's application for `month`, if it applied.
    pub fn month(&self, month: YearMonth) -> Option<&DemoMonth> {
        self.months.iter().find(|m| m.month == month)
    }

    /// Whether the household is expected to be granted assistance for `month`.
    pub fn granted_in(&self, month: YearMonth) -> bool {
        self.month(month).is_some_and(|m| m.expected == ExpectedOutcome::Granted)
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same history everywhere.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    /// True with `percent` % probability.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The cohort a household belongs to, deciding its months on assistance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cohort {
    /// On assistance through both Augusts.
    Stayer,
    /// On assistance in August 2019, gone before August 2020.
    Leaver,
    /// Starts in 2020 and is on assistance in August 2020.
    Newcomer,
    /// Short spells in neither August.
    Occasional,
}

const STAYERS: u32 = 40;
const LEAVERS: u32 = 58;
const NEWCOMERS: u32 = 17;
const OCCASIONAL: u32 = 45;

fn ym(year: i32, month: u32) -> YearMonth {
    YearMonth::new(year, month).unwrap_or_else(|_| YearMonth::of(NaiveDate::MIN))
}

fn month_index(month: YearMonth) -> i64 {
    ym(FIRST_MONTH.0, FIRST_MONTH.1).months_until(month)
}

fn nth_month(index: i64) -> YearMonth {
    ym(FIRST_MONTH.0, FIRST_MONTH.1).add_months(index).unwrap_or_else(|| ym(FIRST_MONTH.0, FIRST_MONTH.1))
}

fn birth(dice: &mut Dice, year_low: i64, year_high: i64) -> NaiveDate {
    let year = i32::try_from(dice.between(year_low, year_high)).unwrap_or(1980);
    let month = u32::try_from(dice.between(1, 12)).unwrap_or(1);
    let day = u32::try_from(dice.between(1, 28)).unwrap_or(1);
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn sex(dice: &mut Dice) -> DemoSex {
    if dice.chance(50) { DemoSex::Man } else { DemoSex::Woman }
}

fn adult(dice: &mut Dice, role: DemoRole, sex: DemoSex, born_abroad: bool) -> DemoMember {
    DemoMember { role, birth_date: birth(dice, 1956, 2000), sex, born_abroad, lunch_at_school: false, consent: None }
}

/// The household's people: single adults, single parents, couples with and without children, and
/// some households with an adult sharing without being sambo.
fn members(dice: &mut Dice) -> Vec<DemoMember> {
    let born_abroad = dice.chance(45);
    let kind = dice.between(0, 99);
    let applicant_sex = sex(dice);
    let mut people = vec![adult(dice, DemoRole::Applicant, applicant_sex, born_abroad)];
    let (co_applicant, children, other_adult) = match kind {
        0..=44 => (false, 0, false),
        45..=69 => (false, dice.between(1, 3), false),
        70..=87 => (true, dice.between(1, 4), false),
        88..=94 => (true, 0, false),
        _ => (false, dice.between(0, 1), true),
    };
    if co_applicant {
        let other_sex = if applicant_sex == DemoSex::Man { DemoSex::Woman } else { DemoSex::Man };
        let co_born_abroad = born_abroad && dice.chance(85);
        people.push(adult(dice, DemoRole::CoApplicant, other_sex, co_born_abroad));
    }
    for _ in 0..children {
        let birth_date = birth(dice, 2004, 2018);
        people.push(DemoMember {
            role: DemoRole::Child,
            birth_date,
            sex: sex(dice),
            born_abroad: born_abroad && birth_date.year() < 2012,
            lunch_at_school: birth_date.year() >= 2013 && dice.chance(90),
            consent: None,
        });
    }
    if other_adult {
        let (lodger_sex, lodger_born_abroad) = (sex(dice), dice.chance(30));
        let mut lodger = adult(dice, DemoRole::OtherAdult, lodger_sex, lodger_born_abroad);
        lodger.birth_date = birth(dice, 1996, 2000);
        people.push(lodger);
    }
    people
}

/// The months on assistance, by index from [`FIRST_MONTH`]: one or two spells that respect the cohort's
/// Augusts (index 7 is August 2019, index 19 August 2020).
fn spells(dice: &mut Dice, cohort: Cohort) -> Vec<(i64, i64)> {
    const AUG_2019: i64 = 7;
    const AUG_2020: i64 = 19;
    match cohort {
        Cohort::Stayer => {
            let start = if dice.chance(70) { 0 } else { dice.between(1, AUG_2019) };
            let end = if dice.chance(50) { 35 } else { dice.between(AUG_2020, 34) };
            vec![(start, end)]
        }
        Cohort::Leaver => {
            let start = if dice.chance(40) { 0 } else { dice.between(1, AUG_2019) };
            let end = dice.between(AUG_2019, AUG_2020 - 1);
            let mut spells = vec![(start, end)];
            if dice.chance(20) {
                // Back on assistance in 2021 after a job ended.
                let again = dice.between(AUG_2020 + 4, 32);
                spells.push((again, dice.between(again, 35)));
            }
            spells
        }
        Cohort::Newcomer => {
            let start = dice.between(AUG_2019 + 5, AUG_2020);
            let end = dice.between(AUG_2020, 35);
            vec![(start, end)]
        }
        Cohort::Occasional => {
            // A short spell before August 2019, between the Augusts, or in 2021.
            let (low, high) = match dice.between(0, 2) {
                0 => (0, AUG_2019 - 1),
                1 => (AUG_2019 + 1, AUG_2020 - 1),
                _ => (AUG_2020 + 1, 35),
            };
            let start = dice.between(low, high);
            let end = dice.between(start, (start + 4).min(high));
            vec![(start, end)]
        }
    }
}

/// The household's monthly costs at the month's rent level (approved as claimed).
fn costs(dice: &mut Dice, people: &[DemoMember], rent_ore: i64) -> Vec<DemoCost> {
    let mut costs = vec![
        DemoCost { kind: CostKind::Housing, amount_ore: rent_ore },
        DemoCost { kind: CostKind::HouseholdElectricity, amount_ore: dice.between(300, 800) * 100 },
        DemoCost { kind: CostKind::HomeInsurance, amount_ore: dice.between(150, 300) * 100 },
    ];
    let small_children = people.iter().filter(|p| p.role == DemoRole::Child && p.birth_date.year() >= 2013).count();
    if small_children > 0 && dice.chance(40) {
        costs.push(DemoCost { kind: CostKind::Childcare, amount_ore: dice.between(100, 400) * 100 });
    }
    if dice.chance(10) {
        costs.push(DemoCost { kind: CostKind::Medicine, amount_ore: dice.between(100, 1_150) * 100 });
    }
    if dice.chance(5) {
        costs.push(DemoCost { kind: CostKind::EmergencyDentalCare, amount_ore: dice.between(500, 3_000) * 100 });
    }
    costs
}

/// Incomes in a granted month: child allowance, housing allowance, and for some adults activity support,
/// sickness benefit or a little salary; always below the month's costs so the calculation is positive.
fn granted_incomes(dice: &mut Dice, people: &[DemoMember], costs_ore: i64) -> Vec<DemoIncome> {
    let children = people.iter().filter(|p| p.role == DemoRole::Child).count() as i64;
    let mut incomes = Vec::new();
    if children > 0 {
        incomes.push(DemoIncome { kind: IncomeKind::ChildAllowance, member: 0, amount_ore: 125_000 * children });
        if dice.chance(60) {
            incomes.push(DemoIncome {
                kind: IncomeKind::HousingAllowance,
                member: 0,
                amount_ore: dice.between(800, 1_500) * 100,
            });
        }
    }
    for (index, person) in people.iter().enumerate() {
        if person.role == DemoRole::Child {
            continue;
        }
        let (kind, low, high) = match dice.between(0, 9) {
            0..=2 => (IncomeKind::ActivitySupport, 1_500, 4_000),
            3 => (IncomeKind::SicknessBenefit, 2_000, 5_000),
            4 | 5 => (IncomeKind::Salary, 1_000, 4_500),
            _ => continue,
        };
        incomes.push(DemoIncome { kind, member: index, amount_ore: dice.between(low, high) * 100 });
    }
    // Keep the household's own means below its costs: then riksnorm + costs − incomes > 0 whatever the norm.
    let mut total: i64 = incomes.iter().map(|i| i.amount_ore).sum();
    while total >= costs_ore {
        let Some(last) = incomes.pop() else { break };
        total -= last.amount_ore;
    }
    incomes
}

/// Incomes in a refused month: a salary that covers costs and any norm by a wide margin.
fn refused_incomes(dice: &mut Dice, people: &[DemoMember], costs_ore: i64) -> Vec<DemoIncome> {
    let persons = people.len() as i64;
    let margin = (25_000 + 6_000 * persons + dice.between(0, 3_000)) * 100;
    vec![DemoIncome { kind: IncomeKind::Salary, member: 0, amount_ore: costs_ore + margin }]
}

fn household(key: u32, cohort: Cohort) -> DemoHousehold {
    let mut dice = Dice(0x7472_6170_7061_6e00 ^ u64::from(key).wrapping_mul(0x1000_0000_01b3));
    let mut people = members(&mut dice);
    let spells = spells(&mut dice, cohort);
    let persons = people.len() as i64;
    let base_rent = (4_800 + 1_400 * persons + dice.between(0, 1_500)) * 100;
    let mut months = Vec::new();
    for (start, end) in &spells {
        for index in *start..=*end {
            let month = nth_month(index);
            // Rents rise about 2 % a year.
            let rent = base_rent + base_rent * 2 * (index / 12) / 100;
            let costs = costs(&mut dice, &people, rent);
            let costs_ore: i64 = costs.iter().map(|c| c.amount_ore).sum();
            let incomes = granted_incomes(&mut dice, &people, costs_ore);
            months.push(DemoMonth { month, costs, incomes, expected: ExpectedOutcome::Granted });
        }
        // Some leave the way the method hopes: a month of salary that brings avslag, then no more applications.
        let after = end + 1;
        if after <= 35 && !covers_target_august(after, cohort) && dice.chance(35) {
            let rent = base_rent + base_rent * 2 * (after / 12) / 100;
            let costs = costs(&mut dice, &people, rent);
            let incomes = refused_incomes(&mut dice, &people, costs.iter().map(|c| c.amount_ore).sum());
            months.push(DemoMonth { month: nth_month(after), costs, incomes, expected: ExpectedOutcome::Refused });
        }
    }
    if cohort == Cohort::Occasional && key.is_multiple_of(5) {
        // Refused in an August: applied, but the household's own means covered the need.
        let august = if key.is_multiple_of(2) { 7 } else { 19 };
        if !months.iter().any(|m| month_index(m.month) == august) {
            let costs = costs(&mut dice, &people, base_rent);
            let incomes = refused_incomes(&mut dice, &people, costs.iter().map(|c| c.amount_ore).sum());
            months.push(DemoMonth { month: nth_month(august), costs, incomes, expected: ExpectedOutcome::Refused });
        }
    }
    months.sort_by_key(|m| m.month);
    months.dedup_by_key(|m| m.month);
    // About a third of the adults consent to sharing with the labour-market unit; most of them are referred.
    if let Some(first) = months.first().map(|m| m.month.first_day()) {
        for person in people.iter_mut().filter(|p| p.role != DemoRole::Child) {
            if dice.chance(35) {
                let given_on = first + chrono::Days::new(u64::try_from(dice.between(3, 20)).unwrap_or(3));
                person.consent = Some(DemoConsent { given_on, referred: dice.chance(80) });
            }
        }
    }
    DemoHousehold { key, members: people, months }
}

/// Whether a refusal at `index` would land on an August the cohort must not be refused in (a leaver's
/// refusal in August 2020 is fine: it is not granted; a stayer never has one there).
fn covers_target_august(index: i64, cohort: Cohort) -> bool {
    matches!(cohort, Cohort::Stayer | Cohort::Newcomer) && (index == 7 || index == 19)
}

/// The demo municipality's households and their histories for 2019-01..2021-12.
pub fn history() -> Vec<DemoHousehold> {
    let cohorts = [
        (Cohort::Stayer, STAYERS),
        (Cohort::Leaver, LEAVERS),
        (Cohort::Newcomer, NEWCOMERS),
        (Cohort::Occasional, OCCASIONAL),
    ];
    let mut key = 0;
    let mut households = Vec::new();
    for (cohort, count) in cohorts {
        for _ in 0..count {
            households.push(household(key, cohort));
            key += 1;
        }
    }
    households
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trappan_bistand::domain::household::age_in_years;

    fn granted(history: &[DemoHousehold], year: i32, month: u32) -> usize {
        history.iter().filter(|h| h.granted_in(ym(year, month))).count()
    }

    #[test]
    fn august_figures_are_the_municipality_s() {
        let history = history();
        assert_eq!(granted(&history, 2019, 8), 98);
        assert_eq!(granted(&history, 2020, 8), 57);
        let change = (57.0 - 98.0) / 98.0 * 100.0;
        assert!((change - -41.8_f64).abs() < 0.05, "{change}");
    }

    #[test]
    fn covers_2019_to_2021_and_nothing_else() {
        let history = history();
        let first = ym(FIRST_MONTH.0, FIRST_MONTH.1);
        let last = ym(LAST_MONTH.0, LAST_MONTH.1);
        for household in &history {
            assert!(household.months.iter().all(|m| first <= m.month && m.month <= last));
            assert!(household.months.windows(2).all(|w| w[0].month < w[1].month), "one application a month");
            assert!(!household.months.is_empty());
        }
        let mut month = first;
        loop {
            assert!(granted(&history, month.year(), month.month()) > 0, "{month:?} has households on assistance");
            if month == last {
                break;
            }
            month = month.next();
        }
    }

    #[test]
    fn deterministic() {
        assert_eq!(history(), history());
    }

    #[test]
    fn outcomes_follow_from_costs_and_incomes() {
        for household in history() {
            for month in &household.months {
                assert!(month.costs.iter().all(|c| c.amount_ore > 0));
                assert!(month.costs.iter().any(|c| c.kind == CostKind::Housing));
                assert!(month.incomes.iter().all(|i| i.amount_ore > 0 && i.member < household.members.len()));
                match month.expected {
                    ExpectedOutcome::Granted => assert!(month.incomes_ore() < month.costs_ore()),
                    ExpectedOutcome::Refused => {
                        // 25 000 kr plus 6 000 kr a person: more than any household's riksnorm.
                        let persons = household.members.len() as i64;
                        assert!(month.incomes_ore() > month.costs_ore() + 2_500_000 + 600_000 * persons);
                    }
                }
            }
        }
    }

    #[test]
    fn realistic_mix() {
        let history = history();
        let first = ym(FIRST_MONTH.0, FIRST_MONTH.1).first_day();
        let has = |role: DemoRole, h: &DemoHousehold| h.members.iter().any(|m| m.role == role);
        let single = history.iter().filter(|h| h.members.len() == 1).count();
        let single_parents =
            history.iter().filter(|h| has(DemoRole::Child, h) && !has(DemoRole::CoApplicant, h)).count();
        let couples_with = history.iter().filter(|h| has(DemoRole::CoApplicant, h) && has(DemoRole::Child, h)).count();
        let couples_without =
            history.iter().filter(|h| has(DemoRole::CoApplicant, h) && !has(DemoRole::Child, h)).count();
        let others = history.iter().filter(|h| has(DemoRole::OtherAdult, h)).count();
        for (what, count) in [
            ("single adults", single),
            ("single parents", single_parents),
            ("couples with children", couples_with),
            ("couples without children", couples_without),
            ("other adults", others),
        ] {
            assert!(count >= 3, "{what}: {count}");
        }
        assert!(single > single_parents && single_parents > couples_without, "single adults dominate");
        let abroad = history.iter().filter(|h| h.members[0].born_abroad).count();
        assert!((40..=110).contains(&abroad), "{abroad} applicants born abroad");
        let consents = history.iter().flat_map(|h| &h.members).filter(|m| m.consent.is_some()).count();
        let referred =
            history.iter().flat_map(|h| &h.members).filter(|m| m.consent.is_some_and(|c| c.referred)).count();
        assert!(consents >= 20 && referred >= 10 && referred < consents, "{consents} consents, {referred} referred");
        for household in &history {
            assert_eq!(household.members[0].role, DemoRole::Applicant);
            for member in &household.members {
                let age = age_in_years(member.birth_date, first);
                match member.role {
                    DemoRole::Child => assert!(age < 18, "children are children"),
                    _ => assert!(age >= 18, "adults are adults"),
                }
            }
            for member in household.members.iter().filter(|m| m.consent.is_some()) {
                assert_ne!(member.role, DemoRole::Child);
                let given = member.consent.unwrap().given_on;
                assert!(household.months.first().unwrap().month.first_day() <= given);
            }
        }
        let incomes: Vec<IncomeKind> =
            history.iter().flat_map(|h| &h.months).flat_map(|m| &m.incomes).map(|i| i.kind).collect();
        for kind in [IncomeKind::Salary, IncomeKind::ChildAllowance, IncomeKind::HousingAllowance] {
            assert!(incomes.contains(&kind), "{kind:?}");
        }
    }

    #[test]
    fn spells_on_and_off_long_term_and_refusals() {
        let history = history();
        let long_term_2019 =
            history.iter().filter(|h| (1..=12).filter(|m| h.granted_in(ym(2019, *m))).count() >= 10).count();
        assert!(long_term_2019 >= 20, "{long_term_2019} long-term households in 2019");
        let refused_months = history.iter().flat_map(|h| &h.months).filter(|m| m.expected == ExpectedOutcome::Refused);
        assert!(refused_months.count() >= 10, "some avslag months");
        let back_again =
            history.iter().filter(|h| h.months.windows(2).any(|w| w[0].month.months_until(w[1].month) > 1)).count();
        assert!(back_again >= 3, "{back_again} households come back after a break");
        let august_refused = history.iter().filter(|h| h.month(ym(2019, 8)).is_some_and(|m| !h.granted_in(m.month)));
        assert!(august_refused.count() >= 1, "an August avslag does not count as granted");
    }
}
