//! rapport's reports, imports, small-number protection, restarts and the management report in a browser.

mod browser;
mod dead_letters;
mod imports;
mod reports;
mod restart;
mod support;
mod suppression;
