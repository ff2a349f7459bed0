//! The site form's fields as typed, and how they become the API's [`SiteInput`]: every field is text, so a
//! mistyped number comes back as typed, with its problem. The rules themselves are `SiteInput`'s and the
//! domain's; the form only reads its text into the input's types.

use std::collections::BTreeMap;

use lawha_domain::{Message, deployments::messages as rules};
use serde::Deserialize;

use crate::deployments::{
    SiteInput,
    input::{PortsInput, RuntimeName},
    messages,
    read::SiteView,
};

/// The form's fields as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SiteForm {
    /// The site's name.
    pub name: String,
    /// Where the code comes from.
    pub repository: String,
    /// The branch deployed on push.
    pub branch: String,
    /// `process`, `systemd` or `docker`.
    pub runtime: String,
    /// Empty: nothing to build.
    pub build_command: String,
    /// Must use `$PORT`.
    pub start_command: String,
    /// Asked before the switch.
    pub health_path: String,
    /// The blue colour's port.
    pub port_blue: String,
    /// The green colour's port.
    pub port_green: String,
    /// One domain a line (or separated by spaces or commas).
    pub domains: String,
    /// `NAME=value`, one a line; on a change, `NAME=` keeps the stored value.
    pub env: String,
    /// An SSH private key; empty keeps the stored one. Never shown again, not even after a refusal.
    pub deploy_key: String,
    /// `on` to remove the stored deploy key.
    pub remove_deploy_key: Option<String>,
    /// Empty: the default (5).
    pub releases_to_keep: String,
    /// Empty: the panel's own machine.
    pub host: String,
}

/// The form fields and the API fields their problems are reported under (`ports`, the two ports being the
/// same, shows beside the green one).
pub(super) const FIELDS: [(&str, &str); 15] = [
    ("name", "name"),
    ("repository", "repository"),
    ("branch", "branch"),
    ("runtime", "runtime"),
    ("build_command", "build_command"),
    ("start_command", "start_command"),
    ("health_path", "health_path"),
    ("port_blue", "ports.blue"),
    ("port_green", "ports.green"),
    ("port_green", "ports"),
    ("domains", "domains"),
    ("env", "env"),
    ("deploy_key", "deploy_key"),
    ("releases_to_keep", "releases_to_keep"),
    ("host", "host"),
];

/// The runtimes offered, in order.
pub(super) const RUNTIMES: [&str; 3] = ["process", "docker", "systemd"];

impl SiteForm {
    /// A form showing `site` as stored: the environment's names with empty values (kept unless typed), no key.
    pub(super) fn from_site(site: &SiteView) -> Self {
        Self {
            name: site.name.clone(),
            repository: site.repository.clone(),
            branch: site.branch.clone(),
            runtime: site.runtime.clone(),
            build_command: site.build_command.clone().unwrap_or_default(),
            start_command: site.start_command.clone(),
            health_path: site.health_path.clone(),
            port_blue: site.port_blue.to_string(),
            port_green: site.port_green.to_string(),
            domains: site.domains.join("\n"),
            env: site.env_names.iter().map(|name| format!("{name}=\n")).collect(),
            deploy_key: String::new(),
            remove_deploy_key: None,
            releases_to_keep: site.releases_to_keep.to_string(),
            host: site.host.clone(),
        }
    }

    /// The site as the API takes it, and the problems of fields that are not even of the right type (under
    /// the API's field names; such a field takes a value the rules then refuse or ignore). `stored_env` are the
    /// names whose values the site keeps: an empty value of one of them keeps it, as `null` does in a `PUT`.
    pub(super) fn input(&self, stored_env: &[String]) -> (SiteInput, Vec<(String, Message)>) {
        let mut problems = Vec::new();
        let runtime = match self.runtime.trim() {
            "process" => RuntimeName::Process,
            "systemd" => RuntimeName::Systemd,
            "docker" => RuntimeName::Docker,
            _ => {
                problems.push(("runtime".to_owned(), messages::runtime_choose()));
                RuntimeName::Process
            }
        };
        let mut port = |field: &str, text: &str| -> u16 {
            let text = text.trim();
            match text.parse::<u16>() {
                Ok(port) => port,
                Err(_) if text.is_empty() => 0,
                Err(_) if text.bytes().all(|b| b.is_ascii_digit()) => {
                    problems.push((field.to_owned(), rules::port_range()));
                    0
                }
                Err(_) => {
                    problems.push((field.to_owned(), messages::not_a_number(text)));
                    0
                }
            }
        };
        let ports =
            PortsInput { blue: port("ports.blue", &self.port_blue), green: port("ports.green", &self.port_green) };
        let keep = self.releases_to_keep.trim();
        let releases_to_keep = match keep.parse::<u32>() {
            _ if keep.is_empty() => None,
            Ok(n) => Some(n),
            Err(_) if keep.bytes().all(|b| b.is_ascii_digit()) => Some(u32::MAX),
            Err(_) => {
                problems.push(("releases_to_keep".to_owned(), messages::not_a_number(keep)));
                None
            }
        };
        let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let domains = self.domains.split(|c: char| c.is_whitespace() || c == ',').filter(|d| !d.is_empty());
        let input = SiteInput {
            name: self.name.trim().to_owned(),
            repository: self.repository.trim().to_owned(),
            branch: self.branch.trim().to_owned(),
            runtime,
            build_command: filled(&self.build_command),
            start_command: self.start_command.trim().to_owned(),
            health_path: self.health_path.trim().to_owned(),
            ports,
            domains: domains.map(str::to_owned).collect(),
            env: self.env_vars(stored_env),
            deploy_key: self.deploy_key(),
            releases_to_keep,
            host: filled(&self.host),
        };
        (input, problems)
    }

    /// `NAME=value` lines; a line without `=` is a name with an empty value.
    fn env_vars(&self, stored: &[String]) -> BTreeMap<String, Option<String>> {
        self.env
            .lines()
            .map(|line| line.trim_end_matches('\r'))
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (name, value) = line.split_once('=').unwrap_or((line, ""));
                let name = name.trim().to_owned();
                let value = if value.is_empty() && stored.contains(&name) { None } else { Some(value.to_owned()) };
                (name, value)
            })
            .collect()
    }

    /// The key as the API takes it: `""` removes it, absent keeps it; a pasted key gets Unix line ends.
    fn deploy_key(&self) -> Option<String> {
        if self.remove_deploy_key.is_some() {
            return Some(String::new());
        }
        let key = self.deploy_key.replace("\r\n", "\n");
        let key = key.trim();
        (!key.is_empty()).then(|| format!("{key}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SiteForm {
        SiteForm {
            name: " shop ".into(),
            repository: "https://github.com/acme/shop.git".into(),
            branch: "main".into(),
            runtime: "process".into(),
            start_command: "./shop --port $PORT".into(),
            health_path: "/health".into(),
            port_blue: "9101".into(),
            port_green: "9102".into(),
            domains: "shop.example.com\r\nwww.example.com, api.example.com".into(),
            env: "MODE=production\r\nTOKEN=\r\n\r\nEMPTY\n".into(),
            ..SiteForm::default()
        }
    }

    #[test]
    fn a_form_becomes_the_api_input_and_an_empty_stored_value_is_kept() {
        let (input, problems) = form().input(&["TOKEN".to_owned()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(input.name, "shop");
        assert_eq!((input.ports.blue, input.ports.green, input.runtime), (9101, 9102, RuntimeName::Process));
        assert_eq!(input.domains, ["shop.example.com", "www.example.com", "api.example.com"]);
        let env: Vec<_> = input.env.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
        assert_eq!(env, [("EMPTY", Some("")), ("MODE", Some("production")), ("TOKEN", None)]);
        assert_eq!(
            (input.deploy_key, input.build_command, input.host, input.releases_to_keep),
            (None, None, None, None)
        );
    }

    #[test]
    fn bad_numbers_and_runtimes_are_named_and_a_key_is_removed_or_kept() {
        let bad = SiteForm {
            runtime: "podman".into(),
            port_blue: "nine".into(),
            port_green: "70000".into(),
            releases_to_keep: "many".into(),
            remove_deploy_key: Some("on".into()),
            deploy_key: "ignored".into(),
            ..form()
        };
        let (input, problems) = bad.input(&[]);
        let fields: Vec<_> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["runtime", "ports.blue", "ports.green", "releases_to_keep"]);
        assert_eq!(problems[1].1, messages::not_a_number("nine"));
        assert_eq!(problems[2].1, rules::port_range());
        assert_eq!(input.deploy_key.as_deref(), Some(""), "the box removes the key");
        let pasted = SiteForm { deploy_key: "-----BEGIN-----\r\nkey\r\n-----END-----\r\n".into(), ..form() };
        assert_eq!(pasted.input(&[]).0.deploy_key.as_deref(), Some("-----BEGIN-----\nkey\n-----END-----\n"));
    }
}
