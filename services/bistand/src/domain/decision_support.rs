//! Decision support for standard cases (the Trelleborg model, as a *proposal* a
//! socialsekreterare confirms, never an automatic decision).
//!
//! A case is **standard** when all of these hold:
//! - the household composition equals last month's;
//! - the claimed costs equal last month's approved costs line by line (same kind, same person,
//!   same amount; the order of the lines does not matter);
//! - the person has an active plan in insatser (input flag);
//! - the income is verified (input flag);
//! - last month's decision was *bifall* (not *delvis bifall* or *avslag*).
//!
//! Three further guards send a case to manual handling, because a proposal of *bifall* would be
//! wrong or unsafe: the calculation pays nothing (own means cover the need); the year's riksnorm
//! is *derived* (unverified figures); a cost line of kind "other" needs a human assessment of
//! its motivation.
//!
//! The proposal's calculation approves every claimed cost as claimed. For manual handling the
//! same calculation is returned as a starting point, together with every reason that applies.

use super::calculation::{
    Calculation, CalculationError, CalculationOutcome, ChildIncomeAllowance, CostKind, CostLine, IncomeLine, calculate,
    norm_for,
};
use super::household::{Household, PersonRef};
use super::jobbstimulans::{DecisionOutcome, JobbstimulansStatus};
use super::riksnorm::{NormStatus, NormTables};
use super::year_month::YearMonth;

/// Everything the standard-case test looks at for one monthly application.
#[derive(Debug, Clone, Copy)]
pub struct StandardCaseInput<'a> {
    /// The month applied for.
    pub month: YearMonth,
    /// This month's household.
    pub household: &'a Household,
    /// Last month's household, if there was an application.
    pub previous_household: Option<&'a Household>,
    /// This month's claimed costs (their approved amounts are ignored).
    pub claimed_costs: &'a [CostLine],
    /// Last month's cost lines as decided (their approved amounts are compared).
    pub previous_approved_costs: Option<&'a [CostLine]>,
    /// This month's declared incomes.
    pub incomes: &'a [IncomeLine],
    /// Jobbstimulans for the month.
    pub jobbstimulans: &'a JobbstimulansStatus,
    /// What the prisbasbelopp ceiling leaves for the children's own earned income this month.
    pub child_income: &'a ChildIncomeAllowance,
    /// Whether the person has an active plan in insatser.
    pub has_active_plan: bool,
    /// Whether the declared income has been verified.
    pub income_verified: bool,
    /// Last month's decision, if any.
    pub previous_outcome: Option<DecisionOutcome>,
}

/// Why a case needs manual handling; texts carry no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ManualReason {
    /// No application or decision for last month to compare with.
    NoPreviousMonth,
    /// The household composition differs from last month's.
    HouseholdChanged,
    /// The claimed costs differ from last month's approved costs.
    CostsChanged,
    /// No active plan in insatser.
    NoActivePlan,
    /// Income not verified.
    IncomeNotVerified,
    /// Last month's decision was not bifall.
    PreviousNotBifall,
    /// Own means cover the need: nothing to grant.
    OwnMeansCoverNeed,
    /// The year's riksnorm is derived, not official.
    UnverifiedNorm,
    /// An "other" cost needs its motivation assessed.
    OtherCostNeedsAssessment,
}

impl ManualReason {
    /// The reason in Swedish, for the case worker's view.
    pub fn text_sv(self) -> &'static str {
        match self {
            ManualReason::NoPreviousMonth => "Ingen ansökan eller beslut föregående månad att jämföra med",
            ManualReason::HouseholdChanged => "Hushållets sammansättning har ändrats sedan föregående månad",
            ManualReason::CostsChanged => "Ansökta kostnader skiljer sig från föregående månads beviljade kostnader",
            ManualReason::NoActivePlan => "Ingen aktiv planering inom arbetsmarknadsinsatser",
            ManualReason::IncomeNotVerified => "Inkomsterna är inte kontrollerade",
            ManualReason::PreviousNotBifall => "Föregående månads beslut var inte bifall",
            ManualReason::OwnMeansCoverNeed => "Egna inkomster täcker behovet",
            ManualReason::UnverifiedNorm => "Årets riksnorm är beräknad, inte officiell (overifierad)",
            ManualReason::OtherCostNeedsAssessment => "Övrig kostnad behöver bedömas utifrån motiveringen",
        }
    }

    /// The reason in English.
    pub fn text_en(self) -> &'static str {
        match self {
            ManualReason::NoPreviousMonth => "No application or decision last month to compare with",
            ManualReason::HouseholdChanged => "The household composition has changed since last month",
            ManualReason::CostsChanged => "Claimed costs differ from last month's approved costs",
            ManualReason::NoActivePlan => "No active plan in labour-market insatser",
            ManualReason::IncomeNotVerified => "Income has not been verified",
            ManualReason::PreviousNotBifall => "Last month's decision was not bifall",
            ManualReason::OwnMeansCoverNeed => "The household's own means cover the need",
            ManualReason::UnverifiedNorm => "This year's riksnorm is derived, not official (unverified)",
            ManualReason::OtherCostNeedsAssessment => "An other cost needs its motivation assessed",
        }
    }
}

/// The outcome of the standard-case test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// A standard case: propose bifall with this calculation, for a case worker to confirm.
    Bifall(Calculation),
    /// Needs manual handling for these reasons (in a fixed order); the calculation is a
    /// starting point with every claimed cost approved as claimed.
    ManualHandling {
        /// Every reason that applies.
        reasons: Vec<ManualReason>,
        /// The calculation with costs approved as claimed.
        calculation: Calculation,
    },
}

/// A cost line's comparable content: kind, person, amount.
type CostKey = (CostKind, Option<PersonRef>, i64);

/// Sorted comparison keys of cost lines, using `amount` to pick claimed or approved.
fn cost_keys(lines: &[CostLine], amount: fn(&CostLine) -> i64) -> Vec<CostKey> {
    let mut keys: Vec<CostKey> = lines.iter().map(|l| (l.kind(), l.person(), amount(l))).collect();
    keys.sort_unstable();
    keys
}

/// Tests whether the application is a standard case and proposes bifall or manual handling.
pub fn assess(input: &StandardCaseInput<'_>, tables: &NormTables) -> Result<Proposal, CalculationError> {
    let proposed_costs: Vec<CostLine> = input.claimed_costs.iter().map(CostLine::approved_as_claimed).collect();
    let norm = norm_for(input.household, input.month, tables)?;
    let calculation = calculate(&norm, &proposed_costs, input.incomes, input.jobbstimulans, input.child_income)?;

    let mut reasons = Vec::new();
    let has_previous = input.previous_household.is_some()
        && input.previous_approved_costs.is_some()
        && input.previous_outcome.is_some();
    if !has_previous {
        reasons.push(ManualReason::NoPreviousMonth);
    }
    if input.previous_household.is_some_and(|prev| prev != input.household) {
        reasons.push(ManualReason::HouseholdChanged);
    }
    if let Some(prev) = input.previous_approved_costs
        && cost_keys(input.claimed_costs, CostLine::claimed_ore) != cost_keys(prev, CostLine::approved_ore)
    {
        reasons.push(ManualReason::CostsChanged);
    }
    if !input.has_active_plan {
        reasons.push(ManualReason::NoActivePlan);
    }
    if !input.income_verified {
        reasons.push(ManualReason::IncomeNotVerified);
    }
    if input.previous_outcome.is_some_and(|o| o != DecisionOutcome::Bifall) {
        reasons.push(ManualReason::PreviousNotBifall);
    }
    if calculation.outcome() == CalculationOutcome::OwnMeansCoverNeed {
        reasons.push(ManualReason::OwnMeansCoverNeed);
    }
    if calculation.norm_status() == NormStatus::Derived {
        reasons.push(ManualReason::UnverifiedNorm);
    }
    if input.claimed_costs.iter().any(|c| c.kind() == CostKind::Other) {
        reasons.push(ManualReason::OtherCostNeedsAssessment);
    }
    Ok(if reasons.is_empty() {
        Proposal::Bifall(calculation)
    } else {
        Proposal::ManualHandling { reasons, calculation }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::calculation::IncomeKind;
    use crate::domain::household::{Adult, Child, Sex};
    use crate::domain::riksnorm::NormError;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn household() -> Household {
        Household {
            applicant: Adult { birth_date: d(1985, 4, 2), sex: Some(Sex::Woman) },
            co_applicant: None,
            children: vec![Child {
                birth_date: d(2015, 8, 9),
                lunch_away_on_weekdays: false,
                in_upper_secondary: false,
            }],
            other_adults: vec![],
        }
    }

    fn costs() -> Vec<CostLine> {
        vec![
            CostLine::new(CostKind::Housing, 650_000, 650_000).unwrap(),
            CostLine::new(CostKind::HomeInsurance, 15_000, 15_000).unwrap(),
        ]
    }

    struct Case {
        month: YearMonth,
        household: Household,
        previous_household: Household,
        claimed: Vec<CostLine>,
        previous: Vec<CostLine>,
        incomes: Vec<IncomeLine>,
        status: JobbstimulansStatus,
        child_income: ChildIncomeAllowance,
    }

    fn case() -> Case {
        Case {
            month: YearMonth::new(2023, 5).unwrap(),
            household: household(),
            previous_household: household(),
            claimed: costs(),
            previous: costs(),
            incomes: vec![IncomeLine::new(IncomeKind::ChildAllowance, 125_000).unwrap()],
            status: JobbstimulansStatus::none(),
            child_income: ChildIncomeAllowance::default(),
        }
    }

    fn input(c: &Case) -> StandardCaseInput<'_> {
        StandardCaseInput {
            month: c.month,
            household: &c.household,
            previous_household: Some(&c.previous_household),
            claimed_costs: &c.claimed,
            previous_approved_costs: Some(&c.previous),
            incomes: &c.incomes,
            jobbstimulans: &c.status,
            child_income: &c.child_income,
            has_active_plan: true,
            income_verified: true,
            previous_outcome: Some(DecisionOutcome::Bifall),
        }
    }

    fn reasons(p: Proposal) -> Vec<ManualReason> {
        match p {
            Proposal::Bifall(_) => vec![],
            Proposal::ManualHandling { reasons, .. } => reasons,
        }
    }

    fn tables() -> NormTables {
        NormTables::shipped().unwrap()
    }

    #[test]
    fn standard_case_proposes_bifall() {
        let c = case();
        let p = assess(&input(&c), &tables()).unwrap();
        // 2023: 3 490 + 3 380 (child 7) + common(2) 1 250 = 8 120; + 6 500 + 150 − 1 250 = 13 520
        match p {
            Proposal::Bifall(calc) => assert_eq!(calc.payment_ore(), 1_352_000),
            other => panic!("expected bifall, got {other:?}"),
        }
        // line order does not matter
        let mut c = case();
        c.claimed.reverse();
        assert!(matches!(assess(&input(&c), &tables()), Ok(Proposal::Bifall(_))));
    }

    #[test]
    fn each_deviation_gives_its_reason() {
        let t = tables();
        let mut c = case();
        c.household.children[0].lunch_away_on_weekdays = true;
        assert_eq!(reasons(assess(&input(&c), &t).unwrap()), vec![ManualReason::HouseholdChanged]);

        let mut c = case();
        c.claimed[0] = CostLine::new(CostKind::Housing, 660_000, 0).unwrap();
        assert_eq!(reasons(assess(&input(&c), &t).unwrap()), vec![ManualReason::CostsChanged]);

        // last month claimed more but was approved at this month's claim: still standard
        let mut c = case();
        c.previous[0] = CostLine::new(CostKind::Housing, 700_000, 650_000).unwrap();
        assert!(matches!(assess(&input(&c), &t), Ok(Proposal::Bifall(_))));

        let c = case();
        let mut i = input(&c);
        i.has_active_plan = false;
        i.income_verified = false;
        i.previous_outcome = Some(DecisionOutcome::DelvisBifall);
        assert_eq!(
            reasons(assess(&i, &t).unwrap()),
            vec![ManualReason::NoActivePlan, ManualReason::IncomeNotVerified, ManualReason::PreviousNotBifall]
        );

        let c = case();
        let mut i = input(&c);
        i.previous_household = None;
        i.previous_approved_costs = None;
        i.previous_outcome = None;
        assert_eq!(reasons(assess(&i, &t).unwrap()), vec![ManualReason::NoPreviousMonth]);
    }

    #[test]
    fn guards() {
        let t = tables();
        let mut c = case();
        c.incomes = vec![IncomeLine::new(IncomeKind::Salary, 2_000_000).unwrap()];
        assert_eq!(reasons(assess(&input(&c), &t).unwrap()), vec![ManualReason::OwnMeansCoverNeed]);

        let mut c = case();
        c.month = YearMonth::new(2020, 5).unwrap();
        assert_eq!(reasons(assess(&input(&c), &t).unwrap()), vec![ManualReason::UnverifiedNorm]);

        let mut c = case();
        let other = CostLine::other(10_000, 10_000, "Resa till anhörigs begravning").unwrap();
        c.claimed.push(other.clone());
        c.previous.push(other);
        assert_eq!(reasons(assess(&input(&c), &t).unwrap()), vec![ManualReason::OtherCostNeedsAssessment]);

        let mut c = case();
        c.month = YearMonth::new(2024, 5).unwrap();
        assert_eq!(assess(&input(&c), &t), Err(CalculationError::Norm(NormError::MissingYear(2024))));
    }

    #[test]
    fn texts_exist_and_differ() {
        let all = [
            ManualReason::NoPreviousMonth,
            ManualReason::HouseholdChanged,
            ManualReason::CostsChanged,
            ManualReason::NoActivePlan,
            ManualReason::IncomeNotVerified,
            ManualReason::PreviousNotBifall,
            ManualReason::OwnMeansCoverNeed,
            ManualReason::UnverifiedNorm,
            ManualReason::OtherCostNeedsAssessment,
        ];
        let sv: std::collections::BTreeSet<_> = all.iter().map(|r| r.text_sv()).collect();
        let en: std::collections::BTreeSet<_> = all.iter().map(|r| r.text_en()).collect();
        assert_eq!(sv.len(), all.len());
        assert_eq!(en.len(), all.len());
    }
}
