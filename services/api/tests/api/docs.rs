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
fn the_readme_starts_with_the_two_commands_and_ci_runs_the_test_command() {
    let commands = README.find("## The two commands").expect("README has a 'The two commands' section");
    let before: Vec<&str> = README[..commands].lines().filter(|l| l.starts_with("## ")).collect();
    assert!(before.is_empty(), "the two commands come first, before {before:?}");
    let section = &README[commands..];
    let block = section.split("```").nth(1).expect("the two commands in a code block");
    assert!(block.contains("cargo run --release") && block.contains("ops/test.sh"), "{block}");
    let ci = include_str!("../../../../.ci/run");
    assert!(ci.lines().any(|l| l.trim() == "ops/test.sh"), ".ci/run runs the README's test command");
    let script = include_str!("../../../../ops/test.sh");
    assert!(script.contains("cargo test --workspace"), "the test command runs the whole workspace's tests");
}
