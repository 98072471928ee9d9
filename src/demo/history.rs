//! The demo municipality's assistance history, 2019-01 to 2021-12: households and their month-by-month
//! applications, shaped like the municipality in the domain brief: 98 households granted assistance in
//! August 2019 and 57 in August 2020 (−41.8 %), 53 fewer children in them, and a caseload that falls from
//! about 120 households a month in the first half of 2019 to 72 in January 2020, so that the 2020 forecast
//! comes in about 45 % under a budget set on 2019's outcome.
//!
//! Pure and deterministic: no I/O, no clock, no global random state; the same call gives the same
//! history, so seeding it twice through the gRPC API (with request ids derived from
//! [`DemoHousehold::key`] and the month) adds nothing. Plain structs, independent of the API types:
//! seeding maps them onto the RPCs.
//!
//! # How the figures are guaranteed
//! Households are built in cohorts: on assistance through both Augusts, in August 2019 only
//! (most of them leave in the autumn of 2019), from early 2019 until before August 2019, from between the
//! Augusts into August 2020, and short spells in neither August (some of them refused in an August). The
//! leavers' and newcomers' children are balanced to make the 53. The expected outcome of each month does not
//! depend on the norm tables: in a granted month the household's incomes are below its approved costs plus
//! the lowest norm a person can have, so the calculation is positive whatever the norm; in a refused month
//! (avslag) the incomes exceed the costs by more than any household's norm. A rent above the local guideline
//! is approved at the guideline: those months are a delvis bifall.
//!
//! The levels follow the national figures: about 8 800 kr paid per household and month, and about 1.8 times
//! as many households in a year as in a month.

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
    /// Bifall: every cost approved as claimed, and the calculation is positive.
    Granted,
    /// Delvis bifall: a cost approved below the claim (a rent above the guideline), the rest granted.
    PartlyGranted,
    /// Avslag: the household's own incomes cover the need.
    Refused,
}

/// A claimed cost of a month and what the decision approves of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCost {
    /// What kind of cost.
    pub kind: CostKind,
    /// The amount claimed, in öre.
    pub amount_ore: i64,
    /// The amount approved, in öre: as claimed, or a rent at the local guideline.
    pub approved_ore: i64,
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

    /// The sum of the approved costs, in öre.
    pub fn approved_costs_ore(&self) -> i64 {
        self.costs.iter().map(|c| c.approved_ore).sum()
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

    /// Whether the household is expected to be granted assistance (in full or in part) for `month`.
    pub fn granted_in(&self, month: YearMonth) -> bool {
        self.month(month).is_some_and(|m| m.expected != ExpectedOutcome::Refused)
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same demo everywhere. The other
/// services' demo data draw from it too.
pub(crate) struct Dice(u64);

impl Dice {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    /// True with `percent` % probability.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The cohort a household belongs to, deciding its months on assistance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cohort {
    /// On assistance through both Augusts.
    Stayer,
    /// On assistance in August 2019, gone before August 2020: most of them within months, as the
    /// method took hold.
    Leaver,
    /// On assistance at the start of 2019, gone before August 2019.
    EarlyLeaver,
    /// Starts between the Augusts and is on assistance in August 2020.
    Newcomer,
    /// Short spells in neither August: the turnover of a municipality's caseload.
    Occasional,
}

/// Cohort sizes: stayers + leavers = 98 (August 2019), stayers + newcomers = 57 (August 2020); the early
/// leavers and the occasional households make the year's turnover about 1.8 times the monthly count.
const COHORTS: [(Cohort, u32); 5] = [
    (Cohort::Stayer, 34),
    (Cohort::Leaver, 64),
    (Cohort::Newcomer, 23),
    (Cohort::EarlyLeaver, 50),
    (Cohort::Occasional, 100),
];

/// Children in assisted households in August 2019 minus August 2020: 53 fewer, as in the domain brief.
pub const FEWER_CHILDREN_IN_AUGUST_2020: i64 = 53;

/// Index of August 2019 and August 2020 from [`FIRST_MONTH`].
const AUG_2019: i64 = 7;
const AUG_2020: i64 = 19;
/// Index of the last month, December 2021.
const LAST: i64 = 35;

/// The lowest riksnorm any person had in 2019–2021 (a child of three without lunch at home, 1 940 kr, or a
/// sambo's half of 5 570 kr, plus at least 990 kr of common cost for the household) is above 1 900 kr: a
/// case's incomes below its costs plus 1 900 kr a person leave a positive calculation whatever the norm.
const NORM_FLOOR_PER_PERSON_ORE: i64 = 1_900 * 100;

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

fn child(dice: &mut Dice, born_abroad: bool) -> DemoMember {
    let birth_date = birth(dice, 2004, 2018);
    DemoMember {
        role: DemoRole::Child,
        birth_date,
        sex: sex(dice),
        born_abroad: born_abroad && birth_date.year() < 2012,
        lunch_at_school: birth_date.year() >= 2013 && dice.chance(90),
        consent: None,
    }
}

/// The household's people: single adults, single parents, couples with and without children, and
/// some households with an adult sharing without being sambo. The families who left assistance between
/// the Augusts are more often parents (the method's story: 53 fewer children), those who came in 2020
/// more often single adults.
fn members(dice: &mut Dice, cohort: Cohort) -> Vec<DemoMember> {
    let born_abroad = dice.chance(45);
    let kind = match cohort {
        Cohort::Leaver => dice.between(25, 99),
        Cohort::Newcomer => dice.between(0, 79),
        _ => dice.between(0, 99),
    };
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
        people.push(child(dice, born_abroad));
    }
    if other_adult {
        let (lodger_sex, lodger_born_abroad) = (sex(dice), dice.chance(30));
        let mut lodger = adult(dice, DemoRole::OtherAdult, lodger_sex, lodger_born_abroad);
        lodger.birth_date = birth(dice, 1996, 2000);
        people.push(lodger);
    }
    people
}

fn children_of(people: &[DemoMember]) -> i64 {
    people.iter().filter(|p| p.role == DemoRole::Child).count() as i64
}

/// Makes the leavers' children outnumber the newcomers' by exactly [`FEWER_CHILDREN_IN_AUGUST_2020`]
/// (the stayers are in both Augusts and cancel out): the dice come close, and the leaving families in turn
/// have one child more (or fewer) until the figure is the municipality's.
fn balance_children(households: &mut [(Cohort, Dice, Vec<DemoMember>)]) {
    let difference = |households: &[(Cohort, Dice, Vec<DemoMember>)]| -> i64 {
        households
            .iter()
            .map(|(cohort, _, people)| match cohort {
                Cohort::Leaver => children_of(people),
                Cohort::Newcomer => -children_of(people),
                _ => 0,
            })
            .sum()
    };
    let families: Vec<usize> = (0..households.len())
        .filter(|&i| households[i].0 == Cohort::Leaver && children_of(&households[i].2) > 0)
        .collect();
    let mut gap = FEWER_CHILDREN_IN_AUGUST_2020 - difference(households);
    // Bounded: a gap the families cannot close is left for the tests to report.
    for &index in families.iter().cycle().take(families.len() * 8) {
        if gap == 0 {
            break;
        }
        let (_, dice, people) = &mut households[index];
        if gap > 0 {
            let born_abroad = people[0].born_abroad;
            people.push(child(dice, born_abroad));
            gap -= 1;
        } else if children_of(people) > 1
            && let Some(last) = people.iter().rposition(|p| p.role == DemoRole::Child)
        {
            people.remove(last);
            gap += 1;
        }
    }
}

/// The months on assistance, by index from [`FIRST_MONTH`]: one or two spells that respect the cohort's
/// Augusts. Numbers on assistance fall from about 120 households in the first half of 2019 through 98 in
/// August and 83 in December to 72 in January 2020 and 57 in August 2020, then stay between 56 and 62
/// until the autumn of 2021 (the history ends, so fewer spells run on into December 2021).
fn spells(dice: &mut Dice, cohort: Cohort) -> Vec<(i64, i64)> {
    match cohort {
        Cohort::Stayer => {
            let start = if dice.chance(80) { 0 } else { dice.between(1, AUG_2019) };
            let end = if dice.chance(65) { LAST } else { dice.between(AUG_2020, LAST - 1) };
            vec![(start, end)]
        }
        Cohort::Leaver => {
            let start = if dice.chance(70) { 0 } else { dice.between(1, AUG_2019) };
            // Most leave in the autumn of 2019: the earlier of two dates between the Augusts.
            let span = AUG_2020 - 1 - AUG_2019;
            let end = AUG_2019 + dice.between(0, span).min(dice.between(0, span));
            let mut spells = vec![(start, end)];
            if dice.chance(15) {
                // Back on assistance in 2021 after a job ended.
                let again = dice.between(AUG_2020 + 4, LAST - 3);
                spells.push((again, dice.between(again, LAST)));
            }
            spells
        }
        Cohort::EarlyLeaver => {
            let start = if dice.chance(85) { 0 } else { dice.between(1, 3) };
            vec![(start, dice.between(start, AUG_2019 - 1))]
        }
        Cohort::Newcomer => {
            let start = dice.between(AUG_2019 + 3, AUG_2020);
            let end = if dice.chance(60) { LAST } else { dice.between(AUG_2020, LAST - 1) };
            vec![(start, end)]
        }
        Cohort::Occasional => {
            // One to four months at some time outside the Augusts.
            let (low, high) = match dice.between(0, 9) {
                0..=1 => (0, AUG_2019 - 1),
                2..=5 => (AUG_2019 + 1, AUG_2020 - 1),
                _ => (AUG_2020 + 1, LAST),
            };
            let start = dice.between(low, high);
            let length = dice.between(0, 3);
            let end = dice.between(start, (start + length).min(high));
            vec![(start, end)]
        }
    }
}

/// The local guideline's reasonable rent for a household of `persons` (skälig boendekostnad): a rent above
/// it is approved at the guideline, and the month is a delvis bifall.
fn rent_cap_ore(persons: i64) -> i64 {
    (5_000 + 1_000 * persons) * 100
}

/// The household's monthly costs at the month's rent level. Housing above the guideline is approved at
/// the guideline; everything else as claimed.
fn costs(dice: &mut Dice, people: &[DemoMember], rent_ore: i64) -> Vec<DemoCost> {
    let persons = people.len() as i64;
    let claimed = |kind: CostKind, amount_ore: i64| DemoCost { kind, amount_ore, approved_ore: amount_ore };
    let mut costs = vec![
        DemoCost { kind: CostKind::Housing, amount_ore: rent_ore, approved_ore: rent_ore.min(rent_cap_ore(persons)) },
        claimed(CostKind::HouseholdElectricity, dice.between(250, 600) * 100),
        claimed(CostKind::HomeInsurance, dice.between(120, 250) * 100),
    ];
    let small_children = people.iter().filter(|p| p.role == DemoRole::Child && p.birth_date.year() >= 2013).count();
    if small_children > 0 && dice.chance(30) {
        costs.push(claimed(CostKind::Childcare, dice.between(100, 400) * 100));
    }
    if dice.chance(10) {
        costs.push(claimed(CostKind::Medicine, dice.between(100, 1_150) * 100));
    }
    if dice.chance(4) {
        costs.push(claimed(CostKind::EmergencyDentalCare, dice.between(500, 3_000) * 100));
    }
    costs
}

/// Incomes in a granted month: child allowance, housing allowance and maintenance support for families,
/// and for most adults activity support, sickness benefit or a part-time salary that does not cover the
/// need. The lodger is their own case, so their means are not declared here. The total stays below the
/// approved costs plus [`NORM_FLOOR_PER_PERSON_ORE`] a person, so the calculation is positive.
fn granted_incomes(dice: &mut Dice, people: &[DemoMember], approved_costs_ore: i64) -> Vec<DemoIncome> {
    let children = children_of(people);
    let mut incomes = Vec::new();
    if children > 0 {
        incomes.push(DemoIncome { kind: IncomeKind::ChildAllowance, member: 0, amount_ore: 125_000 * children });
        if dice.chance(70) {
            incomes.push(DemoIncome {
                kind: IncomeKind::HousingAllowance,
                member: 0,
                amount_ore: dice.between(1_000, 2_800) * 100,
            });
        }
        if !people.iter().any(|p| p.role == DemoRole::CoApplicant) && dice.chance(50) {
            incomes.push(DemoIncome {
                kind: IncomeKind::MaintenanceSupport,
                member: 0,
                amount_ore: 157_300 * children.min(2),
            });
        }
    }
    for (index, person) in people.iter().enumerate() {
        if matches!(person.role, DemoRole::Child | DemoRole::OtherAdult) {
            continue;
        }
        let (kind, low, high) = match dice.between(0, 9) {
            0..=2 => (IncomeKind::ActivitySupport, 2_500, 6_500),
            3 => (IncomeKind::SicknessBenefit, 3_000, 7_000),
            4..=6 => (IncomeKind::Salary, 1_500, 6_000),
            _ => continue,
        };
        incomes.push(DemoIncome { kind, member: index, amount_ore: dice.between(low, high) * 100 });
    }
    let case_persons = people.iter().filter(|p| p.role != DemoRole::OtherAdult).count() as i64;
    let limit = approved_costs_ore + NORM_FLOOR_PER_PERSON_ORE * case_persons;
    let mut total: i64 = incomes.iter().map(|i| i.amount_ore).sum();
    while total >= limit {
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

/// A month the household's own means cover (avslag).
fn refused_month(dice: &mut Dice, people: &[DemoMember], rent_ore: i64, index: i64) -> DemoMonth {
    let costs = costs(dice, people, rent_ore);
    let incomes = refused_incomes(dice, people, costs.iter().map(|c| c.amount_ore).sum());
    DemoMonth { month: nth_month(index), costs, incomes, expected: ExpectedOutcome::Refused }
}

/// The months of one household with the people `people`, from its own dice.
fn months(dice: &mut Dice, key: u32, cohort: Cohort, people: &[DemoMember]) -> Vec<DemoMonth> {
    let spells = spells(dice, cohort);
    let persons = people.len() as i64;
    // About one household in fifteen rents above the guideline (every month a delvis bifall).
    let base_rent = if dice.chance(7) {
        rent_cap_ore(persons) + dice.between(800, 1_800) * 100
    } else {
        (2_800 + 950 * persons + dice.between(0, 1_200)) * 100
    };
    // Rents rise about 2 % a year.
    let rent = |index: i64| base_rent + base_rent * 2 * (index / 12) / 100;
    let mut months = Vec::new();
    for (start, end) in &spells {
        for index in *start..=*end {
            let costs = costs(dice, people, rent(index));
            let approved: i64 = costs.iter().map(|c| c.approved_ore).sum();
            let incomes = granted_incomes(dice, people, approved);
            let expected = if costs.iter().any(|c| c.approved_ore < c.amount_ore) {
                ExpectedOutcome::PartlyGranted
            } else {
                ExpectedOutcome::Granted
            };
            months.push(DemoMonth { month: nth_month(index), costs, incomes, expected });
        }
        // Some leave the way the method hopes: a month of salary that brings avslag, then no more applications.
        let after = end + 1;
        if after <= LAST && !covers_target_august(after, cohort) && dice.chance(35) {
            months.push(refused_month(dice, people, rent(after), after));
        }
    }
    if cohort == Cohort::Occasional && key.is_multiple_of(7) {
        // Refused in an August: applied, but the household's own means covered the need.
        let august = if key.is_multiple_of(2) { AUG_2019 } else { AUG_2020 };
        if !months.iter().any(|m| month_index(m.month) == august) {
            months.push(refused_month(dice, people, base_rent, august));
        }
    }
    months.sort_by_key(|m| m.month);
    months.dedup_by_key(|m| m.month);
    months
}

/// Whether a refusal at `index` would land on an August the cohort must not be refused in (a leaver's
/// refusal in August 2020 is fine: it is not granted; a stayer never has one there).
fn covers_target_august(index: i64, cohort: Cohort) -> bool {
    matches!(cohort, Cohort::Stayer | Cohort::Newcomer) && (index == AUG_2019 || index == AUG_2020)
}

/// About a third of the adults consent to sharing with the labour-market unit, at one of their first nine
/// applications (the households already on assistance when the method began in 2019 were asked during the
/// year); most of them are referred.
fn consents(dice: &mut Dice, people: &mut [DemoMember], months: &[DemoMonth]) {
    if months.is_empty() {
        return;
    }
    let last = months.len().min(9) as i64 - 1;
    for person in people.iter_mut().filter(|p| p.role != DemoRole::Child) {
        if dice.chance(35) {
            let month = months[usize::try_from(dice.between(0, last)).unwrap_or(0)].month.first_day();
            let given_on = month + chrono::Days::new(u64::try_from(dice.between(3, 20)).unwrap_or(3));
            person.consent = Some(DemoConsent { given_on, referred: dice.chance(80) });
        }
    }
}

/// The demo municipality's households and their histories for 2019-01..2021-12.
pub fn history() -> Vec<DemoHousehold> {
    // Who lives in each household first, so the children can be balanced before the months are made.
    let mut drawn = Vec::new();
    for (cohort, count) in COHORTS {
        for _ in 0..count {
            let key = drawn.len() as u32;
            let mut dice = Dice::new(0x7472_6170_7061_6e00 ^ u64::from(key).wrapping_mul(0x1000_0000_01b3));
            let people = members(&mut dice, cohort);
            drawn.push((cohort, dice, people));
        }
    }
    balance_children(&mut drawn);
    drawn
        .into_iter()
        .enumerate()
        .map(|(key, (cohort, mut dice, mut people))| {
            let key = key as u32;
            let months = months(&mut dice, key, cohort, &people);
            consents(&mut dice, &mut people, &months);
            DemoHousehold { key, members: people, months }
        })
        .collect()
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

    fn children(history: &[DemoHousehold], year: i32, month: u32) -> i64 {
        let month = ym(year, month);
        history.iter().filter(|h| h.granted_in(month)).map(|h| children_of(&h.members)).sum()
    }

    #[test]
    fn fifty_three_fewer_children_in_august_2020() {
        let history = history();
        assert_eq!(children(&history, 2019, 8) - children(&history, 2020, 8), FEWER_CHILDREN_IN_AUGUST_2020);
    }

    #[test]
    fn turnover_is_about_1_8_times_the_monthly_count() {
        let history = history();
        for year in [2019, 2020] {
            let in_year = history.iter().filter(|h| (1..=12).any(|m| h.granted_in(ym(year, m)))).count() as f64;
            let monthly = (1..=12).map(|m| granted(&history, year, m)).sum::<usize>() as f64 / 12.0;
            let turnover = in_year / monthly;
            assert!((1.6..=2.0).contains(&turnover), "{year}: {in_year} households, {monthly:.1} a month");
        }
    }

    #[test]
    fn some_months_are_partly_granted() {
        let partly =
            history().iter().flat_map(|h| &h.months).filter(|m| m.expected == ExpectedOutcome::PartlyGranted).count();
        assert!(partly >= 20, "{partly} delvis bifall");
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
                let persons = household.members.iter().filter(|m| m.role != DemoRole::OtherAdult).count() as i64;
                match month.expected {
                    ExpectedOutcome::Granted | ExpectedOutcome::PartlyGranted => {
                        assert!(month.incomes_ore() < month.approved_costs_ore() + NORM_FLOOR_PER_PERSON_ORE * persons);
                        let partly = month.approved_costs_ore() < month.costs_ore();
                        assert_eq!(partly, month.expected == ExpectedOutcome::PartlyGranted);
                    }
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
        let abroad = history.iter().filter(|h| h.members[0].born_abroad).count() * 100 / history.len();
        assert!((35..=55).contains(&abroad), "{abroad} % of the applicants born abroad");
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
