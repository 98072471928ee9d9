//! Socialstyrelsen's monthly person-level file for the register of ekonomiskt bistånd (HSLF-FS 2015:30).
//!
//! One row per household granted assistance *for* the month reported (not the payment month): the
//! municipality, the household's type and children, the amount paid in kronor, and per adult (the
//! applicant as registerledare, the co-applicant) the identity number, household status, born-abroad
//! flag, sex, age and försörjningshinder. The layout is documented in `docs/socialstyrelsen-export.md`;
//! every column and code lives in this module, in one place, because Socialstyrelsen's exact current
//! column list is not verified here.
//!
//! Pure: the caller passes one [`HouseholdMonth`] per household with what it was paid for the month,
//! and gets the file's text. The text holds identity numbers: it is written only to the file sent to
//! Socialstyrelsen, never logged; errors name a row by position and an adult by role, never a person.

use chrono::NaiveDate;
use trappan_platform::personnummer::{Personnummer, Sex as PersonnummerSex};

use super::household::{Adult, Child, Household, Sex, age_in_years};
use super::year_month::YearMonth;

/// The column separator: a tab.
pub const SEPARATOR: char = '\t';
/// The line ending: CR LF.
pub const LINE_END: &str = "\r\n";

/// The header row's column names, in order.
pub const COLUMNS: [&str; 20] = [
    "ar",
    "manad",
    "kommun",
    "hushallstyp",
    "barn_under_16",
    "barn_under_18",
    "belopp_kr",
    "utrikes_fodda",
    "rl_personnummer",
    "rl_hushallsstatus",
    "rl_fodd_utomlands",
    "rl_kon",
    "rl_alder",
    "rl_forsorjningshinder",
    "ms_personnummer",
    "ms_hushallsstatus",
    "ms_fodd_utomlands",
    "ms_kon",
    "ms_alder",
    "ms_forsorjningshinder",
];

/// Why an adult cannot support themselves (försörjningshinder), registered per adult at each
/// application; the options case systems list, with the register code and statistics group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Forsorjningshinder {
    /// Unemployed, with no unemployment benefit.
    UnemployedNoBenefit,
    /// Unemployed, with an insufficient benefit.
    UnemployedInsufficientBenefit,
    /// Unemployed, waiting for a benefit.
    UnemployedAwaitingBenefit,
    /// On sick leave with a doctor's certificate, with no sickness benefit.
    SickLeaveNoBenefit,
    /// On sick leave with a doctor's certificate, with an insufficient sickness benefit.
    SickLeaveInsufficientBenefit,
    /// On sick leave with a doctor's certificate, waiting for sickness benefit.
    SickLeaveAwaitingBenefit,
    /// Sickness or activity compensation, insufficient.
    SicknessCompensationInsufficient,
    /// Sickness or activity compensation, awaited.
    SicknessCompensationAwaited,
    /// An obstacle to work for social reasons.
    SocialReasons,
    /// Parental benefit, insufficient.
    ParentalBenefitInsufficient,
    /// Parental benefit, awaited.
    ParentalBenefitAwaited,
    /// Working full time with an insufficient income.
    FullTimeInsufficientIncome,
    /// Working full time, waiting for the income.
    FullTimeAwaitedIncome,
    /// Involuntarily part time with an insufficient income.
    PartTimeInsufficientIncome,
    /// Involuntarily part time, waiting for the income.
    PartTimeAwaitedIncome,
    /// Pension or elderly support (äldreförsörjningsstöd), insufficient.
    PensionInsufficient,
    /// Pension or elderly support, awaited.
    PensionAwaited,
    /// Establishment benefit (etableringsersättning), insufficient.
    EstablishmentInsufficient,
    /// Establishment benefit, awaited.
    EstablishmentAwaited,
    /// No establishment benefit: capacity to take part under 25 %.
    EstablishmentMissing,
    /// An unaccompanied young person of 18–20 in upper-secondary school.
    UnaccompaniedYoungInSchool,
    /// Lacks childcare.
    LacksChildcare,
    /// No obstacle to supporting oneself.
    NoObstacle,
}

/// How statistics group försörjningshinder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HinderGroup {
    /// Unemployment, including insufficient income from work.
    Unemployment,
    /// Ill-health.
    IllHealth,
    /// Social reasons, including lacking childcare.
    SocialReasons,
    /// Everything else (parental benefit, pension, establishment, school, no obstacle).
    Other,
}

impl Forsorjningshinder {
    /// Every option, in register-code order.
    pub const ALL: [Forsorjningshinder; 23] = [
        Forsorjningshinder::UnemployedNoBenefit,
        Forsorjningshinder::UnemployedInsufficientBenefit,
        Forsorjningshinder::UnemployedAwaitingBenefit,
        Forsorjningshinder::SickLeaveNoBenefit,
        Forsorjningshinder::SickLeaveInsufficientBenefit,
        Forsorjningshinder::SickLeaveAwaitingBenefit,
        Forsorjningshinder::SicknessCompensationInsufficient,
        Forsorjningshinder::SicknessCompensationAwaited,
        Forsorjningshinder::SocialReasons,
        Forsorjningshinder::ParentalBenefitInsufficient,
        Forsorjningshinder::ParentalBenefitAwaited,
        Forsorjningshinder::FullTimeInsufficientIncome,
        Forsorjningshinder::FullTimeAwaitedIncome,
        Forsorjningshinder::PartTimeInsufficientIncome,
        Forsorjningshinder::PartTimeAwaitedIncome,
        Forsorjningshinder::PensionInsufficient,
        Forsorjningshinder::PensionAwaited,
        Forsorjningshinder::EstablishmentInsufficient,
        Forsorjningshinder::EstablishmentAwaited,
        Forsorjningshinder::EstablishmentMissing,
        Forsorjningshinder::UnaccompaniedYoungInSchool,
        Forsorjningshinder::LacksChildcare,
        Forsorjningshinder::NoObstacle,
    ];

    /// The two-digit code in the register file (01–23, in the order of [`Forsorjningshinder::ALL`]).
    pub fn register_code(self) -> &'static str {
        const CODES: [&str; 23] = [
            "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18",
            "19", "20", "21", "22", "23",
        ];
        // The variants are declared in code order, so the discriminant is the index.
        CODES[self as usize]
    }

    /// The code as stored in bistand's database.
    pub fn store_code(self) -> &'static str {
        match self {
            Forsorjningshinder::UnemployedNoBenefit => "unemployed_no_benefit",
            Forsorjningshinder::UnemployedInsufficientBenefit => "unemployed_insufficient_benefit",
            Forsorjningshinder::UnemployedAwaitingBenefit => "unemployed_awaiting_benefit",
            Forsorjningshinder::SickLeaveNoBenefit => "sick_leave_no_benefit",
            Forsorjningshinder::SickLeaveInsufficientBenefit => "sick_leave_insufficient_benefit",
            Forsorjningshinder::SickLeaveAwaitingBenefit => "sick_leave_awaiting_benefit",
            Forsorjningshinder::SicknessCompensationInsufficient => "sickness_compensation_insufficient",
            Forsorjningshinder::SicknessCompensationAwaited => "sickness_compensation_awaited",
            Forsorjningshinder::SocialReasons => "social_reasons",
            Forsorjningshinder::ParentalBenefitInsufficient => "parental_benefit_insufficient",
            Forsorjningshinder::ParentalBenefitAwaited => "parental_benefit_awaited",
            Forsorjningshinder::FullTimeInsufficientIncome => "full_time_insufficient_income",
            Forsorjningshinder::FullTimeAwaitedIncome => "full_time_awaited_income",
            Forsorjningshinder::PartTimeInsufficientIncome => "part_time_insufficient_income",
            Forsorjningshinder::PartTimeAwaitedIncome => "part_time_awaited_income",
            Forsorjningshinder::PensionInsufficient => "pension_insufficient",
            Forsorjningshinder::PensionAwaited => "pension_awaited",
            Forsorjningshinder::EstablishmentInsufficient => "establishment_insufficient",
            Forsorjningshinder::EstablishmentAwaited => "establishment_awaited",
            Forsorjningshinder::EstablishmentMissing => "establishment_missing",
            Forsorjningshinder::UnaccompaniedYoungInSchool => "unaccompanied_young_in_school",
            Forsorjningshinder::LacksChildcare => "lacks_childcare",
            Forsorjningshinder::NoObstacle => "no_obstacle",
        }
    }

    /// Reads a stored code.
    pub fn from_store_code(code: &str) -> Option<Forsorjningshinder> {
        Forsorjningshinder::ALL.into_iter().find(|h| h.store_code() == code)
    }

    /// The statistics group.
    pub fn group(self) -> HinderGroup {
        use Forsorjningshinder::*;
        match self {
            UnemployedNoBenefit
            | UnemployedInsufficientBenefit
            | UnemployedAwaitingBenefit
            | FullTimeInsufficientIncome
            | FullTimeAwaitedIncome
            | PartTimeInsufficientIncome
            | PartTimeAwaitedIncome => HinderGroup::Unemployment,
            SickLeaveNoBenefit
            | SickLeaveInsufficientBenefit
            | SickLeaveAwaitingBenefit
            | SicknessCompensationInsufficient
            | SicknessCompensationAwaited => HinderGroup::IllHealth,
            SocialReasons | LacksChildcare => HinderGroup::SocialReasons,
            ParentalBenefitInsufficient
            | ParentalBenefitAwaited
            | PensionInsufficient
            | PensionAwaited
            | EstablishmentInsufficient
            | EstablishmentAwaited
            | EstablishmentMissing
            | UnaccompaniedYoungInSchool
            | NoObstacle => HinderGroup::Other,
        }
    }
}

/// An adult of a household in the register: the applicant or the co-applicant.
#[derive(Clone)]
pub struct RegisterAdult {
    /// The identity number (personnummer or samordningsnummer).
    pub identity: Personnummer,
    /// Born abroad, when recorded.
    pub born_abroad: Option<bool>,
    /// The försörjningshinder registered for the month.
    pub forsorjningshinder: Option<Forsorjningshinder>,
}

/// One household's month: who it was and what it was paid for the month.
#[derive(Clone)]
pub struct HouseholdMonth {
    /// The applicant (registerledare).
    pub applicant: RegisterAdult,
    /// The co-applicant (sambo or spouse), if any.
    pub co_applicant: Option<RegisterAdult>,
    /// Birth dates of the children living at home in the month.
    pub children: Vec<NaiveDate>,
    /// What was paid for the month, in öre (all payments of decisions for the month, net of stopped ones).
    pub paid_ore: i64,
}

/// Which adult of a row an error is about; never the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdultRole {
    /// The applicant.
    Applicant,
    /// The co-applicant.
    CoApplicant,
}

/// Why a file could not be made. Rows are numbered from 0 in the input's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The kommunkod is not four digits.
    #[error("kommun must be a 4-digit kommunkod")]
    InvalidKommun,
    /// A paid amount is negative.
    #[error("row {row}: the paid amount is negative")]
    NegativeAmount {
        /// The row.
        row: usize,
    },
    /// An adult has no försörjningshinder for the month; the register requires one.
    #[error("row {row}: the {role:?} has no försörjningshinder recorded")]
    MissingForsorjningshinder {
        /// The row.
        row: usize,
        /// Which adult.
        role: AdultRole,
    },
    /// The applicant and the co-applicant are the same person.
    #[error("row {row}: the applicant is also the co-applicant")]
    SamePerson {
        /// The row.
        row: usize,
    },
    /// The same person is an adult of two households in the month.
    #[error("rows {first} and {second}: the same person is an adult of both households")]
    DuplicatePerson {
        /// The earlier row.
        first: usize,
        /// The later row.
        second: usize,
    },
}

/// The file for one municipality and month, with its totals for the covering note.
#[derive(Clone, PartialEq, Eq)]
pub struct RegisterFile {
    /// The file's text: the header row and one row per household granted assistance, each ending in CR LF.
    pub text: String,
    /// Households in the file.
    pub households: usize,
    /// Adults in the file.
    pub adults: usize,
    /// The sum of the amount column, in kronor.
    pub total_kr: i64,
}

/// Shows the totals only: the text holds identity numbers and is never printed.
impl std::fmt::Debug for RegisterFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterFile")
            .field("households", &self.households)
            .field("adults", &self.adults)
            .field("total_kr", &self.total_kr)
            .finish_non_exhaustive()
    }
}

/// Rounds öre to whole kronor, half up (amounts are never negative here).
pub fn ore_to_kronor(ore: i64) -> i64 {
    (ore + 50).div_euclid(100)
}

fn sex_code(sex: PersonnummerSex) -> &'static str {
    match sex {
        PersonnummerSex::Man => "1",
        PersonnummerSex::Woman => "2",
    }
}

fn born_abroad_code(born_abroad: Option<bool>) -> &'static str {
    match born_abroad {
        Some(true) => "1",
        Some(false) => "0",
        None => "9",
    }
}

fn domain_adult(adult: &RegisterAdult) -> Adult {
    let sex = match adult.identity.sex() {
        PersonnummerSex::Man => Sex::Man,
        PersonnummerSex::Woman => Sex::Woman,
    };
    Adult { birth_date: adult.identity.birth_date(), sex: Some(sex) }
}

/// The household as the pure household rules see it, for the type code and the children counts.
fn domain_household(row: &HouseholdMonth) -> Household {
    Household {
        applicant: domain_adult(&row.applicant),
        co_applicant: row.co_applicant.as_ref().map(domain_adult),
        children: row
            .children
            .iter()
            .map(|birth| Child { birth_date: *birth, lunch_away_on_weekdays: false, in_upper_secondary: false })
            .collect(),
        other_adults: Vec::new(),
    }
}

fn adult_fields(
    adult: &RegisterAdult,
    status: &'static str,
    on: NaiveDate,
    row: usize,
    role: AdultRole,
) -> Result<[String; 6], ExportError> {
    let hinder = adult.forsorjningshinder.ok_or(ExportError::MissingForsorjningshinder { row, role })?;
    Ok([
        adult.identity.as_canonical().to_string(),
        status.to_string(),
        born_abroad_code(adult.born_abroad).to_string(),
        sex_code(adult.identity.sex()).to_string(),
        age_in_years(adult.identity.birth_date(), on).to_string(),
        hinder.register_code().to_string(),
    ])
}

/// Makes the register file for `kommun` and `month` from the households' months.
///
/// Households paid nothing for the month are not in the file (they were not granted assistance for
/// it). Rows are ordered by the applicant's identity number, so the same input gives the same file.
/// Ages and children are counted on the month's last day.
pub fn register_file(kommun: &str, month: YearMonth, rows: &[HouseholdMonth]) -> Result<RegisterFile, ExportError> {
    if kommun.len() != 4 || !kommun.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ExportError::InvalidKommun);
    }
    let on = month.last_day();
    let mut adults_seen: Vec<(&str, usize)> = Vec::new();
    let mut lines: Vec<(&str, String)> = Vec::new();
    let mut file = RegisterFile { text: String::new(), households: 0, adults: 0, total_kr: 0 };
    for (index, row) in rows.iter().enumerate() {
        if row.paid_ore < 0 {
            return Err(ExportError::NegativeAmount { row: index });
        }
        if row.paid_ore == 0 {
            continue;
        }
        let applicant = row.applicant.identity.as_canonical();
        if let Some(co) = &row.co_applicant
            && co.identity.as_canonical() == applicant
        {
            return Err(ExportError::SamePerson { row: index });
        }
        for adult in std::iter::once(&row.applicant).chain(row.co_applicant.as_ref()) {
            let number = adult.identity.as_canonical();
            if let Some((_, first)) = adults_seen.iter().find(|(seen, _)| *seen == number) {
                return Err(ExportError::DuplicatePerson { first: *first, second: index });
            }
            adults_seen.push((number, index));
        }
        let household = domain_household(row);
        let born_abroad = std::iter::once(&row.applicant)
            .chain(row.co_applicant.as_ref())
            .filter(|adult| adult.born_abroad == Some(true))
            .count();
        let kronor = ore_to_kronor(row.paid_ore);
        let mut fields = vec![
            month.year().to_string(),
            format!("{:02}", month.month()),
            kommun.to_string(),
            household.household_type(on).code().to_string(),
            household.children_under_16(on).to_string(),
            household.children_under_18(on).to_string(),
            kronor.to_string(),
            born_abroad.to_string(),
        ];
        fields.extend(adult_fields(&row.applicant, "1", on, index, AdultRole::Applicant)?);
        match &row.co_applicant {
            Some(co) => fields.extend(adult_fields(co, "2", on, index, AdultRole::CoApplicant)?),
            None => fields.extend(std::iter::repeat_n(String::new(), 6)),
        }
        file.households += 1;
        file.adults += 1 + usize::from(row.co_applicant.is_some());
        file.total_kr += kronor;
        lines.push((applicant, fields.join(&SEPARATOR.to_string())));
    }
    lines.sort_by(|a, b| a.0.cmp(b.0));
    file.text.push_str(&COLUMNS.join(&SEPARATOR.to_string()));
    file.text.push_str(LINE_END);
    for (_, line) in lines {
        file.text.push_str(&line);
        file.text.push_str(LINE_END);
    }
    Ok(file)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(y: i32, m: u32, d: u32, serial: u16) -> Personnummer {
        Personnummer::for_birth(NaiveDate::from_ymd_opt(y, m, d).unwrap(), serial).unwrap()
    }

    fn adult(identity: Personnummer, born_abroad: Option<bool>) -> RegisterAdult {
        RegisterAdult { identity, born_abroad, forsorjningshinder: Some(Forsorjningshinder::UnemployedNoBenefit) }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn august_2019() -> YearMonth {
        YearMonth::new(2019, 8).unwrap()
    }

    fn lines(file: &RegisterFile) -> Vec<Vec<&str>> {
        file.text.split(LINE_END).filter(|l| !l.is_empty()).map(|l| l.split(SEPARATOR).collect()).collect()
    }

    #[test]
    fn couple_with_children_row_by_column() {
        // serial 123: ninth digit 3, a man; 244: 4, a woman
        let man = person(1980, 9, 1, 123);
        let woman = person(1985, 8, 31, 244);
        let row = HouseholdMonth {
            applicant: adult(man.clone(), Some(true)),
            co_applicant: Some(RegisterAdult {
                identity: woman.clone(),
                born_abroad: Some(false),
                forsorjningshinder: Some(Forsorjningshinder::LacksChildcare),
            }),
            // 17 on 2019-08-31 (born 2002-09-01), 15, and a baby
            children: vec![d(2002, 9, 1), d(2004, 1, 1), d(2019, 2, 1)],
            paid_ore: 1_234_550,
        };
        let file = register_file("0767", august_2019(), &[row]).unwrap();
        let rows = lines(&file);
        assert_eq!(rows[0], COLUMNS.to_vec());
        assert_eq!(
            rows[1],
            vec![
                "2019",
                "08",
                "0767",
                "8",
                "2",
                "3",
                "12346",
                "1",
                man.as_canonical(),
                "1",
                "1",
                "1",
                "38",
                "01",
                woman.as_canonical(),
                "2",
                "0",
                "2",
                "34",
                "22",
            ]
        );
        assert_eq!((file.households, file.adults, file.total_kr), (1, 2, 12346));
        assert!(file.text.ends_with("\t22\r\n"));
    }

    #[test]
    fn single_adults_have_empty_co_applicant_columns_and_the_type_by_sex() {
        let man = person(1999, 8, 31, 111); // turns 20 on the month's last day
        let woman = person(1970, 1, 1, 222);
        let rows = [
            HouseholdMonth {
                applicant: adult(woman.clone(), None),
                co_applicant: None,
                children: vec![],
                paid_ore: 49,
            },
            HouseholdMonth {
                applicant: adult(man.clone(), Some(false)),
                co_applicant: None,
                children: vec![d(2018, 5, 5)],
                paid_ore: 50,
            },
        ];
        let file = register_file("0767", august_2019(), &rows).unwrap();
        let table = lines(&file);
        assert_eq!(table.len(), 3);
        // ordered by identity number: 1970… before 1999…
        assert_eq!(table[1][3], "5", "single woman without children");
        assert_eq!(table[1][6], "0", "49 öre round to 0 kr");
        assert_eq!(table[1][7], "0");
        assert_eq!(table[1][10], "9", "born abroad not recorded");
        assert_eq!(&table[1][14..], &["", "", "", "", "", ""]);
        assert_eq!(table[2][3], "4", "single man with children");
        assert_eq!(table[2][6], "1", "50 öre round up to 1 kr");
        assert_eq!(table[2][12], "20");
        assert_eq!(table[2][11], "1");
        assert!(table.iter().all(|row| row.len() == COLUMNS.len()));
    }

    #[test]
    fn households_paid_nothing_are_left_out() {
        let rows = [HouseholdMonth {
            applicant: adult(person(1980, 1, 2, 123), None),
            co_applicant: None,
            children: vec![],
            paid_ore: 0,
        }];
        let file = register_file("0767", august_2019(), &rows).unwrap();
        assert_eq!(file.households, 0);
        assert_eq!(file.text, format!("{}{LINE_END}", COLUMNS.join("\t")));
    }

    #[test]
    fn samordningsnummer_counts_from_the_real_birth_date() {
        // A samordningsnummer for 18 December 1981 (day 18 + 60), with whichever check digit is valid.
        let identity = (0..10).find_map(|c| Personnummer::parse(&format!("19811278987{c}")).ok()).unwrap();
        assert!(identity.is_samordningsnummer());
        let rows =
            [HouseholdMonth { applicant: adult(identity, None), co_applicant: None, children: vec![], paid_ore: 100 }];
        let file = register_file("0767", august_2019(), &rows).unwrap();
        assert_eq!(lines(&file)[1][12], "37");
    }

    #[test]
    fn refuses_bad_input_without_naming_anyone() {
        let a = person(1980, 1, 2, 123);
        let b = person(1981, 3, 4, 124);
        let ok = |identity: Personnummer| HouseholdMonth {
            applicant: adult(identity, None),
            co_applicant: None,
            children: vec![],
            paid_ore: 100,
        };
        assert_eq!(register_file("767", august_2019(), &[]), Err(ExportError::InvalidKommun));
        assert_eq!(register_file("07a7", august_2019(), &[]), Err(ExportError::InvalidKommun));
        let mut negative = ok(a.clone());
        negative.paid_ore = -1;
        assert_eq!(register_file("0767", august_2019(), &[negative]), Err(ExportError::NegativeAmount { row: 0 }));
        let mut missing = ok(b.clone());
        missing.co_applicant = Some(RegisterAdult { identity: a.clone(), born_abroad: None, forsorjningshinder: None });
        let error = register_file("0767", august_2019(), &[missing]).unwrap_err();
        assert_eq!(error, ExportError::MissingForsorjningshinder { row: 0, role: AdultRole::CoApplicant });
        assert!(!error.to_string().contains(&a.as_canonical()[2..8]));
        let mut same = ok(a.clone());
        same.co_applicant = Some(adult(a.clone(), None));
        assert_eq!(register_file("0767", august_2019(), &[same]), Err(ExportError::SamePerson { row: 0 }));
        let mut shared = ok(person(1990, 5, 6, 125));
        shared.co_applicant = Some(adult(a.clone(), None));
        assert_eq!(
            register_file("0767", august_2019(), &[ok(a), ok(b), shared]),
            Err(ExportError::DuplicatePerson { first: 0, second: 2 })
        );
    }

    #[test]
    fn codes_are_distinct_and_round_trip() {
        let mut register: Vec<&str> = Forsorjningshinder::ALL.iter().map(|h| h.register_code()).collect();
        register.dedup();
        assert_eq!(register.len(), 23);
        assert_eq!(Forsorjningshinder::ALL[0].register_code(), "01");
        assert_eq!(Forsorjningshinder::NoObstacle.register_code(), "23");
        for hinder in Forsorjningshinder::ALL {
            assert_eq!(Forsorjningshinder::from_store_code(hinder.store_code()), Some(hinder));
        }
        assert_eq!(Forsorjningshinder::from_store_code("nonsense"), None);
        assert_eq!(Forsorjningshinder::SickLeaveAwaitingBenefit.group(), HinderGroup::IllHealth);
        assert_eq!(Forsorjningshinder::PartTimeAwaitedIncome.group(), HinderGroup::Unemployment);
        assert_eq!(Forsorjningshinder::SocialReasons.group(), HinderGroup::SocialReasons);
    }

    proptest! {
        #[test]
        fn every_row_has_every_column_and_totals_add_up(
            households in proptest::collection::vec(
                (1940i32..2005, 1u32..13, 1u32..29, 0u16..1000, 0i64..5_000_000, proptest::bool::ANY, 0usize..4),
                0..20,
            )
        ) {
            let mut used = std::collections::HashSet::new();
            let rows: Vec<HouseholdMonth> = households
                .iter()
                .filter_map(|(y, m, day, serial, paid, couple, children)| {
                    let applicant = person(*y, *m, *day, *serial);
                    let co = person(*y, *m, *day, (serial + 500) % 1000);
                    if !used.insert(applicant.clone()) || !used.insert(co.clone()) {
                        return None;
                    }
                    Some(HouseholdMonth {
                        applicant: adult(applicant, Some(false)),
                        co_applicant: couple.then(|| adult(co, Some(true))),
                        children: vec![d(2010, 6, 1); *children],
                        paid_ore: *paid,
                    })
                })
                .collect();
            let file = register_file("0780", august_2019(), &rows).unwrap();
            let table = lines(&file);
            let granted = rows.iter().filter(|r| r.paid_ore > 0).count();
            prop_assert_eq!(table.len(), granted + 1);
            prop_assert!(table.iter().all(|row| row.len() == COLUMNS.len()));
            let sum: i64 = table[1..].iter().map(|row| row[6].parse::<i64>().unwrap()).sum();
            prop_assert_eq!(sum, file.total_kr);
            let expected: i64 = rows.iter().filter(|r| r.paid_ore > 0).map(|r| ore_to_kronor(r.paid_ore)).sum();
            prop_assert_eq!(sum, expected);
            prop_assert!(table[1..].iter().all(|row| ["1", "3", "4", "5", "6", "7", "8"].contains(&row[3])));
        }
    }
}
