use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

const LEAD: &[(&str, &str)] =
    &[("first_name", "Jane"), ("company", "Acme & Co <b>"), ("title", "  "), ("city", "Köln")];

fn render(source: &str, mode: Escape) -> Rendered {
    Template::parse(source).unwrap().render(LEAD, spin_seed("jane@example.com", 1), mode)
}

fn text(source: &str) -> String {
    let rendered = render(source, Escape::None);
    assert!(rendered.problems.is_empty(), "{source}: {:?}", rendered.problems);
    rendered.text
}

fn errors(source: &str) -> Vec<SyntaxError> {
    Template::parse(source).expect_err(source).errors
}

#[test]
fn fills_fields_and_fallbacks() {
    assert_eq!(text("Hi <<first_name>>, how is <<city>>?"), "Hi Jane, how is Köln?");
    assert_eq!(text("Hi << First Name >>!"), "Hi Jane!");
    assert_eq!(text("Hi <<nickname|there>>!"), "Hi there!");
    assert_eq!(text("Hi <<first_name|there>>!"), "Hi Jane!");
    assert_eq!(text("<<title | Sir or Madam >>"), "Sir or Madam", "blank values use the fallback");
    assert_eq!(text("Dear <<title|>>Jane"), "Dear Jane", "an empty fallback makes it optional");
    assert_eq!(text("<<nickname|a > b \\>> c>>"), "a > b >> c");
}

#[test]
fn missing_field_is_a_problem_and_leaves_no_placeholder() {
    let rendered = render("Hi <<nickname>>, <<nickname>> and <<title>>", Escape::None);
    assert_eq!(rendered.text, "Hi ,  and ");
    assert_eq!(
        rendered.problems,
        vec![
            RenderProblem::EmptyField { field: "nickname".into() },
            RenderProblem::EmptyField { field: "title".into() },
        ]
    );
    assert_eq!(
        rendered.problems[0].to_string(),
        "<<nickname>> is empty for this lead and has no fallback"
    );
}

#[test]
fn escapes_and_plain_text() {
    assert_eq!(
        text(r"\<<first_name>> costs \{5\} \| \\ and >> stays"),
        r"<<first_name>> costs {5} | \ and >> stays"
    );
    assert_eq!(text("a | b > c < d \\n"), "a | b > c < d \\n");
    assert_eq!(text(""), "");
}

#[test]
fn html_mode_escapes_values_not_template() {
    let rendered = render("<p>At <<company>> or <<x|Tom & Jerry>></p>", Escape::Html);
    assert_eq!(rendered.text, "<p>At Acme &amp; Co &lt;b&gt; or Tom &amp; Jerry</p>");
}

#[test]
fn header_mode_turns_control_characters_into_spaces() {
    let lead = [("company", "Acme\r\nBcc: victim@example.com\t\u{7}x")];
    let template = Template::parse("News for <<company>>").unwrap();
    let rendered = template.render(&lead[..], 0, Escape::Header);
    assert_eq!(rendered.text, "News for Acme  Bcc: victim@example.com  x");
}

#[test]
fn spintax_is_deterministic_per_lead_and_step() {
    let template = Template::parse("{Hi|Hello|Hey} <<first_name>>{!|.}").unwrap();
    let seed = spin_seed("jane@example.com", 1);
    let first = template.render(LEAD, seed, Escape::None).text;
    for _ in 0..10 {
        assert_eq!(template.render(LEAD, seed, Escape::None).text, first);
    }
    let variants: std::collections::HashSet<String> = (0..200)
        .map(|lead| template.render(LEAD, spin_seed(&format!("l{lead}"), 1), Escape::None).text)
        .collect();
    assert_eq!(variants.len(), 6, "{variants:?}");
}

#[test]
fn spintax_nests_and_allows_empty_options_and_fields() {
    let template = Template::parse("{a{1|2}|b <<first_name>>|}").unwrap();
    let outputs: std::collections::HashSet<String> = (0..300)
        .map(|lead| template.render(LEAD, spin_seed(&lead.to_string(), 1), Escape::None).text)
        .collect();
    let expected = ["a1", "a2", "b Jane", ""].map(String::from).into_iter().collect();
    assert_eq!(outputs, expected);
}

#[test]
fn field_in_an_unchosen_option_is_not_a_problem() {
    let template = Template::parse("{<<nickname>>|friend}").unwrap();
    let problems: Vec<bool> = (0..50)
        .map(|lead| {
            let rendered = template.render(LEAD, spin_seed(&lead.to_string(), 1), Escape::None);
            assert_eq!(rendered.problems.is_empty(), rendered.text == "friend");
            rendered.problems.is_empty()
        })
        .collect();
    assert!(problems.contains(&true) && problems.contains(&false));
}

#[test]
fn reports_errors_with_position() {
    let errors = errors("Hi {first_name},\nthanks <<company");
    assert_eq!(errors.len(), 2);
    assert_eq!((errors[0].offset, errors[0].line, errors[0].column), (3, 1, 4));
    assert_eq!(errors[0].kind, SyntaxErrorKind::SpinWithoutOptions);
    assert!(errors[0].kind.to_string().contains("write \\{ for a literal brace"));
    assert_eq!((errors[1].line, errors[1].column), (2, 8));
    assert_eq!(errors[1].kind, SyntaxErrorKind::UnclosedField);
    assert_eq!(
        Template::parse("é}").unwrap_err().to_string(),
        "line 1, column 2: } has no matching {: write \\} for a literal brace"
    );
}

#[test]
fn reports_each_kind_of_mistake() {
    use SyntaxErrorKind::*;
    let kind = |source: &str| errors(source).remove(0).kind;
    assert_eq!(kind("Hi <<>>"), EmptyFieldName);
    assert_eq!(kind("Hi << |x>>"), EmptyFieldName);
    assert_eq!(kind("Hi <<-->>"), InvalidFieldName("--".into()));
    assert_eq!(kind("Hi <<first\nname>>"), UnclosedField);
    assert_eq!(kind("Hi <<first|there\n>>"), UnclosedField);
    assert_eq!(kind("{a|b"), UnclosedSpin);
    assert_eq!(kind("{}"), SpinWithoutOptions);
    assert_eq!(kind("a}"), StrayClose);
    assert_eq!(kind(&"{".repeat(40)), TooDeep);
}

#[test]
fn lists_fields_with_fallback_status() {
    let template =
        Template::parse("<<first_name|there>> <<company>> {<<first_name>>|x} <<city|>>").unwrap();
    assert_eq!(
        template.fields(),
        vec![
            FieldUse { name: "city".into(), has_fallback: true },
            FieldUse { name: "company".into(), has_fallback: false },
            FieldUse { name: "first_name".into(), has_fallback: false },
        ]
    );
}

#[test]
fn check_fields_suggests_the_closest_name() {
    let template = Template::parse("<<frist_name>> <<company>> <<industry>>").unwrap();
    let problems = template.check_fields(&["email", "first_name", "company"]);
    assert_eq!(
        problems,
        vec![
            TemplateProblem::UnknownField {
                field: "frist_name".into(),
                suggestion: Some("first_name".into())
            },
            TemplateProblem::UnknownField { field: "industry".into(), suggestion: None },
        ]
    );
    assert_eq!(problems[0].to_string(), "unknown field <<frist_name>>: did you mean first_name?");
}

#[test]
fn personalization_means_a_field_or_spintax() {
    let personalized = |source: &str| Template::parse(source).unwrap().is_personalized();
    assert!(!personalized("Hello everyone, \\{not spintax\\}"));
    assert!(personalized("Hello <<first_name|there>>"));
    assert!(personalized("{Hello|Hi} everyone"));
}

#[test]
fn works_with_hash_maps() {
    let lead: HashMap<String, String> = [("first_name".into(), "Ann".into())].into();
    let rendered = Template::parse("Hi <<first_name>>").unwrap().render(&lead, 0, Escape::None);
    assert_eq!(rendered.text, "Hi Ann");
}

/// Template sources built from the syntax's pieces, so the generator hits real constructs
/// far more often than random strings would.
fn template_source() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z ,.!é]{0,8}",
        Just("<<".to_owned()),
        Just(">>".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("|".to_owned()),
        Just("\\".to_owned()),
        Just("\n".to_owned()),
        "<<[a-z_ ]{0,6}(\\|[a-z ]{0,5})?>>",
        "\\{[a-z]{0,3}\\|[a-z]{0,3}\\}",
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

fn field_values() -> impl Strategy<Value = HashMap<String, String>> {
    proptest::collection::hash_map("[a-z_]{1,6}", "[^<>]{0,8}", 0..6)
}

proptest! {
    #[test]
    fn parsing_never_panics(source in any::<String>()) {
        let _ = Template::parse(&source);
    }

    #[test]
    fn parsing_structured_input_never_panics(source in template_source()) {
        if let Err(error) = Template::parse(&source) {
            for e in &error.errors {
                prop_assert!(e.offset <= source.len() && e.line >= 1 && e.column >= 1);
            }
        }
    }

    #[test]
    fn rendering_is_deterministic_and_leaves_no_placeholder(
        source in template_source(),
        fields in field_values(),
        seed in any::<u64>(),
    ) {
        if let Ok(template) = Template::parse(&source) {
            for mode in [Escape::None, Escape::Html, Escape::Header] {
                let first = template.render(&fields, seed, mode);
                prop_assert_eq!(&template.render(&fields, seed, mode), &first);
                // An escaped `\<<name>>` in the template is literal text, not a leftover.
                let escapes_in_source = source.contains('\\');
                for field in template.fields().into_iter().filter(|_| !escapes_in_source) {
                    // Values come from an alphabet without `<`/`>`, so a placeholder in the
                    // output could only have come from the template itself.
                    let placeholder = format!("<<{}>>", field.name);
                    prop_assert!(!first.text.contains(&placeholder), "{:?}", first.text);
                }
            }
        }
    }

    #[test]
    fn escape_literal_round_trips(text in any::<String>(), seed in any::<u64>()) {
        let template = Template::parse(&escape_literal(&text)).unwrap();
        prop_assert!(!template.is_personalized());
        let rendered = template.render(&HashMap::<String, String>::new(), seed, Escape::None);
        prop_assert_eq!(rendered.text, text);
    }

    #[test]
    fn html_escaping_leaves_no_markup_from_values(value in any::<String>()) {
        let lead = [("company", value.as_str())];
        let rendered = Template::parse("<<company>>").unwrap().render(&lead[..], 0, Escape::Html);
        prop_assert!(!rendered.text.contains(['<', '>', '"', '\'']));
    }

    #[test]
    fn header_values_never_break_lines(value in any::<String>()) {
        let lead = [("company", value.as_str())];
        let rendered = Template::parse("<<company>>").unwrap().render(&lead[..], 0, Escape::Header);
        prop_assert!(!rendered.text.chars().any(char::is_control));
    }
}
