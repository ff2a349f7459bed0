//! The README's configuration reference stays true: every key the loader knows is documented, with its
//! environment variable.

const README: &str = include_str!("../../../../README.md");

#[test]
fn the_readme_documents_every_configuration_key() {
    for doc in lawha_config::KEYS {
        let row = format!("| `{}` | `{}` |", doc.key, doc.env);
        assert!(README.contains(&row), "README.md lacks the configuration row starting {row}");
    }
}

#[test]
fn the_readme_starts_with_the_two_commands() {
    let commands = README.find("## The two commands").expect("README has a 'The two commands' section");
    let section = &README[commands..];
    assert!(section.contains("cargo run --release"));
    assert!(section.contains("cargo test --workspace"));
    let ci = include_str!("../../../../.ci/run");
    assert!(
        ci.lines()
            .any(|l| l.trim_start().starts_with("cargo test --workspace ") || l.trim() == "cargo test --workspace"),
        ".ci/run runs the README's test command"
    );
}
