//! The intervention (*insats*) catalogue: what the unit offers, and how each
//! insats is counted in the SKR/Kolada statistics on municipal labour-market
//! activities.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ladder::valid_code;

/// SKR/Kolada's municipal labour-market activity types, used to report insatser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KoladaActivityType {
    /// Work trial or work training (*arbetsprövning/arbetsträning*).
    WorkTrialOrTraining,
    /// Job-search activity including coaching (*jobbsökaraktivitet inkl. coachning*).
    JobSearchActivity,
    /// Course (*kurs*).
    Course,
    /// Matching against vacancies (*matchning*).
    Matching,
    /// Internship with a public or private employer (*praktik*).
    Internship,
    /// Study and career guidance (*studie- och yrkesvägledning*).
    StudyAndCareerGuidance,
    /// Municipal labour-market employment (*kommunal arbetsmarknadsanställning*).
    MunicipalLabourMarketEmployment,
    /// Summer job or summer internship (*feriearbete/feriepraktik*).
    SummerJob,
    /// Anything else (*övrigt*).
    Other,
}

impl KoladaActivityType {
    /// Every type, in reporting order.
    pub const ALL: [KoladaActivityType; 9] = [
        Self::WorkTrialOrTraining,
        Self::JobSearchActivity,
        Self::Course,
        Self::Matching,
        Self::Internship,
        Self::StudyAndCareerGuidance,
        Self::MunicipalLabourMarketEmployment,
        Self::SummerJob,
        Self::Other,
    ];

    /// Stable code used in storage and statistics files.
    pub fn code(self) -> &'static str {
        match self {
            Self::WorkTrialOrTraining => "work_trial_or_training",
            Self::JobSearchActivity => "job_search_activity",
            Self::Course => "course",
            Self::Matching => "matching",
            Self::Internship => "internship",
            Self::StudyAndCareerGuidance => "study_and_career_guidance",
            Self::MunicipalLabourMarketEmployment => "municipal_labour_market_employment",
            Self::SummerJob => "summer_job",
            Self::Other => "other",
        }
    }

    /// Swedish label as used in SKR/Kolada reporting.
    pub fn label_sv(self) -> &'static str {
        match self {
            Self::WorkTrialOrTraining => "Arbetsprövning/arbetsträning",
            Self::JobSearchActivity => "Jobbsökaraktivitet inkl. coachning",
            Self::Course => "Kurs",
            Self::Matching => "Matchning",
            Self::Internship => "Praktik hos offentlig/privat arbetsgivare",
            Self::StudyAndCareerGuidance => "Studie- och yrkesvägledning",
            Self::MunicipalLabourMarketEmployment => "Kommunal arbetsmarknadsanställning",
            Self::SummerJob => "Feriearbete/feriepraktik",
            Self::Other => "Övrigt",
        }
    }

    /// Parses a code produced by [`KoladaActivityType::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// One insats the unit offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    /// Stable machine code (stored in plans and attendance).
    pub code: String,
    /// Label shown to coordinators.
    pub label: String,
    /// How the insats is counted in Kolada statistics.
    pub kolada_type: KoladaActivityType,
}

/// Why a catalogue configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CatalogueError {
    /// The catalogue is empty.
    #[error("the catalogue has no entries")]
    Empty,
    /// A code is empty or has characters outside `a-z0-9_`.
    #[error("entry {index}: invalid code")]
    InvalidCode {
        /// Zero-based position.
        index: usize,
    },
    /// A label is empty.
    #[error("entry {index}: empty label")]
    EmptyLabel {
        /// Zero-based position.
        index: usize,
    },
    /// Two entries share a code.
    #[error("entry {index}: duplicate code {code}")]
    DuplicateCode {
        /// Zero-based position of the second occurrence.
        index: usize,
        /// The duplicated code.
        code: String,
    },
}

/// The validated catalogue of insatser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self::default_catalogue()
    }
}

impl Catalogue {
    /// The default catalogue and its Kolada mapping. Group activities are counted
    /// as courses, individual talks as coaching, and subsidised employment as
    /// municipal labour-market employment; a unit whose subsidised jobs are with
    /// outside employers should configure its own mapping.
    pub fn default_catalogue() -> Self {
        use KoladaActivityType as K;
        let e = |code: &str, label: &str, kolada_type| CatalogueEntry {
            code: code.to_owned(),
            label: label.to_owned(),
            kolada_type,
        };
        Self {
            entries: vec![
                e("individual_talks", "Enskilda samtal", K::JobSearchActivity),
                e("group_activity", "Gruppverksamhet", K::Course),
                e("work_training", "Arbetsträning", K::WorkTrialOrTraining),
                e("internship", "Praktik", K::Internship),
                e("interview_practice", "Intervjuträning", K::JobSearchActivity),
                e("cv_writing", "CV-skrivning", K::JobSearchActivity),
                e("cover_letter", "Personligt brev", K::JobSearchActivity),
                e("study_career_guidance", "Studie- och yrkesvägledning", K::StudyAndCareerGuidance),
                e("language_support", "Språkstöd", K::Course),
                e("subsidised_employment", "Subventionerad anställning", K::MunicipalLabourMarketEmployment),
            ],
        }
    }

    /// Builds a catalogue from configuration, validating codes and labels.
    pub fn from_config(entries: Vec<CatalogueEntry>) -> Result<Self, CatalogueError> {
        if entries.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let mut out: Vec<CatalogueEntry> = Vec::with_capacity(entries.len());
        for (index, mut e) in entries.into_iter().enumerate() {
            e.code = e.code.trim().to_owned();
            e.label = e.label.trim().to_owned();
            if !valid_code(&e.code) {
                return Err(CatalogueError::InvalidCode { index });
            }
            if e.label.is_empty() {
                return Err(CatalogueError::EmptyLabel { index });
            }
            if out.iter().any(|o| o.code == e.code) {
                return Err(CatalogueError::DuplicateCode { index, code: e.code });
            }
            out.push(e);
        }
        Ok(Self { entries: out })
    }

    /// All entries in configuration order.
    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    /// Looks an entry up by code.
    pub fn get(&self, code: &str) -> Option<&CatalogueEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    /// The Kolada activity type for an insats code, if the code is known.
    pub fn kolada_type(&self, code: &str) -> Option<KoladaActivityType> {
        self.get(code).map(|e| e.kolada_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalogue_has_all_codes_mapped() {
        let c = Catalogue::default();
        for code in [
            "individual_talks",
            "group_activity",
            "work_training",
            "internship",
            "interview_practice",
            "cv_writing",
            "cover_letter",
            "study_career_guidance",
            "language_support",
            "subsidised_employment",
        ] {
            assert!(c.get(code).is_some(), "{code}");
        }
        assert_eq!(c.kolada_type("work_training"), Some(KoladaActivityType::WorkTrialOrTraining));
        assert_eq!(c.kolada_type("internship"), Some(KoladaActivityType::Internship));
        assert_eq!(c.kolada_type("unknown"), None);
    }

    #[test]
    fn kolada_codes_round_trip() {
        for t in KoladaActivityType::ALL {
            assert_eq!(KoladaActivityType::from_code(t.code()), Some(t));
            assert!(!t.label_sv().is_empty());
        }
    }

    #[test]
    fn config_validation() {
        let e = |code: &str| CatalogueEntry {
            code: code.into(),
            label: "x".into(),
            kolada_type: KoladaActivityType::Other,
        };
        assert_eq!(Catalogue::from_config(vec![]), Err(CatalogueError::Empty));
        assert_eq!(Catalogue::from_config(vec![e("Bad")]), Err(CatalogueError::InvalidCode { index: 0 }));
        assert!(matches!(
            Catalogue::from_config(vec![e("a"), e("a")]),
            Err(CatalogueError::DuplicateCode { index: 1, .. })
        ));
        let c = Catalogue::from_config(vec![e(" a "), e("b")]).expect("valid");
        assert_eq!(c.entries().len(), 2);
        assert!(c.get("a").is_some());
    }
}
