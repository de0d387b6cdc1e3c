//! What each CSV column means: the header names normalized, the email / first name / company
//! columns recognized by their usual names in English, German, French and Spanish exports,
//! and the rest kept as custom merge fields. The import UI may override any of it.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::CsvError;
use crate::field_name::normalize_field_name;
use crate::model::STANDARD_FIELDS;

const EMAIL_NAMES: &[&str] = &[
    "email",
    "e_mail",
    "email_address",
    "e_mail_address",
    "mail",
    "work_email",
    "business_email",
    "primary_email",
    "contact_email",
    "email_adresse",
    "e_mail_adresse",
    "emailadresse",
    "courriel",
    "adresse_email",
    "adresse_e_mail",
    "correo",
    "correo_electronico",
];
const FIRST_NAME_NAMES: &[&str] = &[
    "first_name",
    "firstname",
    "first",
    "given_name",
    "givenname",
    "forename",
    "fname",
    "vorname",
    "prenom",
    "nombre",
    "voornaam",
];
const COMPANY_NAMES: &[&str] = &[
    "company",
    "company_name",
    "companyname",
    "organization",
    "organisation",
    "organization_name",
    "organisation_name",
    "account",
    "account_name",
    "employer",
    "firma",
    "unternehmen",
    "entreprise",
    "societe",
    "empresa",
];

/// One column of the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// As written in the file.
    pub original: String,
    /// Normalized and unique within the file (`column_3` when the header cell is empty,
    /// `email_2` for a second `Email`).
    pub name: String,
}

/// What a column becomes in each lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "name")]
pub enum ColumnRole {
    Email,
    FirstName,
    Company,
    /// A merge field with this name (normalized when chosen by a person).
    Custom(String),
    Ignore,
}

/// Names the header cells, dropping empty cells at the end (Excel's trailing separators).
pub(super) fn columns_from_header(header: &csv::StringRecord) -> Vec<Column> {
    let cells: Vec<&str> = header.iter().map(str::trim).collect();
    let used = cells.iter().rposition(|cell| !cell.is_empty()).map_or(0, |last| last + 1);
    let mut taken = HashSet::new();
    cells[..used]
        .iter()
        .enumerate()
        .map(|(index, cell)| {
            let base =
                normalize_field_name(cell).unwrap_or_else(|_| format!("column_{}", index + 1));
            Column { original: (*cell).to_owned(), name: unique_name(&base, &mut taken) }
        })
        .collect()
}

/// `base`, or `base_2`, `base_3`… if already taken; records the result as taken.
fn unique_name(base: &str, taken: &mut HashSet<String>) -> String {
    let mut name = base.to_owned();
    let mut suffix = 2;
    while taken.contains(&name) {
        name = format!("{base}_{suffix}");
        suffix += 1;
    }
    taken.insert(name.clone());
    name
}

/// Recognizes the standard columns by name (the first match of each wins; for the email an
/// exact name beats one merely containing "email").
pub(super) fn detect_roles(columns: &[Column]) -> Vec<ColumnRole> {
    let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.name.as_str()));
    let email = find(EMAIL_NAMES)
        .or_else(|| columns.iter().position(|c| c.name.split('_').any(|word| word == "email")));
    let first_name = find(FIRST_NAME_NAMES);
    let company = find(COMPANY_NAMES);
    columns
        .iter()
        .enumerate()
        .map(|(index, column)| match Some(index) {
            i if i == email => ColumnRole::Email,
            i if i == first_name => ColumnRole::FirstName,
            i if i == company => ColumnRole::Company,
            _ => ColumnRole::Custom(column.name.clone()),
        })
        .collect()
}

/// Applies the person's choices (column index → role) on top of the detected roles: a
/// standard role given to one column is taken from the column detection gave it to.
pub(super) fn apply_overrides(
    columns: &[Column],
    mut roles: Vec<ColumnRole>,
    overrides: &BTreeMap<usize, ColumnRole>,
) -> Result<Vec<ColumnRole>, CsvError> {
    for (&index, role) in overrides {
        if index >= columns.len() {
            return Err(CsvError::InvalidMapping(format!(
                "column {} does not exist: the file has {} columns",
                index + 1,
                columns.len()
            )));
        }
        if role_is_standard(role) {
            let chosen_twice = overrides.iter().filter(|&(_, other)| other == role).count() > 1;
            if chosen_twice {
                return Err(CsvError::InvalidMapping(format!(
                    "{} is chosen for more than one column",
                    role_label(role)
                )));
            }
            for (other, other_role) in roles.iter_mut().enumerate() {
                if other_role == role && !overrides.contains_key(&other) {
                    *other_role = ColumnRole::Custom(columns[other].name.clone());
                }
            }
        }
        roles[index] = match role {
            ColumnRole::Custom(name) => {
                ColumnRole::Custom(normalize_field_name(name).map_err(|_| {
                    CsvError::InvalidMapping(format!("'{name}' is not a usable field name"))
                })?)
            }
            other => other.clone(),
        };
    }
    Ok(unique_custom_names(roles))
}

/// Renames custom fields that collide with each other or with a standard field (whose names a
/// custom column never takes).
fn unique_custom_names(roles: Vec<ColumnRole>) -> Vec<ColumnRole> {
    let mut taken: HashSet<String> = STANDARD_FIELDS.iter().map(|s| (*s).to_owned()).collect();
    roles
        .into_iter()
        .map(|role| match role {
            ColumnRole::Custom(name) => ColumnRole::Custom(unique_name(&name, &mut taken)),
            other => other,
        })
        .collect()
}

fn role_is_standard(role: &ColumnRole) -> bool {
    matches!(role, ColumnRole::Email | ColumnRole::FirstName | ColumnRole::Company)
}

fn role_label(role: &ColumnRole) -> &'static str {
    match role {
        ColumnRole::Email => "the email",
        ColumnRole::FirstName => "the first name",
        ColumnRole::Company => "the company",
        ColumnRole::Custom(_) => "a custom field",
        ColumnRole::Ignore => "ignore",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(header: &[&str]) -> Vec<Column> {
        columns_from_header(&csv::StringRecord::from(header.to_vec()))
    }

    fn names(columns: &[Column]) -> Vec<&str> {
        columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn names_columns_uniquely_and_drops_trailing_empty_ones() {
        let cols = columns(&["Email", " First Name ", "", "email", "E-Mail", "", ""]);
        assert_eq!(names(&cols), ["email", "first_name", "column_3", "email_2", "e_mail"]);
        assert_eq!(cols[1].original, "First Name");
    }

    #[test]
    fn detects_standard_columns_in_several_languages() {
        use ColumnRole::*;
        let roles = |header: &[&str]| detect_roles(&columns(header));
        assert_eq!(
            roles(&["Vorname", "Nachname", "Firma", "E-Mail-Adresse"]),
            [FirstName, Custom("nachname".into()), Company, Email]
        );
        assert_eq!(
            roles(&["Given name", "Organisation", "Work Email"]),
            [FirstName, Company, Email]
        );
        assert_eq!(roles(&["Name", "Account", "mail"]), [Custom("name".into()), Company, Email]);
        assert_eq!(roles(&["Personal email address", "Email"])[1], Email);
        assert_eq!(roles(&["Personal email address", "x"])[0], Email);
        assert_eq!(roles(&["Company", "firstname"]), [Company, FirstName]);
    }

    #[test]
    fn overrides_move_standard_roles_and_rename_custom_fields() {
        use ColumnRole::*;
        let cols = columns(&["Email", "Private Email", "Name", "Notes"]);
        let detected = detect_roles(&cols);
        let overrides =
            BTreeMap::from([(1, Email), (2, FirstName), (3, Custom("Notes & Ideas".into()))]);
        let roles = apply_overrides(&cols, detected, &overrides).unwrap();
        assert_eq!(
            roles,
            [Custom("email_2".into()), Email, FirstName, Custom("notes_ideas".into())]
        );
    }

    #[test]
    fn rejects_impossible_overrides() {
        let cols = columns(&["Email", "Name"]);
        let detected = detect_roles(&cols);
        let out_of_range = BTreeMap::from([(5, ColumnRole::Ignore)]);
        assert!(apply_overrides(&cols, detected.clone(), &out_of_range).is_err());
        let twice = BTreeMap::from([(0, ColumnRole::Email), (1, ColumnRole::Email)]);
        assert!(apply_overrides(&cols, detected.clone(), &twice).is_err());
        let unnamed = BTreeMap::from([(1, ColumnRole::Custom("--".into()))]);
        assert!(apply_overrides(&cols, detected, &unnamed).is_err());
    }
}
