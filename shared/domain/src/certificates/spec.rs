//! What a certificate asks for, and every rule about it that needs no I/O, each problem reported with its field.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    Challenge, Directory, KeyType,
    checks::{self, HookProblem, NameProblem, UrlProblem},
    messages,
};
use crate::message::Message;

/// Everything a certificate says. The account's key is not here: an account belongs to a directory and an
/// e-mail address, and its key is sealed at rest by whoever registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSpec {
    /// The names it certifies (its SANs), lowercase; `*.name` only with dns-01. The first is its subject.
    pub names: Vec<String>,
    /// How the CA checks that we control them.
    pub challenge: Challenge,
    /// The CA.
    pub directory: Directory,
    /// The contact address given to the CA's account, or None for an account without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The kind of the certificate's key.
    #[serde(default)]
    pub key_type: KeyType,
    /// The ACME profile to order with (Let's Encrypt's `classic`, `tlsserver`, `shortlived`), when the directory
    /// offers profiles; None for the CA's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The machine whose nginx serves the names: its cert worker (`certificates.<host>`) answers the challenges
    /// and installs the certificate there.
    pub host: String,
}

impl CertificateSpec {
    /// Every rule that needs no I/O, each problem with its field, named by its path in the spec
    /// (`names[2]`, `challenge.hook`, `directory.url`). Every bad name is named, each with the first rule it
    /// breaks; other fields have at most one problem. Empty when the spec is valid.
    pub fn problems(&self) -> Vec<(String, Message)> {
        let mut problems: Vec<(String, Message)> = Vec::new();
        let mut push = |field: &str, problem: Message| problems.push((field.to_owned(), problem));
        if self.names.is_empty() {
            push("names", messages::names_empty());
        } else if self.names.len() > checks::MAX_NAMES {
            push("names", messages::names_too_many(self.names.len(), checks::MAX_NAMES));
        }
        for (index, problem) in self.name_problems() {
            push(&format!("names[{index}]"), problem);
        }
        if let Challenge::Dns01 { hook } = &self.challenge {
            match checks::hook_problem(hook) {
                Some(HookProblem::Blank) => push("challenge.hook", messages::dns_hook_blank()),
                Some(HookProblem::TooLong) => {
                    push("challenge.hook", messages::dns_hook_too_long(checks::DNS_HOOK_MAX_BYTES));
                }
                Some(HookProblem::Control) => push("challenge.hook", messages::dns_hook_control()),
                None => {}
            }
        }
        if let Directory::Custom { url, trusted_root } = &self.directory {
            match checks::directory_url_problem(url) {
                Some(UrlProblem::Shape) => push("directory.url", messages::directory_url_invalid()),
                Some(UrlProblem::NotHttps) => push("directory.url", messages::directory_not_https()),
                None => {}
            }
            if trusted_root.as_deref().is_some_and(|path| !checks::is_absolute_path(path)) {
                push("directory.trusted_root", messages::trusted_root_invalid());
            }
        }
        if self.email.as_deref().is_some_and(|email| !checks::is_email(email)) {
            push("email", messages::email_invalid());
        }
        if self.profile.as_deref().is_some_and(|profile| !checks::is_profile_name(profile)) {
            push("profile", messages::profile_invalid());
        }
        if !crate::hosts::is_host_name(&self.host) {
            push("host", messages::host_invalid());
        }
        problems
    }

    /// Each bad name by its index, with the first rule it breaks: its shape, then a second mention, then a
    /// wildcard among the names that already covers it.
    fn name_problems(&self) -> Vec<(usize, Message)> {
        let dns_01 = matches!(self.challenge, Challenge::Dns01 { .. });
        let mut seen = BTreeSet::new();
        let mut problems = Vec::new();
        for (index, name) in self.names.iter().enumerate() {
            let problem = match checks::name_problem(name, dns_01) {
                Some(NameProblem::TooLong) => Some(messages::name_too_long(name, checks::NAME_MAX_BYTES)),
                Some(NameProblem::IpAddress) => Some(messages::name_ip_address(name)),
                Some(NameProblem::WildcardNeedsDns) => Some(messages::name_wildcard_needs_dns(name)),
                Some(NameProblem::Invalid) => Some(messages::name_invalid(name)),
                None if !seen.insert(name.as_str()) => Some(messages::name_duplicate(name)),
                None => checks::covering_wildcard(name, &self.names)
                    .map(|wildcard| messages::name_redundant(name, wildcard)),
            };
            problems.extend(problem.map(|problem| (index, problem)));
        }
        problems
    }

    /// Whether the certificate names a wildcard.
    pub fn has_wildcard(&self) -> bool {
        self.names.iter().any(|name| name.starts_with("*."))
    }
}

/// "Every problem, each with its field" as one message: `the certificate is invalid: names[1] …; email …`.
pub fn certificate_invalid<F: AsRef<str>>(problems: &[(F, Message)]) -> Message {
    let lines = problems.iter().map(|(field, problem)| messages::field_problem(field.as_ref(), problem.clone()));
    messages::certificate_invalid(lines.collect::<Vec<_>>())
}
