//! The riksnorm for a household and the försörjningsstöd calculation.
//!
//! # The norm ([`norm_for`])
//! Every rule in the header of `riksnorm.toml`:
//! - Ages are taken on the **last day of the month applied for** (a child who turns 7 on any day
//!   of the month is normed as 7 for the whole month; a child born during the month counts).
//! - Applicant without co-applicant: *ensamstående*. Applicant with co-applicant: the *sambor*
//!   amount for the couple, itemised as two rows of half each (the amounts are whole kronor, so
//!   the halves are whole öre; an odd öre would go to the applicant).
//! - Children living at home: by age band; under 7, the lower *utan lunch* amount when the child
//!   eats lunch at förskola/skola on weekdays (fails with [`NormError::MissingItem`] naming the
//!   year and band when the year's table lacks it). A 19–20-year-old is in the 19–20 band only
//!   when living at home in upper-secondary school; otherwise, and from 21, a "child" at home is
//!   normed as an adult sharing the household without being sambo.
//! - Common cost by household size (every member counted); beyond 7 persons
//!   `common[7] − common[6]` is added per extra person.
//! - An adult sharing the household without being sambo (listed in `other_adults`, or a child
//!   as above) gets *ensamstående* + common cost of the whole household / number of members.
//!   The share is rounded **half up to whole öre** (1 710 kr / 5 = 342 kr exactly, so the worked
//!   example 342 + 2 950 = 3 292 kr holds).
//!
//! The breakdown has one row per person plus one common-cost row. The household's norm is
//! `sum of personal costs + common cost for the household size`; each sharing adult's share of
//! the common cost is part of that adult's own row, and the common row carries the rest
//! (`common cost − the shares`), so the total is exactly that sum whatever the rounding.
//!
//! # The calculation ([`calculate`])
//! `försörjningsstöd = riksnorm + approved reasonable costs − all household income`, where two parts
//! of earned income (salary lines) are disregarded:
//! - **Children's own earned income**: the salary of a child living at home (under 18 on the last day
//!   of the month), or of a school youth living at home (under 21, in upper-secondary school), is not
//!   counted up to one prisbasbelopp per calendar year; only what exceeds it counts. Earlier months of
//!   the same year count against the ceiling ([`ChildIncomeAllowance`]). Former socialtjänstlagen
//!   (2001:453) 4 kap. 1 a § (wording of SFS 2013:421, verified); the provision of the socialtjänstlag
//!   (2025:400) that continues it is not verified here (`docs/law.md`). JO criticised a municipality
//!   for counting such income (dnr 2515-2012). Which children qualify is decided in [`norm_for`]
//!   ([`NormBreakdown::income_exempt_children`]).
//! - **Jobbstimulans**: while it is active, 25 % of each salary line of a person other than a child
//!   at home is disregarded (rounded **up** to whole öre per line, in the household's favour); it
//!   never applies to children's income (former SoL 4 kap. 1 b § third paragraph).
//!
//! A result ≤ 0 pays nothing and is flagged [`CalculationOutcome::OwnMeansCoverNeed`]. Rows are signed
//! (norm and costs positive, income negative, the jobbstimulans disregard positive) and add up
//! to [`Calculation::balance_ore`]; the order of rows follows the inputs, so the same inputs
//! reproduce the same calculation exactly.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::household::{Adult, Child, Household, PersonRef, age_in_years};
use super::jobbstimulans::{JobbstimulansStatus, disregarded_part};
use super::riksnorm::{AgeBand, NormError, NormItem, NormStatus, NormTable, NormTables};
use super::year_month::YearMonth;

/// Largest amount accepted on one cost or income line, in öre (1 000 000 000 kr).
pub const MAX_LINE_ORE: i64 = 100_000_000_000;

/// One row of the norm: a person's personal cost, or the common cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NormRow {
    /// Whose row it is; `None` for the common-cost row.
    pub person: Option<PersonRef>,
    /// Which riksnorm item the row uses.
    pub item: NormItem,
    /// The personal cost (for a sharing adult: the ensamstående amount), in öre.
    pub personal_ore: i64,
    /// A sharing adult's share of the common cost (0 for other rows), in öre.
    pub common_share_ore: i64,
    /// The row's total, `personal_ore + common_share_ore`, in öre.
    pub amount_ore: i64,
}

/// The riksnorm of a household for one month, itemised, with the figures' provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormBreakdown {
    year_month: YearMonth,
    status: NormStatus,
    source: String,
    household_size: usize,
    rows: Vec<NormRow>,
    total_ore: i64,
    income_exempt_children: Vec<PersonRef>,
}

impl NormBreakdown {
    /// The month the norm is for.
    pub fn year_month(&self) -> YearMonth {
        self.year_month
    }

    /// Official or derived figures (derived must be shown as unverified).
    pub fn status(&self) -> NormStatus {
        self.status
    }

    /// Where the year's figures come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of persons in the household.
    pub fn household_size(&self) -> usize {
        self.household_size
    }

    /// One row per person, then the common-cost row.
    pub fn rows(&self) -> &[NormRow] {
        &self.rows
    }

    /// The household's riksnorm for the month, in öre.
    pub fn total_ore(&self) -> i64 {
        self.total_ore
    }

    /// The children whose own earned income is disregarded up to one prisbasbelopp a year: those under 18
    /// on the last day of the month, and school youth under 21 in upper-secondary school.
    pub fn income_exempt_children(&self) -> &[PersonRef] {
        &self.income_exempt_children
    }
}

/// Whether a child living at home keeps their own earned income (former SoL 4 kap. 1 a §): a child under
/// 18, or a school youth under 21 (upper-secondary school is the schooling this model records).
fn keeps_own_earned_income(child: &Child, on: chrono::NaiveDate) -> bool {
    let age = age_in_years(child.birth_date, on);
    age < 18 || (age < 21 && child.in_upper_secondary)
}

/// Computes the household's riksnorm for `year_month` (rules in the module doc).
pub fn norm_for(household: &Household, year_month: YearMonth, tables: &NormTables) -> Result<NormBreakdown, NormError> {
    let table = tables.get(year_month.year())?;
    let on = year_month.last_day();
    let size = household.size();
    let common_total = table.common_cost(size);
    let share = div_round_half_up(common_total, size);
    let mut rows = Vec::with_capacity(size + 1);
    let mut shares_taken = 0i64;
    let mut income_exempt_children = Vec::new();

    let born = |adult: &Adult, who: PersonRef| {
        if adult.birth_date > on { Err(NormError::NotBorn(who)) } else { Ok(()) }
    };
    born(&household.applicant, PersonRef::Applicant)?;
    match &household.co_applicant {
        Some(co) => {
            born(co, PersonRef::CoApplicant)?;
            let half = table.sambor() / 2;
            rows.push(personal_row(PersonRef::Applicant, NormItem::SamborShare, table.sambor() - half));
            rows.push(personal_row(PersonRef::CoApplicant, NormItem::SamborShare, half));
        }
        None => rows.push(personal_row(PersonRef::Applicant, NormItem::Ensamstaende, table.ensamstaende())),
    }
    for (i, child) in household.children.iter().enumerate() {
        let who = PersonRef::Child(i);
        if child.birth_date > on {
            return Err(NormError::NotBorn(who));
        }
        if keeps_own_earned_income(child, on) {
            income_exempt_children.push(who);
        }
        let band = AgeBand::for_age(age_in_years(child.birth_date, on))
            .filter(|b| *b != AgeBand::Age19To20 || child.in_upper_secondary);
        match band {
            Some(band) if band.is_under_7() && child.lunch_away_on_weekdays => {
                let amount = table.child_without_lunch(band)?;
                rows.push(personal_row(who, NormItem::ChildWithoutLunch(band), amount));
            }
            Some(band) => {
                let amount = table.child_with_lunch(band);
                rows.push(personal_row(who, NormItem::Child(band), amount));
            }
            None => {
                rows.push(sharing_row(who, table, share));
                shares_taken += share;
            }
        }
    }
    for (i, adult) in household.other_adults.iter().enumerate() {
        let who = PersonRef::OtherAdult(i);
        born(adult, who)?;
        rows.push(sharing_row(who, table, share));
        shares_taken += share;
    }
    let common_rest = common_total - shares_taken;
    rows.push(NormRow {
        person: None,
        item: NormItem::CommonCost { household_size: size },
        personal_ore: 0,
        common_share_ore: common_rest,
        amount_ore: common_rest,
    });
    let total_ore = rows.iter().map(|r| r.amount_ore).sum();
    Ok(NormBreakdown {
        year_month,
        status: table.status(),
        source: table.source().to_owned(),
        household_size: size,
        rows,
        total_ore,
        income_exempt_children,
    })
}

/// A person's row with only a personal cost.
fn personal_row(who: PersonRef, item: NormItem, amount: i64) -> NormRow {
    NormRow { person: Some(who), item, personal_ore: amount, common_share_ore: 0, amount_ore: amount }
}

/// The row of an adult sharing the household without being sambo.
fn sharing_row(who: PersonRef, table: &NormTable, share: i64) -> NormRow {
    NormRow {
        person: Some(who),
        item: NormItem::SharingAdult,
        personal_ore: table.ensamstaende(),
        common_share_ore: share,
        amount_ore: table.ensamstaende() + share,
    }
}

/// `numerator / denominator` rounded half up, for non-negative numerators; 0 when dividing by 0.
fn div_round_half_up(numerator: i64, denominator: usize) -> i64 {
    let Ok(d) = i64::try_from(denominator) else {
        return 0;
    };
    if d == 0 {
        return 0;
    }
    (2 * numerator + d).div_euclid(2 * d)
}

/// Why a cost or income line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Claimed, approved or income amounts must be ≥ 0.
    #[error("amounts must not be negative")]
    NegativeAmount,
    /// An amount above [`MAX_LINE_ORE`].
    #[error("amount is implausibly large")]
    AmountTooLarge,
    /// An "other" cost needs a written motivation.
    #[error("an other cost needs a written motivation")]
    MotivationRequired,
}

/// The kinds of reasonable cost outside the norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CostKind {
    /// Boende (rent, housing fee).
    Housing,
    /// Hushållsel.
    HouseholdElectricity,
    /// Hemförsäkring.
    HomeInsurance,
    /// Arbetsresor.
    WorkTravel,
    /// Fackavgift and a-kassa.
    UnionAndUnemploymentFund,
    /// Barnomsorgsavgift.
    Childcare,
    /// Läkarvård.
    MedicalCare,
    /// Prescribed medicine.
    Medicine,
    /// Emergency dental care (akut tandvård).
    EmergencyDentalCare,
    /// Glasses.
    Glasses,
    /// Other, with a written motivation.
    Other,
}

/// The kinds of household income; all count, salary subject to jobbstimulans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IncomeKind {
    /// Net salary from employment (jobbstimulans applies).
    Salary,
    /// Unemployment benefit (a-kassa).
    UnemploymentBenefit,
    /// Sickness benefit (sjukpenning).
    SicknessBenefit,
    /// Activity support (aktivitetsstöd).
    ActivitySupport,
    /// Housing allowance (bostadsbidrag).
    HousingAllowance,
    /// Child allowance (barnbidrag).
    ChildAllowance,
    /// Maintenance support (underhållsstöd).
    MaintenanceSupport,
    /// Pension.
    Pension,
    /// Other income.
    Other,
}

/// A claimed cost with the amount approved as reasonable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostLine {
    kind: CostKind,
    person: Option<PersonRef>,
    claimed_ore: i64,
    approved_ore: i64,
    motivation: Option<String>,
}

/// Checks one amount on a line.
fn check_amount(ore: i64) -> Result<i64, LineError> {
    if ore < 0 {
        Err(LineError::NegativeAmount)
    } else if ore > MAX_LINE_ORE {
        Err(LineError::AmountTooLarge)
    } else {
        Ok(ore)
    }
}

impl CostLine {
    /// A cost of any kind but [`CostKind::Other`] (use [`CostLine::other`] for that).
    pub fn new(kind: CostKind, claimed_ore: i64, approved_ore: i64) -> Result<Self, LineError> {
        if kind == CostKind::Other {
            return Err(LineError::MotivationRequired);
        }
        Ok(Self {
            kind,
            person: None,
            claimed_ore: check_amount(claimed_ore)?,
            approved_ore: check_amount(approved_ore)?,
            motivation: None,
        })
    }

    /// An "other" cost, which needs a written motivation (not blank).
    pub fn other(claimed_ore: i64, approved_ore: i64, motivation: impl Into<String>) -> Result<Self, LineError> {
        let motivation = motivation.into();
        if motivation.trim().is_empty() {
            return Err(LineError::MotivationRequired);
        }
        Ok(Self {
            kind: CostKind::Other,
            person: None,
            claimed_ore: check_amount(claimed_ore)?,
            approved_ore: check_amount(approved_ore)?,
            motivation: Some(motivation),
        })
    }

    /// Attributes the cost to a household member (work travel, medicine, …).
    pub fn for_person(mut self, person: PersonRef) -> Self {
        self.person = Some(person);
        self
    }

    /// The same line with the claimed amount approved in full (a proposal's starting point).
    pub fn approved_as_claimed(&self) -> Self {
        Self { approved_ore: self.claimed_ore, ..self.clone() }
    }

    /// The kind of cost.
    pub fn kind(&self) -> CostKind {
        self.kind
    }

    /// The member the cost belongs to, if any.
    pub fn person(&self) -> Option<PersonRef> {
        self.person
    }

    /// The amount applied for, in öre.
    pub fn claimed_ore(&self) -> i64 {
        self.claimed_ore
    }

    /// The amount approved as reasonable, in öre.
    pub fn approved_ore(&self) -> i64 {
        self.approved_ore
    }

    /// The written motivation (always present for [`CostKind::Other`]).
    pub fn motivation(&self) -> Option<&str> {
        self.motivation.as_deref()
    }
}

/// A declared household income for the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IncomeLine {
    kind: IncomeKind,
    person: Option<PersonRef>,
    amount_ore: i64,
}

impl IncomeLine {
    /// An income of `amount_ore` (≥ 0) of the given kind.
    pub fn new(kind: IncomeKind, amount_ore: i64) -> Result<Self, LineError> {
        Ok(Self { kind, person: None, amount_ore: check_amount(amount_ore)? })
    }

    /// Attributes the income to a household member (needed to exempt children from
    /// jobbstimulans).
    pub fn for_person(mut self, person: PersonRef) -> Self {
        self.person = Some(person);
        self
    }

    /// The kind of income.
    pub fn kind(&self) -> IncomeKind {
        self.kind
    }

    /// The member the income belongs to, if any.
    pub fn person(&self) -> Option<PersonRef> {
        self.person
    }

    /// The amount, in öre.
    pub fn amount_ore(&self) -> i64 {
        self.amount_ore
    }

    /// Whether jobbstimulans can apply: salary of anyone but a child living at home.
    pub fn is_jobbstimulans_eligible(&self) -> bool {
        self.kind == IncomeKind::Salary && !matches!(self.person, Some(PersonRef::Child(_)))
    }
}

/// What a calculation row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A riksnorm row.
    Norm(NormItem),
    /// An approved cost (amount = approved).
    Cost(CostKind),
    /// An income (amount = −income).
    Income(IncomeKind),
    /// The jobbstimulans disregard of the salary row before it (amount = +25 %).
    JobbstimulansDisregard,
    /// The disregarded part of a child's own earned income on the salary row before it (amount = + the
    /// part within the year's prisbasbelopp).
    ChildIncomeDisregard,
}

impl fmt::Display for RowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowKind::Norm(item) => write!(f, "riksnorm: {item}"),
            RowKind::Cost(kind) => write!(f, "cost: {kind:?}"),
            RowKind::Income(kind) => write!(f, "income: {kind:?}"),
            RowKind::JobbstimulansDisregard => f.write_str("jobbstimulans: 25 % disregarded"),
            RowKind::ChildIncomeDisregard => {
                f.write_str("child's earned income: disregarded up to one prisbasbelopp a year")
            }
        }
    }
}

/// One signed row of a calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CalculationRow {
    /// What the row is.
    pub kind: RowKind,
    /// Whose row it is, where relevant.
    pub person: Option<PersonRef>,
    /// Signed amount in öre: positive adds to the need, negative is income.
    pub amount_ore: i64,
}

/// Whether the calculation leads to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CalculationOutcome {
    /// The need exceeds the income: försörjningsstöd is payable.
    Payable,
    /// The household's own means cover the need (result ≤ 0): nothing is paid.
    OwnMeansCoverNeed,
}

/// The itemised försörjningsstöd calculation for one household and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calculation {
    year_month: YearMonth,
    norm_status: NormStatus,
    jobbstimulans: JobbstimulansStatus,
    rows: Vec<CalculationRow>,
    norm_ore: i64,
    claimed_costs_ore: i64,
    approved_costs_ore: i64,
    gross_income_ore: i64,
    disregarded_income_ore: i64,
    balance_ore: i64,
    payment_ore: i64,
    outcome: CalculationOutcome,
}

impl Calculation {
    /// The month calculated.
    pub fn year_month(&self) -> YearMonth {
        self.year_month
    }

    /// Official or derived norm figures (derived must be shown as unverified).
    pub fn norm_status(&self) -> NormStatus {
        self.norm_status
    }

    /// The jobbstimulans status the calculation used.
    pub fn jobbstimulans(&self) -> JobbstimulansStatus {
        self.jobbstimulans
    }

    /// Every row in a fixed order: norm rows, costs, incomes (each salary followed by its
    /// disregard when jobbstimulans applies); they add up to [`Calculation::balance_ore`].
    pub fn rows(&self) -> &[CalculationRow] {
        &self.rows
    }

    /// The riksnorm, in öre.
    pub fn norm_ore(&self) -> i64 {
        self.norm_ore
    }

    /// Sum of claimed costs, in öre (for the record; the calculation uses approved).
    pub fn claimed_costs_ore(&self) -> i64 {
        self.claimed_costs_ore
    }

    /// Sum of approved costs, in öre.
    pub fn approved_costs_ore(&self) -> i64 {
        self.approved_costs_ore
    }

    /// The need: riksnorm + approved costs, in öre.
    pub fn need_ore(&self) -> i64 {
        self.norm_ore.saturating_add(self.approved_costs_ore)
    }

    /// All declared income, before any disregard, in öre.
    pub fn gross_income_ore(&self) -> i64 {
        self.gross_income_ore
    }

    /// Income disregarded (jobbstimulans and children's earned income), in öre.
    pub fn disregarded_income_ore(&self) -> i64 {
        self.disregarded_income_ore
    }

    /// Income counted against the need, in öre.
    pub fn counted_income_ore(&self) -> i64 {
        self.gross_income_ore - self.disregarded_income_ore
    }

    /// Need − counted income, in öre; may be negative.
    pub fn balance_ore(&self) -> i64 {
        self.balance_ore
    }

    /// Försörjningsstöd payable, in öre: the balance, or 0 when it is not positive.
    pub fn payment_ore(&self) -> i64 {
        self.payment_ore
    }

    /// Payable, or own means cover the need.
    pub fn outcome(&self) -> CalculationOutcome {
        self.outcome
    }
}

/// What the ceiling on children's own earned income leaves for one month.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ChildIncomeAllowance {
    /// The calendar year's prisbasbelopp in öre; `None` when no figure is loaded for the year (a
    /// calculation that needs it is then refused).
    pub prisbasbelopp_ore: Option<i64>,
    /// Per child, the earned income already disregarded in earlier months of the same calendar year, öre.
    pub disregarded_earlier_ore: Vec<(PersonRef, i64)>,
}

impl ChildIncomeAllowance {
    /// What is left of the ceiling for `child` this month (never below 0), when the figure is known.
    fn remaining_ore(&self, child: PersonRef) -> Option<i64> {
        let earlier: i64 =
            self.disregarded_earlier_ore.iter().filter(|(who, _)| *who == child).map(|(_, ore)| ore).sum();
        self.prisbasbelopp_ore.map(|ceiling| (ceiling - earlier).max(0))
    }
}

/// Why a calculation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalculationError {
    /// The riksnorm could not be computed.
    #[error(transparent)]
    Norm(#[from] NormError),
    /// A child's earned income needs the year's prisbasbelopp, and none is loaded.
    #[error("no prisbasbelopp is loaded for {year}: a child's earned income cannot be assessed")]
    MissingPrisbasbelopp {
        /// The calendar year.
        year: i32,
    },
}

/// Calculates försörjningsstöd from a norm, approved costs and incomes (rules in the module doc).
/// `child_income` is what the prisbasbelopp ceiling leaves for the household's children this month.
pub fn calculate(
    norm: &NormBreakdown,
    approved_costs: &[CostLine],
    incomes: &[IncomeLine],
    jobbstimulans: &JobbstimulansStatus,
    child_income: &ChildIncomeAllowance,
) -> Result<Calculation, CalculationError> {
    let mut rows = Vec::with_capacity(norm.rows().len() + approved_costs.len() + 2 * incomes.len());
    rows.extend(norm.rows().iter().map(|r| CalculationRow {
        kind: RowKind::Norm(r.item),
        person: r.person,
        amount_ore: r.amount_ore,
    }));
    let mut claimed = 0i64;
    let mut approved = 0i64;
    for cost in approved_costs {
        claimed = claimed.saturating_add(cost.claimed_ore);
        approved = approved.saturating_add(cost.approved_ore);
        rows.push(CalculationRow {
            kind: RowKind::Cost(cost.kind),
            person: cost.person,
            amount_ore: cost.approved_ore,
        });
    }
    let mut gross = 0i64;
    let mut disregarded = 0i64;
    let mut disregarded_now: Vec<(PersonRef, i64)> = Vec::new();
    for income in incomes {
        gross = gross.saturating_add(income.amount_ore);
        rows.push(CalculationRow {
            kind: RowKind::Income(income.kind),
            person: income.person,
            amount_ore: -income.amount_ore,
        });
        if let Some(child) =
            income.person.filter(|who| income.kind == IncomeKind::Salary && norm.income_exempt_children().contains(who))
        {
            let left = child_income
                .remaining_ore(child)
                .ok_or(CalculationError::MissingPrisbasbelopp { year: norm.year_month().year() })?;
            let used_now: i64 = disregarded_now.iter().filter(|(who, _)| *who == child).map(|(_, ore)| ore).sum();
            let part = income.amount_ore.min((left - used_now).max(0));
            if part > 0 {
                disregarded_now.push((child, part));
                disregarded = disregarded.saturating_add(part);
                rows.push(CalculationRow {
                    kind: RowKind::ChildIncomeDisregard,
                    person: Some(child),
                    amount_ore: part,
                });
            }
        }
        if jobbstimulans.is_active() && income.is_jobbstimulans_eligible() {
            let part = disregarded_part(income.amount_ore);
            disregarded = disregarded.saturating_add(part);
            rows.push(CalculationRow {
                kind: RowKind::JobbstimulansDisregard,
                person: income.person,
                amount_ore: part,
            });
        }
    }
    let balance = norm.total_ore().saturating_add(approved).saturating_sub(gross.saturating_sub(disregarded));
    let (payment, outcome) =
        if balance > 0 { (balance, CalculationOutcome::Payable) } else { (0, CalculationOutcome::OwnMeansCoverNeed) };
    Ok(Calculation {
        year_month: norm.year_month(),
        norm_status: norm.status(),
        jobbstimulans: *jobbstimulans,
        rows,
        norm_ore: norm.total_ore(),
        claimed_costs_ore: claimed,
        approved_costs_ore: approved,
        gross_income_ore: gross,
        disregarded_income_ore: disregarded,
        balance_ore: balance,
        payment_ore: payment,
        outcome,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::household::{Child, Sex};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    const KR: i64 = 100;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ym(s: &str) -> YearMonth {
        YearMonth::parse(s).unwrap()
    }

    fn tables() -> NormTables {
        NormTables::shipped().unwrap()
    }

    /// An adult born 1 January `year`.
    fn adult(year: i32) -> Adult {
        Adult { birth_date: d(year, 1, 1), sex: Some(Sex::Woman) }
    }

    /// A child born 1 January `year`, lunch at home, not in upper-secondary school.
    fn kid(year: i32) -> Child {
        Child { birth_date: d(year, 1, 1), lunch_away_on_weekdays: false, in_upper_secondary: false }
    }

    fn kid_lunch_away(year: i32) -> Child {
        Child { lunch_away_on_weekdays: true, ..kid(year) }
    }

    fn kid_in_school(year: i32) -> Child {
        Child { in_upper_secondary: true, ..kid(year) }
    }

    fn household(couple: bool, children: Vec<Child>, others: usize) -> Household {
        Household {
            applicant: adult(1980),
            co_applicant: couple.then(|| adult(1982)),
            children,
            other_adults: vec![adult(1995); others],
        }
    }

    fn norm(h: &Household, month: &str) -> i64 {
        norm_for(h, ym(month), &tables()).unwrap().total_ore()
    }

    // All months below are June: ages are taken on 30 June; everyone is born 1 January, so a
    // person born in year B is (Y − B) years old in June of year Y.

    #[test]
    fn norms_2014() {
        // 1. single: ensamstående 2 950 + common(1) 930 = 3 880
        assert_eq!(norm(&household(false, vec![], 0), "2014-06"), 3_880 * KR);
        // 2. couple: sambor 5 320 + common(2) 1 040 = 6 360
        assert_eq!(norm(&household(true, vec![], 0), "2014-06"), 6_360 * KR);
        // 3. single + child 0 lunch at home: 2 950 + 1 740 + common(2) 1 040 = 5 730
        assert_eq!(norm(&household(false, vec![kid(2014)], 0), "2014-06"), 5_730 * KR);
        // 4. couple + child 3 lunch away + child 8: 5 320 + 1 550 + 2 410 + common(4) 1 490 = 10 770
        assert_eq!(norm(&household(true, vec![kid_lunch_away(2011), kid(2006)], 0), "2014-06"), 10_770 * KR);
        // 6. couple + 7 children (0,1,3,5,9,13,17), 9 persons:
        //    5 320 + (1 740+1 980+1 730+1 980+2 410+2 840+3 250 = 15 930)
        //    + common(9) = 2 120 + 2 × (2 120 − 1 950) = 2 460  → 23 710
        let seven = vec![kid(2014), kid(2013), kid(2011), kid(2009), kid(2005), kid(2001), kid(1997)];
        assert_eq!(norm(&household(true, seven, 0), "2014-06"), 23_710 * KR);
        // 19. single + 2 lodgers, 3 persons: share = 1 310 / 3 = 436.666… → 436.67 kr (half up,
        //     öre); rows 2 950 + 2 × 3 386.67 + common rest (1 310 − 873.34 = 436.66)
        //     = 10 160 kr = 3 × 2 950 + 1 310
        let b = norm_for(&household(false, vec![], 2), ym("2014-06"), &tables()).unwrap();
        assert_eq!(b.rows()[1].common_share_ore, 43_667);
        assert_eq!(b.rows()[1].amount_ore, 338_667);
        assert_eq!(b.rows()[3].amount_ore, 43_666);
        assert_eq!(b.total_ore(), 10_160 * KR);
    }

    #[test]
    fn worked_example_2014() {
        // 5. single + children 5 (lunch away), 12, 16 + one adult lodger: 5 persons,
        //    common(5) = 1 710, the lodger: 1 710 / 5 + 2 950 = 3 292 kr
        //    total = 2 950 + 1 730 + 2 840 + 3 250 + 3 292 + (1 710 − 342 = 1 368) = 15 430
        //          = (2 950 + 1 730 + 2 840 + 3 250 + 2 950) + 1 710
        let h = household(false, vec![kid_lunch_away(2009), kid(2002), kid(1998)], 1);
        let b = norm_for(&h, ym("2014-06"), &tables()).unwrap();
        let lodger = b.rows().iter().find(|r| r.person == Some(PersonRef::OtherAdult(0))).unwrap();
        assert_eq!(lodger.item, NormItem::SharingAdult);
        assert_eq!(lodger.personal_ore, 2_950 * KR);
        assert_eq!(lodger.common_share_ore, 342 * KR);
        assert_eq!(lodger.amount_ore, 3_292 * KR);
        let common = b.rows().last().unwrap();
        assert_eq!(common.person, None);
        assert_eq!(common.item, NormItem::CommonCost { household_size: 5 });
        assert_eq!(common.amount_ore, 1_368 * KR);
        assert_eq!(b.total_ore(), 15_430 * KR);
        assert_eq!(b.rows().len(), 6);
        assert_eq!(b.household_size(), 5);
    }

    #[test]
    fn norms_2019() {
        // 7. single: 3 090 + 990 = 4 080
        assert_eq!(norm(&household(false, vec![], 0), "2019-06"), 4_080 * KR);
        // 8. couple: 5 570 + 1 100 = 6 670
        assert_eq!(norm(&household(true, vec![], 0), "2019-06"), 6_670 * KR);
        // 9. single + child 2 lunch away (2 190) + 19-year-old in gymnasium (3 910) + common(3) 1 380
        //    = 3 090 + 2 190 + 3 910 + 1 380 = 10 570
        assert_eq!(norm(&household(false, vec![kid_lunch_away(2017), kid_in_school(2000)], 0), "2019-06"), 10_570 * KR);
        // 10. single + 19-year-old NOT in school = sharing adult: 3 090 + (3 090 + 1 100/2 = 3 640)
        //     + common rest 550 = 7 280 = 2 × 3 090 + 1 100
        let b = norm_for(&household(false, vec![kid(2000)], 0), ym("2019-06"), &tables()).unwrap();
        assert_eq!(b.rows()[1].item, NormItem::SharingAdult);
        assert_eq!(b.rows()[1].amount_ore, 3_640 * KR);
        assert_eq!(b.total_ore(), 7_280 * KR);
        // 11. couple + child 4 (2 380) + child 6 lunch away (2 120) + common(4) 1 570
        //     = 5 570 + 2 380 + 2 120 + 1 570 = 11 640
        assert_eq!(norm(&household(true, vec![kid(2015), kid_lunch_away(2013)], 0), "2019-06"), 11_640 * KR);
    }

    #[test]
    fn norms_2020_derived() {
        // 12. single: 3 150 + 1 010 = 4 160, status derived
        let b = norm_for(&household(false, vec![], 0), ym("2020-06"), &tables()).unwrap();
        assert_eq!(b.total_ore(), 4_160 * KR);
        assert_eq!(b.status(), NormStatus::Derived);
        // 13. couple + child 11: 5 680 + 3 510 + common(3) 1 410 = 10 600
        assert_eq!(norm(&household(true, vec![kid(2009)], 0), "2020-06"), 10_600 * KR);
        // 14. single + 2 lodgers: 3 150 + 2 × (3 150 + 1 410/3 = 3 620) + rest 470 = 10 860
        assert_eq!(norm(&household(false, vec![], 2), "2020-06"), 10_860 * KR);
    }

    #[test]
    fn norms_2021() {
        // 15. single: 3 160 + 1 020 = 4 180
        assert_eq!(norm(&household(false, vec![], 0), "2021-06"), 4_180 * KR);
        // 16. couple + baby (0) lunch away: 5 700 + 2 050 + common(3) 1 420 = 9 170
        assert_eq!(norm(&household(true, vec![kid_lunch_away(2021)], 0), "2021-06"), 9_170 * KR);
        // 17. single + children 7, 10, 15: 3 160 + 3 060 + 3 060 + 3 970 + common(4) 1 610 = 14 860
        assert_eq!(norm(&household(false, vec![kid(2014), kid(2011), kid(2006)], 0), "2021-06"), 14_860 * KR);
        // 18. couple + 20-year-old in gymnasium + a lodger, 4 persons: share 1 610/4 = 402.50;
        //     5 700 + 4 000 + (3 160 + 402.50) + (1 610 − 402.50) = 14 470
        let b = norm_for(&household(true, vec![kid_in_school(2001)], 1), ym("2021-06"), &tables()).unwrap();
        assert_eq!(b.rows()[3].amount_ore, 356_250);
        assert_eq!(b.rows()[4].amount_ore, 120_750);
        assert_eq!(b.total_ore(), 14_470 * KR);
        // couple rows: two halves of 5 700
        assert_eq!(b.rows()[0].item, NormItem::SamborShare);
        assert_eq!(b.rows()[0].amount_ore, 2_850 * KR);
        assert_eq!(b.rows()[1].amount_ore, 2_850 * KR);
    }

    #[test]
    fn norms_2022() {
        // 20. single: 3 210 + 1 040 = 4 250
        assert_eq!(norm(&household(false, vec![], 0), "2022-06"), 4_250 * KR);
        // 21. couple + children 8 and 14: 5 800 + 3 110 + 3 580 + common(4) 1 640 = 14 130
        assert_eq!(norm(&household(true, vec![kid(2014), kid(2008)], 0), "2022-06"), 14_130 * KR);
        // 22. single + child 3 lunch at home: 3 210 + 2 210 + common(2) 1 150 = 6 570
        assert_eq!(norm(&household(false, vec![kid(2019)], 0), "2022-06"), 6_570 * KR);
    }

    #[test]
    fn norms_2023() {
        // 24. single: 3 490 + 1 130 = 4 620
        assert_eq!(norm(&household(false, vec![], 0), "2023-06"), 4_620 * KR);
        // 25. couple + children 0, 2, 16: 6 300 + 2 420 + 2 700 + 4 390 + common(5) 2 060 = 17 870
        assert_eq!(norm(&household(true, vec![kid(2023), kid(2021), kid(2007)], 0), "2023-06"), 17_870 * KR);
        // 26. single + 21-year-old child at home (adult sharing): 3 490 + (3 490 + 1 250/2 = 4 115)
        //     + rest 625 = 8 230 = 2 × 3 490 + 1 250
        assert_eq!(norm(&household(false, vec![kid_in_school(2002)], 0), "2023-06"), 8_230 * KR);
        // 27. couple + 6 children (0, 3, 5, 7, 12, 18), 8 persons:
        //     6 300 + (2 420 + 2 410 + 2 700 + 3 380 + 3 890 + 4 390 = 19 190)
        //     + common(8) = 2 510 + (2 510 − 2 330) = 2 690  → 28 180
        let six = vec![kid(2023), kid(2020), kid(2018), kid(2016), kid(2011), kid(2005)];
        assert_eq!(norm(&household(true, six, 0), "2023-06"), 28_180 * KR);
    }

    #[test]
    fn missing_year_and_items() {
        let t = tables();
        assert_eq!(norm_for(&household(false, vec![], 0), ym("2024-01"), &t), Err(NormError::MissingYear(2024)));
        // 23. 2022 has no without-lunch amounts: a 1-year-old eating lunch at förskola
        let err = norm_for(&household(false, vec![kid_lunch_away(2021)], 0), ym("2022-06"), &t).unwrap_err();
        assert_eq!(err, NormError::MissingItem { year: 2022, item: NormItem::ChildWithoutLunch(AgeBand::Age1To2) });
        assert!(err.to_string().contains("2022"));
        // lunch away does not matter from 7
        assert_eq!(norm(&household(false, vec![kid_lunch_away(2014)], 0), "2022-06"), (3_210 + 3_110 + 1_150) * KR);
    }

    #[test]
    fn age_is_taken_on_the_last_day_of_the_month() {
        let t = tables();
        let one = |birth: NaiveDate, month: &str| {
            let h = household(false, vec![Child { birth_date: birth, ..kid(2000) }], 0);
            norm_for(&h, ym(month), &t).map(|b| b.rows()[1].item)
        };
        // turns 7 on 30 June: 7-10 for all of June
        assert_eq!(one(d(2014, 6, 30), "2021-06"), Ok(NormItem::Child(AgeBand::Age7To10)));
        assert_eq!(one(d(2014, 7, 1), "2021-06"), Ok(NormItem::Child(AgeBand::Age4To6)));
        // born during the month: counted, age 0
        assert_eq!(one(d(2021, 6, 15), "2021-06"), Ok(NormItem::Child(AgeBand::Age0)));
        // born after the month
        assert_eq!(one(d(2021, 7, 1), "2021-06"), Err(NormError::NotBorn(PersonRef::Child(0))));
        // 29 February birthday: 6 on 28 Feb 2023, so 4-6
        assert_eq!(one(d(2016, 2, 29), "2023-02"), Ok(NormItem::Child(AgeBand::Age4To6)));
        // 19-20 band ends at 21
        let school = |birth| {
            let h = household(false, vec![Child { birth_date: birth, ..kid_in_school(2000) }], 0);
            norm_for(&h, ym("2021-06"), &t).map(|b| b.rows()[1].item)
        };
        assert_eq!(school(d(2001, 6, 30)), Ok(NormItem::Child(AgeBand::Age19To20)));
        assert_eq!(school(d(2000, 6, 30)), Ok(NormItem::SharingAdult));
    }

    #[test]
    fn rounding_half_up() {
        assert_eq!(div_round_half_up(5, 2), 3);
        assert_eq!(div_round_half_up(7, 2), 4);
        assert_eq!(div_round_half_up(1, 3), 0);
        assert_eq!(div_round_half_up(2, 3), 1);
        assert_eq!(div_round_half_up(171_000, 5), 34_200);
        assert_eq!(div_round_half_up(10, 0), 0);
    }

    fn single_2023() -> NormBreakdown {
        norm_for(&household(false, vec![], 0), ym("2023-06"), &tables()).unwrap()
    }

    #[test]
    fn calculation_adds_costs_and_subtracts_income() {
        let costs = [
            CostLine::new(CostKind::Housing, 7_000 * KR, 6_500 * KR).unwrap(),
            CostLine::new(CostKind::HouseholdElectricity, 300 * KR, 300 * KR).unwrap(),
        ];
        let incomes = [IncomeLine::new(IncomeKind::HousingAllowance, 1_000 * KR).unwrap()];
        let c =
            calculate(&single_2023(), &costs, &incomes, &JobbstimulansStatus::none(), &ChildIncomeAllowance::default())
                .unwrap();
        // 4 620 + 6 500 + 300 − 1 000 = 10 420
        assert_eq!(c.norm_ore(), 4_620 * KR);
        assert_eq!(c.claimed_costs_ore(), 7_300 * KR);
        assert_eq!(c.approved_costs_ore(), 6_800 * KR);
        assert_eq!(c.need_ore(), 11_420 * KR);
        assert_eq!(c.payment_ore(), 10_420 * KR);
        assert_eq!(c.outcome(), CalculationOutcome::Payable);
        assert_eq!(c.rows().iter().map(|r| r.amount_ore).sum::<i64>(), c.balance_ore());
        assert_eq!(c.rows().len(), 2 + 2 + 1);
        assert_eq!(c.year_month(), ym("2023-06"));
    }

    #[test]
    fn jobbstimulans_disregards_a_quarter_of_salary() {
        let active = JobbstimulansStatus::Active { start: ym("2023-01"), months_remaining: 19 };
        let incomes = [
            IncomeLine::new(IncomeKind::Salary, 4_000 * KR + 1).unwrap().for_person(PersonRef::Applicant),
            IncomeLine::new(IncomeKind::ChildAllowance, 1_250 * KR).unwrap(),
        ];
        let c = calculate(&single_2023(), &[], &incomes, &active, &ChildIncomeAllowance::default()).unwrap();
        // disregard = ceil(400 001 × 25 / 100) = ceil(100 000.25) = 100 001 öre
        assert_eq!(c.disregarded_income_ore(), 100_001);
        assert_eq!(c.counted_income_ore(), 400_001 - 100_001 + 125_000);
        // 462 000 − 425 000 = 37 000
        assert_eq!(c.payment_ore(), 37_000);
        assert_eq!(c.rows()[2].kind, RowKind::Income(IncomeKind::Salary));
        assert_eq!(c.rows()[3].kind, RowKind::JobbstimulansDisregard);
        assert_eq!(c.rows().iter().map(|r| r.amount_ore).sum::<i64>(), c.balance_ore());
        // inactive: everything counts
        let c =
            calculate(&single_2023(), &[], &incomes, &JobbstimulansStatus::none(), &ChildIncomeAllowance::default())
                .unwrap();
        assert_eq!(c.disregarded_income_ore(), 0);
        assert_eq!(c.payment_ore(), 0);
        assert_eq!(c.outcome(), CalculationOutcome::OwnMeansCoverNeed);
    }

    /// The 2023 prisbasbelopp (52 500 kr) with `earlier_kr` of child no. 1's earned income already
    /// disregarded in earlier months of the year.
    fn allowance_2023(earlier_kr: i64) -> ChildIncomeAllowance {
        ChildIncomeAllowance {
            prisbasbelopp_ore: Some(52_500 * KR),
            disregarded_earlier_ore: vec![(PersonRef::Child(0), earlier_kr * KR)],
        }
    }

    /// Single parent with one child born 1 January `child_born`, June 2023.
    fn parent_and_child_2023(child: Child) -> NormBreakdown {
        norm_for(&household(false, vec![child], 0), ym("2023-06"), &tables()).unwrap()
    }

    fn child_salary(kr: i64) -> IncomeLine {
        IncomeLine::new(IncomeKind::Salary, kr * KR).unwrap().for_person(PersonRef::Child(0))
    }

    #[test]
    fn a_childs_earned_income_is_not_counted_within_the_prisbasbelopp() {
        // Single parent + child 15 (born 2008), June 2023:
        // norm 3 490 + 4 390 (15-18) + common(2) 1 250 = 9 130.
        // The child earns 3 000 kr, nothing disregarded earlier this year: all 3 000 is disregarded.
        // Child allowance 1 250 counts. Payment = 9 130 − (3 000 − 3 000) − 1 250 = 7 880.
        let norm = parent_and_child_2023(kid(2008));
        assert_eq!(norm.total_ore(), 9_130 * KR);
        assert_eq!(norm.income_exempt_children(), &[PersonRef::Child(0)]);
        let incomes = [child_salary(3_000), IncomeLine::new(IncomeKind::ChildAllowance, 1_250 * KR).unwrap()];
        let c = calculate(&norm, &[], &incomes, &JobbstimulansStatus::none(), &allowance_2023(0)).unwrap();
        assert_eq!(c.gross_income_ore(), 4_250 * KR);
        assert_eq!(c.disregarded_income_ore(), 3_000 * KR);
        assert_eq!(c.counted_income_ore(), 1_250 * KR);
        assert_eq!(c.payment_ore(), 7_880 * KR);
        // rows: 3 norm rows, the salary (−3 000), its disregard (+3 000), the child allowance (−1 250)
        assert_eq!(c.rows()[3].kind, RowKind::Income(IncomeKind::Salary));
        assert_eq!(c.rows()[4].kind, RowKind::ChildIncomeDisregard);
        assert_eq!(c.rows()[4].person, Some(PersonRef::Child(0)));
        assert_eq!(c.rows()[4].amount_ore, 3_000 * KR);
        assert_eq!(c.rows().iter().map(|r| r.amount_ore).sum::<i64>(), c.balance_ore());
        // With jobbstimulans active the child's salary still gets no 25 % on top (former SoL 4 kap. 1 b §).
        let active = JobbstimulansStatus::Active { start: ym("2023-01"), months_remaining: 19 };
        let c = calculate(&norm, &[], &incomes, &active, &allowance_2023(0)).unwrap();
        assert_eq!(c.disregarded_income_ore(), 3_000 * KR);
        assert_eq!(c.payment_ore(), 7_880 * KR);
    }

    #[test]
    fn the_ceiling_is_per_calendar_year_and_crossed_mid_year() {
        // Same household (norm 9 130). Earlier months of 2023 already disregarded 50 000 kr of the
        // 52 500 kr prisbasbelopp: 2 500 kr is left. The child earns 4 000 kr this month:
        // 2 500 disregarded, 1 500 counted. Payment = 9 130 − 1 500 = 7 630.
        let norm = parent_and_child_2023(kid(2008));
        let c = calculate(&norm, &[], &[child_salary(4_000)], &JobbstimulansStatus::none(), &allowance_2023(50_000))
            .unwrap();
        assert_eq!(c.disregarded_income_ore(), 2_500 * KR);
        assert_eq!(c.counted_income_ore(), 1_500 * KR);
        assert_eq!(c.payment_ore(), 7_630 * KR);
        // Two salary lines in one month share what is left: 2 000 + 2 000 with 2 500 left → 2 000 + 500.
        let c = calculate(
            &norm,
            &[],
            &[child_salary(2_000), child_salary(2_000)],
            &JobbstimulansStatus::none(),
            &allowance_2023(50_000),
        )
        .unwrap();
        let parts: Vec<i64> =
            c.rows().iter().filter(|r| r.kind == RowKind::ChildIncomeDisregard).map(|r| r.amount_ore).collect();
        assert_eq!(parts, vec![2_000 * KR, 500 * KR]);
        // The ceiling used up (52 500 earlier): everything counts, no disregard row.
        let c = calculate(&norm, &[], &[child_salary(4_000)], &JobbstimulansStatus::none(), &allowance_2023(52_500))
            .unwrap();
        assert_eq!(c.disregarded_income_ore(), 0);
        assert_eq!(c.payment_ore(), 5_130 * KR);
        assert!(c.rows().iter().all(|r| r.kind != RowKind::ChildIncomeDisregard));
        // Another child's earlier use does not count against this one.
        let other = ChildIncomeAllowance {
            prisbasbelopp_ore: Some(52_500 * KR),
            disregarded_earlier_ore: vec![(PersonRef::Child(1), 52_500 * KR)],
        };
        let c = calculate(&norm, &[], &[child_salary(4_000)], &JobbstimulansStatus::none(), &other).unwrap();
        assert_eq!(c.disregarded_income_ore(), 4_000 * KR);
    }

    #[test]
    fn adults_and_grown_children_have_their_earned_income_counted() {
        let none = JobbstimulansStatus::none();
        // The applicant earns 3 000: counted. 9 130 − 3 000 = 6 130.
        let norm = parent_and_child_2023(kid(2008));
        let salary = [IncomeLine::new(IncomeKind::Salary, 3_000 * KR).unwrap().for_person(PersonRef::Applicant)];
        let c = calculate(&norm, &[], &salary, &none, &allowance_2023(0)).unwrap();
        assert_eq!(c.disregarded_income_ore(), 0);
        assert_eq!(c.payment_ore(), 6_130 * KR);
        // An 18-year-old (born 2005) not in school is no longer a child nor a school youth: counted.
        let norm = parent_and_child_2023(kid(2005));
        assert!(norm.income_exempt_children().is_empty());
        let c = calculate(&norm, &[], &[child_salary(3_000)], &none, &allowance_2023(0)).unwrap();
        assert_eq!(c.disregarded_income_ore(), 0);
        // A 20-year-old (born 2003) at home in upper-secondary school is a school youth: disregarded.
        let norm = parent_and_child_2023(kid_in_school(2003));
        assert_eq!(norm.income_exempt_children(), &[PersonRef::Child(0)]);
        let c = calculate(&norm, &[], &[child_salary(3_000)], &none, &allowance_2023(0)).unwrap();
        assert_eq!(c.disregarded_income_ore(), 3_000 * KR);
        // Income other than earned income (here sickness benefit) of a child counts in full.
        let norm = parent_and_child_2023(kid(2008));
        let benefit =
            [IncomeLine::new(IncomeKind::SicknessBenefit, 1_000 * KR).unwrap().for_person(PersonRef::Child(0))];
        let c = calculate(&norm, &[], &benefit, &none, &allowance_2023(0)).unwrap();
        assert_eq!(c.disregarded_income_ore(), 0);
    }

    #[test]
    fn a_year_without_a_prisbasbelopp_refuses_a_childs_earned_income() {
        let norm = parent_and_child_2023(kid(2008));
        let none = JobbstimulansStatus::none();
        let missing = ChildIncomeAllowance::default();
        assert_eq!(
            calculate(&norm, &[], &[child_salary(3_000)], &none, &missing),
            Err(CalculationError::MissingPrisbasbelopp { year: 2023 })
        );
        // without such income the figure is not needed
        let pension = [IncomeLine::new(IncomeKind::Pension, 1_000 * KR).unwrap()];
        assert!(calculate(&norm, &[], &pension, &none, &missing).is_ok());
    }

    #[test]
    fn never_negative_and_zero_is_own_means() {
        let exact = [IncomeLine::new(IncomeKind::Pension, 4_620 * KR).unwrap()];
        let c = calculate(&single_2023(), &[], &exact, &JobbstimulansStatus::none(), &ChildIncomeAllowance::default())
            .unwrap();
        assert_eq!(c.balance_ore(), 0);
        assert_eq!(c.payment_ore(), 0);
        assert_eq!(c.outcome(), CalculationOutcome::OwnMeansCoverNeed);
        let more = [IncomeLine::new(IncomeKind::Pension, 9_000 * KR).unwrap()];
        let c = calculate(&single_2023(), &[], &more, &JobbstimulansStatus::none(), &ChildIncomeAllowance::default())
            .unwrap();
        assert_eq!(c.balance_ore(), -4_380 * KR);
        assert_eq!(c.payment_ore(), 0);
    }

    #[test]
    fn line_validation() {
        assert_eq!(CostLine::new(CostKind::Other, 100, 100), Err(LineError::MotivationRequired));
        assert_eq!(CostLine::other(100, 100, "  "), Err(LineError::MotivationRequired));
        let other = CostLine::other(100, 50, "Flyttkostnad enligt beslut").unwrap();
        assert_eq!(other.motivation(), Some("Flyttkostnad enligt beslut"));
        assert_eq!(CostLine::new(CostKind::Glasses, 100, -1), Err(LineError::NegativeAmount));
        assert_eq!(CostLine::new(CostKind::Glasses, -1, 0), Err(LineError::NegativeAmount));
        assert_eq!(IncomeLine::new(IncomeKind::Other, -1), Err(LineError::NegativeAmount));
        assert_eq!(IncomeLine::new(IncomeKind::Other, MAX_LINE_ORE + 1), Err(LineError::AmountTooLarge));
        // approved above claimed is allowed
        assert!(CostLine::new(CostKind::Medicine, 100, 200).is_ok());
        let l = CostLine::new(CostKind::Housing, 500, 400).unwrap();
        assert_eq!(l.approved_as_claimed().approved_ore(), 500);
    }

    /// A household for June of `year`: children given by age in years.
    fn household_at(year: i32, couple: bool, kids: &[(i32, bool, bool)], others: usize) -> Household {
        let children = kids
            .iter()
            .map(|&(age, lunch, school)| Child {
                birth_date: d(year - age, 1, 1),
                lunch_away_on_weekdays: lunch,
                in_upper_secondary: school,
            })
            .collect();
        household(couple, children, others)
    }

    fn household_strategy() -> impl Strategy<Value = (bool, Vec<(i32, bool, bool)>, usize)> {
        (any::<bool>(), proptest::collection::vec((0i32..24, any::<bool>(), any::<bool>()), 0..9), 0usize..3)
    }

    const COST_KINDS: [CostKind; 10] = [
        CostKind::Housing,
        CostKind::HouseholdElectricity,
        CostKind::HomeInsurance,
        CostKind::WorkTravel,
        CostKind::UnionAndUnemploymentFund,
        CostKind::Childcare,
        CostKind::MedicalCare,
        CostKind::Medicine,
        CostKind::EmergencyDentalCare,
        CostKind::Glasses,
    ];

    const INCOME_KINDS: [IncomeKind; 9] = [
        IncomeKind::Salary,
        IncomeKind::UnemploymentBenefit,
        IncomeKind::SicknessBenefit,
        IncomeKind::ActivitySupport,
        IncomeKind::HousingAllowance,
        IncomeKind::ChildAllowance,
        IncomeKind::MaintenanceSupport,
        IncomeKind::Pension,
        IncomeKind::Other,
    ];

    fn costs_strategy() -> impl Strategy<Value = Vec<CostLine>> {
        proptest::collection::vec((0usize..10, 0i64..2_000_000, 0i64..2_000_000), 0..6)
            .prop_map(|v| v.into_iter().map(|(k, c, a)| CostLine::new(COST_KINDS[k], c, a).unwrap()).collect())
    }

    fn income_strategy() -> impl Strategy<Value = IncomeLine> {
        (0usize..9, 0i64..3_000_000, proptest::option::of(0usize..3)).prop_map(|(k, a, child)| {
            let line = IncomeLine::new(INCOME_KINDS[k], a).unwrap();
            match child {
                Some(i) => line.for_person(PersonRef::Child(i)),
                None => line.for_person(PersonRef::Applicant),
            }
        })
    }

    fn status_strategy() -> impl Strategy<Value = JobbstimulansStatus> {
        any::<bool>().prop_map(|active| {
            if active {
                JobbstimulansStatus::Active { start: ym("2021-01"), months_remaining: 10 }
            } else {
                JobbstimulansStatus::none()
            }
        })
    }

    /// A prisbasbelopp for the property tests (whichever year), 10 000 kr already used by child no. 1.
    fn proptest_allowance() -> ChildIncomeAllowance {
        ChildIncomeAllowance {
            prisbasbelopp_ore: Some(46_500 * KR),
            disregarded_earlier_ore: vec![(PersonRef::Child(0), 10_000 * KR)],
        }
    }

    proptest! {
        #[test]
        fn payment_is_never_negative(
            (couple, kids, others) in household_strategy(),
            year in prop::sample::select(vec![2014, 2019, 2020, 2021]),
            costs in costs_strategy(),
            incomes in proptest::collection::vec(income_strategy(), 0..6),
            status in status_strategy(),
        ) {
            let h = household_at(year, couple, &kids, others);
            let month = YearMonth::new(year, 6).unwrap();
            let norm = norm_for(&h, month, &tables()).unwrap();
            let c = calculate(&norm, &costs, &incomes, &status, &proptest_allowance()).unwrap();
            prop_assert!(c.payment_ore() >= 0);
            prop_assert_eq!(c.payment_ore(), c.balance_ore().max(0));
            prop_assert_eq!(c.rows().iter().map(|r| r.amount_ore).sum::<i64>(), c.balance_ore());
            prop_assert_eq!(
                norm.total_ore(),
                norm.rows().iter().map(|r| r.personal_ore).sum::<i64>()
                    + tables().get(year).unwrap().common_cost(h.size())
            );
            // reproducible
            prop_assert_eq!(c, calculate(&norm, &costs, &incomes, &status, &proptest_allowance()).unwrap());
        }

        #[test]
        fn adding_income_never_raises_the_payment(
            (couple, kids, others) in household_strategy(),
            costs in costs_strategy(),
            incomes in proptest::collection::vec(income_strategy(), 0..6),
            extra in income_strategy(),
            at in 0usize..7,
            status in status_strategy(),
        ) {
            let h = household_at(2021, couple, &kids, others);
            let norm = norm_for(&h, ym("2021-06"), &tables()).unwrap();
            let before = calculate(&norm, &costs, &incomes, &status, &proptest_allowance()).unwrap();
            let mut more = incomes.clone();
            more.insert(at.min(more.len()), extra);
            let after = calculate(&norm, &costs, &more, &status, &proptest_allowance()).unwrap();
            prop_assert!(after.payment_ore() <= before.payment_ore());
        }
    }
}
