use proptest::prelude::*;

use super::*;
use crate::template::FieldLookup;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/csv/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_all(bytes: &[u8]) -> Vec<CsvItem> {
    LeadReader::new(bytes, &ImportOptions::default())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn leads(items: &[CsvItem]) -> Vec<&ParsedLead> {
    items
        .iter()
        .filter_map(|item| if let CsvItem::Lead(lead) = item { Some(lead) } else { None })
        .collect()
}

fn custom<'a>(lead: &'a ParsedLead, name: &str) -> &'a str {
    lead.field(name).unwrap_or_else(|| panic!("no field {name}"))
}

#[test]
fn reads_a_german_excel_export_in_windows_1252() {
    let bytes = fixture("excel_de_windows1252.csv");
    let reader = LeadReader::new(&bytes[..], &ImportOptions::default()).unwrap();
    assert_eq!(reader.encoding(), SourceEncoding::Windows1252);
    assert_eq!(reader.delimiter(), ';');
    assert_eq!(reader.custom_field_names().collect::<Vec<_>>(), ["nachname", "stadt"]);
    let items: Vec<CsvItem> = reader.collect::<Result<_, _>>().unwrap();
    let leads = leads(&items);
    assert_eq!(leads.len(), 2);
    assert_eq!(leads[0].email.as_str(), "juergen@mueller.example");
    assert_eq!(leads[0].first_name, "Jürgen");
    assert_eq!(leads[0].company, "Müller & Söhne GmbH");
    assert_eq!(custom(leads[0], "stadt"), "Köln");
    assert_eq!((leads[1].first_name.as_str(), leads[1].company.as_str()), ("Renée", "Café Crème"));
    assert_eq!(
        items[2],
        CsvItem::Invalid(InvalidLine {
            line: 4,
            reason: "'hans@strasser' is not a valid email address: domain 'strasser' is not \
                     valid: it needs a dot, like example.com"
                .into()
        })
    );
}

#[test]
fn reads_a_utf8_export_with_bom() {
    let bytes = fixture("sheets_utf8_bom.csv");
    let reader = LeadReader::new(&bytes[..], &ImportOptions::default()).unwrap();
    assert_eq!(reader.encoding(), SourceEncoding::Utf8WithBom);
    assert_eq!(
        reader.columns()[0],
        Column { original: "First Name".into(), name: "first_name".into() }
    );
    let items: Vec<CsvItem> = reader.collect::<Result<_, _>>().unwrap();
    let leads = leads(&items);
    assert_eq!(leads.len(), 3);
    assert_eq!((leads[0].first_name.as_str(), leads[0].company.as_str()), ("Zoë", "Ørsted A/S"));
    assert_eq!((leads[2].first_name.as_str(), leads[2].company.as_str()), ("李", "北京公司"));
    assert_eq!(custom(leads[2], "title"), "");
    assert_eq!(leads[2].line, 4);
}

#[test]
fn reports_every_kind_of_row_with_its_starting_line() {
    let items = read_all(&fixture("crm_export.csv"));
    let summary: Vec<(u64, &str)> = items
        .iter()
        .map(|item| match item {
            CsvItem::Lead(lead) => (lead.line, lead.email.as_str()),
            CsvItem::Invalid(invalid) => (invalid.line, invalid.reason.as_str()),
            CsvItem::Duplicate(duplicate) => (duplicate.line, "duplicate"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, "ann@a.example"),
            (5, "bob@b.example"),
            (8, "'not-an-email' is not a valid email address: missing @"),
            (9, "no email address"),
            (10, "duplicate"),
            (12, "eve@e.example"),
            (
                13,
                "this line has 5 values but the header has 4 columns (a value containing ',' \
                 needs quotes)"
            ),
            (14, "gus@g.example"),
        ]
    );
    let leads = leads(&items);
    assert_eq!(leads[0].company, "Acme, Inc.");
    assert_eq!(custom(leads[0], "notes"), "Met at the fair.\nLikes \"golf\".");
    assert_eq!(custom(leads[1], "notes"), "line one\nline two\nline three");
    assert_eq!(custom(leads[2], "notes"), "tab\there");
    assert_eq!((leads[3].company.as_str(), custom(leads[3], "notes")), ("", ""));
    let CsvItem::Duplicate(duplicate) = &items[4] else { panic!("{:?}", items[4]) };
    assert_eq!(duplicate.email.as_str(), "ann@a.example");
}

#[test]
fn counts_lines_without_a_final_line_break() {
    let items = read_all(b"email\n\n\"a@b.example\n\"\n\nc@d.example");
    let lines: Vec<u64> = leads(&items).iter().map(|lead| lead.line).collect();
    assert_eq!(lines, [3, 6]);
}

#[test]
fn reads_tabs_and_old_mac_line_ends() {
    let items = read_all(&fixture("tab_separated.tsv"));
    let lead = leads(&items)[0].clone();
    assert_eq!((lead.email.as_str(), lead.company.as_str()), ("jane@x.example", "X Corp"));
    assert_eq!(custom(&lead, "name"), "Jane Roe");

    let items = read_all(&fixture("old_mac_cr.csv"));
    let lines: Vec<(u64, &str)> =
        leads(&items).iter().map(|lead| (lead.line, lead.first_name.as_str())).collect();
    assert_eq!(lines, [(2, "Steve"), (3, "Steve W.")]);
}

#[test]
fn refuses_files_without_email_column_naming_the_columns() {
    let error = LeadReader::new(&fixture("no_email_column.csv")[..], &ImportOptions::default())
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "no email column found; the columns are: Name, Company, Phone. Name the column \"Email\" \
         or choose it in the import settings"
    );
}

#[test]
fn refuses_binary_files_with_a_clear_message() {
    let error =
        LeadReader::new(&fixture("workbook.xlsx")[..], &ImportOptions::default()).err().unwrap();
    assert_eq!(
        error.to_string(),
        "this is not a CSV file: it looks like an Excel workbook or a zip archive. Save or \
         export it as CSV and upload that"
    );
    let nul = LeadReader::new(&b"email\0\0\0"[..], &ImportOptions::default()).err().unwrap();
    assert!(matches!(nul, CsvError::NotText(_)));
}

#[test]
fn refuses_files_over_the_byte_limit() {
    let mut csv = b"email\n".to_vec();
    for i in 0..20_000 {
        csv.extend_from_slice(format!("lead{i}@example.com\n").as_bytes());
    }
    let options = ImportOptions { byte_limit: 100_000, ..ImportOptions::default() };
    let result: Result<Vec<CsvItem>, CsvError> =
        LeadReader::new(&csv[..], &options).and_then(|reader| reader.collect());
    assert!(matches!(result, Err(CsvError::TooLarge { limit: 100_000 })), "{result:?}");
    assert_eq!(
        CsvError::TooLarge { limit: DEFAULT_BYTE_LIMIT }.to_string(),
        "the file is larger than the limit of 50 MB"
    );
}

#[test]
fn the_mapping_overrides_detection() {
    let csv = b"Contact,Private Email,Firm,Junk\nJane,jane@home.example,X,zzz\n";
    let detected = LeadReader::new(&csv[..], &ImportOptions::default()).unwrap();
    assert_eq!(detected.roles()[1], ColumnRole::Email);
    let mapping = BTreeMap::from([
        (0, ColumnRole::FirstName),
        (2, ColumnRole::Company),
        (3, ColumnRole::Ignore),
    ]);
    let options = ImportOptions { mapping, ..ImportOptions::default() };
    let items: Vec<CsvItem> =
        LeadReader::new(&csv[..], &options).unwrap().collect::<Result<_, _>>().unwrap();
    let lead = leads(&items)[0];
    assert_eq!((lead.first_name.as_str(), lead.company.as_str()), ("Jane", "X"));
    assert!(lead.custom.is_empty(), "{:?}", lead.custom);
}

#[test]
fn a_chosen_email_column_makes_an_unrecognized_file_importable() {
    let csv = b"Name,Address\nJane,jane@x.example\n";
    let mapping = BTreeMap::from([(1, ColumnRole::Email)]);
    let options = ImportOptions { mapping, ..ImportOptions::default() };
    let items: Vec<CsvItem> =
        LeadReader::new(&csv[..], &options).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(leads(&items)[0].email.as_str(), "jane@x.example");
}

#[test]
fn values_are_trimmed_and_control_characters_removed() {
    let csv = "email,first name,notes\n  a@b.example ,\"An\nna\u{7}\",\" x\u{1}\ty\nz \"\n";
    let items = read_all(csv.as_bytes());
    let lead = leads(&items)[0];
    assert_eq!(lead.first_name, "An na");
    assert_eq!(custom(lead, "notes"), "x\ty\nz");
}

#[test]
fn blank_files_and_headers_are_errors() {
    assert!(matches!(LeadReader::new(&b""[..], &ImportOptions::default()), Err(CsvError::Empty)));
    assert!(matches!(
        LeadReader::new(&b"\n\n,,\n"[..], &ImportOptions::default()),
        Err(CsvError::NoHeader)
    ));
}

#[test]
fn preview_shows_detection_and_first_rows() {
    let shown = preview(&fixture("crm_export.csv")[..], 2, &ImportOptions::default()).unwrap();
    assert_eq!((shown.encoding, shown.delimiter), (SourceEncoding::Utf8, ','));
    assert_eq!(
        shown.mapping,
        [
            ColumnRole::Email,
            ColumnRole::FirstName,
            ColumnRole::Company,
            ColumnRole::Custom("notes".into())
        ]
    );
    assert_eq!(shown.rows.len(), 2);
    assert_eq!(shown.rows[1].line, 5);
    assert_eq!(shown.rows[1].values[0], "bob@b.example");

    let no_email =
        preview(&fixture("no_email_column.csv")[..], 5, &ImportOptions::default()).unwrap();
    assert!(!no_email.mapping.contains(&ColumnRole::Email));
    assert_eq!(no_email.rows[0].values, ["Jane", "X", "123"]);
}

#[test]
fn streams_a_large_file_in_a_few_chunks() {
    let mut csv = b"email,first_name,company\n".to_vec();
    for i in 0..50_000 {
        csv.extend_from_slice(format!("lead{i}@example.com,Name{i},Company {i}\n").as_bytes());
    }
    csv.extend_from_slice(b"lead7@EXAMPLE.com,Again,Dup\n");
    let items = read_all(&csv);
    assert_eq!(leads(&items).len(), 50_000);
    assert_eq!(leads(&items)[49_999].line, 50_001);
    assert!(matches!(items.last(), Some(CsvItem::Duplicate(d)) if d.line == 50_002));
}

fn delimiter() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b'|')]
}

/// Values as people type them: no surrounding spaces, no control characters except line
/// breaks inside custom fields, any separator or quote inside.
fn value(multi_line: bool) -> impl Strategy<Value = String> {
    let pattern = if multi_line {
        "[a-zA-Z0-9 éüß€,;|\"'\t\n-]{0,12}"
    } else {
        "[a-zA-Z0-9 éüß€,;|\"'-]{0,12}"
    };
    pattern.prop_map(|value| value.trim().to_owned())
}

proptest! {
    #[test]
    fn written_records_read_back_identically(
        delimiter in delimiter(),
        rows in proptest::collection::vec((value(false), value(false), value(true)), 1..20),
    ) {
        let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
        writer.write_record(["Email", "First Name", "Company", "Notes"]).unwrap();
        for (i, (first_name, company, notes)) in rows.iter().enumerate() {
            let email = format!("lead{i}@example.com");
            writer.write_record([email.as_str(), first_name, company, notes]).unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let items = read_all(&bytes);
        let leads = leads(&items);
        prop_assert_eq!(leads.len(), rows.len());
        for (i, (lead, (first_name, company, notes))) in leads.iter().zip(&rows).enumerate() {
            prop_assert_eq!(lead.email.as_str(), format!("lead{i}@example.com"));
            prop_assert_eq!(&lead.first_name, first_name);
            prop_assert_eq!(&lead.company, company);
            prop_assert_eq!(custom(lead, "notes"), notes.as_str());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(reader) = LeadReader::new(&bytes[..], &ImportOptions::default()) {
            for item in reader {
                let _ = item;
            }
        }
        let _ = preview(&bytes[..], 3, &ImportOptions::default());
    }
}

fn first_error(bytes: &[u8]) -> Option<CsvError> {
    match LeadReader::new(bytes, &ImportOptions::default()) {
        Err(error) => Some(error),
        Ok(reader) => reader.filter_map(Result::err).next(),
    }
}

#[test]
fn a_quote_never_closed_is_refused_naming_its_line() {
    for (file, line) in [
        (&b"email,note\n\"a@b.example,x\nc@d.example,y\n"[..], 2),
        (b"email,note\na@b.example,x\nc@d.example,\"y\ne@f.example,z", 3),
        (b"\"email,note\na@b.example,x\n", 1),
        (b"email,note\na@b.example,\"open\n\n\n", 2),
    ] {
        match first_error(file) {
            Some(CsvError::UnclosedQuote { line: at }) => assert_eq!(at, line, "{file:?}"),
            other => panic!("{file:?}: {other:?}"),
        }
    }
}

#[test]
fn quoted_values_with_line_breaks_are_not_mistaken_for_unclosed_quotes() {
    for (file, count) in [
        (&b"email,note\na@b.example,\"line one\nline two\"\n"[..], 1),
        (b"email,note\na@b.example,\"line one\nline two\"", 1),
        (b"email,note\na@b.example,\"line one\nline two\"\n\n\n", 1),
        (b"email,note\na@b.example,\"x\ny\"\nc@d.example,z\n", 2),
        (b"email,note\na@b.example,\"ends with a break\n\"\n", 1),
        (b"email,note\na@b.example,say \"hi\"\n", 1),
    ] {
        assert!(first_error(file).is_none(), "{:?}", String::from_utf8_lossy(file));
        assert_eq!(leads(&read_all(file)).len(), count);
    }
}

#[test]
fn too_many_columns_are_refused_and_long_names_cut_in_messages() {
    let mut header = String::from("email");
    for i in 1..=MAX_COLUMNS {
        header.push_str(&format!(",c{i}"));
    }
    let file = format!("{header}\na@b.example\n");
    assert!(matches!(
        first_error(file.as_bytes()),
        Some(CsvError::TooManyColumns { count }) if count == MAX_COLUMNS + 1
    ));
    let long = format!("{}\nx\n", "n".repeat(10_000));
    let message = first_error(long.as_bytes()).unwrap().to_string();
    assert!(message.contains("no email column") && message.len() < 400, "{message}");
}
