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
