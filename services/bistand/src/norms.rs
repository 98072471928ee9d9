//! The riksnorm tables the running service calculates with: the shipped tables, plus the operator's
//! directory (`riksnorm.dir`) whose files add or replace years at start-up.

use std::collections::BTreeSet;
use std::path::Path;

use trappan_platform::config::Settings;

use crate::domain::NormTables;

/// The loaded tables and which years came from the operator.
#[derive(Debug, Clone)]
pub struct LoadedNorms {
    tables: NormTables,
    operator_years: BTreeSet<i32>,
}

/// Why the norm tables could not be loaded; start-up is refused with this message.
#[derive(Debug, thiserror::Error)]
#[error("riksnorm: {0}")]
pub struct NormLoadError(String);

impl LoadedNorms {
    /// The shipped tables plus those of the directory `settings.riksnorm.dir`, if set.
    pub fn from_settings(settings: &Settings) -> Result<LoadedNorms, NormLoadError> {
        Self::load(settings.riksnorm.dir.as_deref())
    }

    /// The shipped tables plus every `*.toml` file of `dir` in file-name order (a later file replaces a year
    /// of an earlier one). Any unreadable or invalid file is an error naming the file.
    pub fn load(dir: Option<&Path>) -> Result<LoadedNorms, NormLoadError> {
        let mut tables =
            NormTables::shipped().map_err(|e| NormLoadError(format!("the shipped riksnorm file is invalid: {e}")))?;
        let mut operator_years = BTreeSet::new();
        let Some(dir) = dir else {
            return Ok(LoadedNorms { tables, operator_years });
        };
        let entries = std::fs::read_dir(dir)
            .map_err(|e| NormLoadError(format!("cannot read the directory {}: {e}", dir.display())))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| NormLoadError(format!("cannot list {}: {e}", dir.display())))?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                files.push(path);
            }
        }
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| NormLoadError(format!("cannot read {}: {e}", path.display())))?;
            let loaded = NormTables::from_toml(&text).map_err(|e| NormLoadError(format!("{}: {e}", path.display())))?;
            operator_years.extend(loaded.years());
            tables.extend(loaded);
        }
        Ok(LoadedNorms { tables, operator_years })
    }

    /// The tables by year.
    pub fn tables(&self) -> &NormTables {
        &self.tables
    }

    /// Whether the year's table came from the operator's directory.
    pub fn is_operator_loaded(&self, year: i32) -> bool {
        self.operator_years.contains(&year)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
[years.YEAR]
status = "official"
source = "SOURCE"
children_with_lunch_at_home = { age0 = 1, age1_2 = 2, age3 = 3, age4_6 = 4, age7_10 = 5, age11_14 = 6, age15_18 = 7, age19_20 = 8 }
adults = { ensamstaende = 3000, sambor = 5500 }
common = [1000, 1100, 1200, 1300, 1400, 1500, 1600]
"#;

    fn table(year: i32, source: &str) -> String {
        TABLE.replace("YEAR", &year.to_string()).replace("SOURCE", source)
    }

    #[test]
    fn without_a_directory_only_the_shipped_tables() {
        let loaded = LoadedNorms::load(None).unwrap();
        assert_eq!(loaded.tables().years().collect::<Vec<_>>(), vec![2014, 2019, 2020, 2021, 2022, 2023]);
        assert!(!loaded.is_operator_loaded(2021));
    }

    #[test]
    fn files_add_and_replace_years_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), table(2021, "first")).unwrap();
        std::fs::write(dir.path().join("b.toml"), table(2021, "second") + &table(2030, "new")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a norm file").unwrap();
        let loaded = LoadedNorms::load(Some(dir.path())).unwrap();
        assert_eq!(loaded.tables().get(2021).unwrap().source(), "second");
        assert_eq!(loaded.tables().get(2030).unwrap().ensamstaende(), 300_000);
        assert!(loaded.is_operator_loaded(2021) && loaded.is_operator_loaded(2030) && !loaded.is_operator_loaded(2019));
    }

    #[test]
    fn a_broken_file_or_a_missing_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.toml"), table(2030, "x").replace("common = [1000,", "common = ["))
            .unwrap();
        let error = LoadedNorms::load(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("broken.toml") && error.contains("2030"), "{error}");
        let missing = LoadedNorms::load(Some(&dir.path().join("nowhere"))).unwrap_err().to_string();
        assert!(missing.contains("nowhere"), "{missing}");
    }
}
