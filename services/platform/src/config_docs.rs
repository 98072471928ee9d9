//! Keeps `docs/interface.md` true to the configuration types: every key of [`Settings`] is in its table,
//! and every key the table names exists.

use std::collections::BTreeSet;

use crate::config::{ServiceKind, Settings};

const INTERFACE_MD: &str = include_str!("../../../docs/interface.md");

/// The dotted keys of `settings` as serde writes them (`server.listen_host`, `riksnorm.dir`, …).
fn keys_of(value: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, inner) in map {
                let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                keys_of(inner, &key, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

fn settings_keys() -> BTreeSet<String> {
    let value = serde_json::to_value(Settings::default()).expect("settings serialize");
    let mut keys = BTreeSet::new();
    keys_of(&value, "", &mut keys);
    keys
}

/// The rows of the configuration table.
fn configuration_rows() -> Vec<&'static str> {
    let section = INTERFACE_MD.split("## Configuration").nth(1).expect("a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section.lines().filter(|line| line.starts_with("| `")).collect()
}

/// The keys the configuration table documents, with `<svc>.x` spelled out for each service.
fn documented_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for row in configuration_rows() {
        let first_cell = row.split('|').nth(1).unwrap_or_default();
        for key in first_cell.split(',').map(|k| k.trim().trim_matches('`')) {
            match key.strip_prefix("<svc>.") {
                Some(field) => keys.extend(ServiceKind::ALL.iter().map(|kind| format!("{kind}.{field}"))),
                None => {
                    keys.insert(key.to_string());
                }
            }
        }
    }
    keys
}

#[test]
fn every_configuration_key_is_documented_and_every_documented_key_exists() {
    let actual = settings_keys();
    assert!(actual.contains("rapport.kommuner") && actual.contains("riksnorm.dir"), "{actual:?}");
    let documented = documented_keys();
    let undocumented: Vec<&String> = actual.difference(&documented).collect();
    assert!(undocumented.is_empty(), "keys missing from the table in docs/interface.md: {undocumented:?}");
    let unknown: Vec<&String> = documented.difference(&actual).collect();
    assert!(unknown.is_empty(), "docs/interface.md documents keys that do not exist: {unknown:?}");
}

#[test]
fn every_documented_key_names_its_environment_variable() {
    let rows = configuration_rows();
    assert!(rows.len() >= 20, "the configuration table is found: {rows:?}");
    for row in rows {
        let cells: Vec<&str> = row.split('|').collect();
        let (key, env) = (cells[1], cells.get(2).copied().unwrap_or_default());
        let first = key.split(',').next().unwrap_or_default().trim().trim_matches('`');
        let expected = format!("TRAPPAN__{}", first.replace("<svc>", "bistand").replace('.', "__").to_uppercase());
        assert!(env.contains(&expected), "{first}: the env column should name {expected}: {row}");
    }
}
